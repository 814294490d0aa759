// Dockerfile builds in the engine (issue 9): the builder's BuildBackend over the image store and runtime,
// the build context, the persistent cache and the legacy `/build` stream.
export { createBuildService, parseBuildQuery, authFor } from './service.js';
export type { BuildServiceDeps, BuildRequest, BuildResources } from './service.js';
export { EngineBuildBackend } from './backend.js';
export type { BackendDeps } from './backend.js';
export { extractContext, prepareContext, applyDockerignore } from './context.js';
export type { PreparedContext } from './context.js';
export { BuildCache } from './cache.js';
export type { CacheRecord } from './cache.js';
export { BuildLayers } from './layers.js';
export { LegacyStream } from './legacy-stream.js';
export type { LegacySink } from './legacy-stream.js';
export { removesContainer } from './run-step.js';
export type { BuildContainerHooks, KeptBuildContainer, RunOutcome } from './run-step.js';
export { resolveInScope } from './scope.js';
export { selectSources, hashSelection } from './sources.js';
export { copyInto, isArchive, mkdirAllScoped } from './copy.js';
