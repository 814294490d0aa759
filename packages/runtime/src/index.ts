export {};
export * from './caps/index.js';
export * from './seccomp/index.js';
export * from './cgroups/index.js';
