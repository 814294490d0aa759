export { main } from './main.js';
export type { DaemonIo } from './main.js';
export * from './store/index.js';
export * from './api/index.js';
export { toOciSpec, mergeImageConfig, parseSecurityOpt, processArgs, replaceOrAppendEnv, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_PATH_ENV, CONTAINER_INIT_PATH } from './specconv/index.js';
export type { SpecInput, SpecOptions, OciRuntimeSpec, OciMount, OciProcess, OciResources, OciNamespace, OciUser, HostDeviceInfo } from './specconv/index.js';
export { parseDaemonArgs } from './main.js';
export type { DaemonConfig } from './main.js';
export * from './network/index.js';
