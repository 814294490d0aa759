// The Compose model: loading, merging, interpolation, validation, normalisation, names and labels.
export * from './types.js';
export { loadProject, buildProject, type LoadProjectOptions } from './load.js';
export {
  discoverComposeFiles,
  resolveComposeFiles,
  normalizeProjectName,
  checkProjectName,
  chooseProjectName,
  DEFAULT_FILE_NAMES,
  DEFAULT_OVERRIDE_FILE_NAMES,
  type ProjectNameSources,
} from './discovery.js';
export { parseDotenv, resolveDotenv, type DotenvEntries, type DotenvOptions } from './dotenv.js';
export { interpolate, interpolateTree, formatPath, type VariableLookup, type InterpolateOptions } from './interpolate.js';
export { mergeFiles, mergeValues } from './merge.js';
export { resolveExtends, resolveIncludes, rebaseServicePaths, type ComposeFileReader } from './extends.js';
export { parseComposeYaml, stripMergeTags, ResetTag, OverrideTag } from './yaml-load.js';
export { createComposeValidator, composeSchemaPath, composeValidatorCachePath, composeValidatorCacheState, composeValidatorModulePath, precompiledValidatorMatches, writeComposeValidatorCache, type ComposeValidator } from './schema.js';
export { normalizeService, extraHosts, type ServiceContext } from './normalize-service.js';
export { parsePortString, parsePortEntry, parseExpose } from './ports.js';
export { parseVolumeString, parseVolumeEntry, isBindSource } from './volumes.js';
export { splitShellWords } from './shellwords.js';
export { parseDuration, parseBytes } from './units.js';
export { dependencyLevels, serviceDependencies, selectServices } from './graph.js';
export { renderConfigYaml, projectToOrdered, serviceToOrdered, type Ordered } from './config.js';
export * from './names.js';
