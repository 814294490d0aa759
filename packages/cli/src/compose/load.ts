import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { invalidArgument, notFound } from '@tdock/core';
import { chooseProjectName, resolveComposeFiles } from './discovery.js';
import { parseDotenv, resolveDotenv } from './dotenv.js';
import { interpolate, interpolateTree, type VariableLookup } from './interpolate.js';
import { resolveExtends, resolveIncludes } from './extends.js';
import { mergeFiles } from './merge.js';
import { normalizeService } from './normalize-service.js';
import { applyProfiles, checkReferences, normalizeFileObjects, normalizeNetworks, normalizeVolumes } from './normalize-project.js';
import { createComposeValidator, type ComposeValidator } from './schema.js';
import type { Project, ServiceConfig, YamlMap } from './types.js';
import { asMap, isMap } from './values.js';
import { parseComposeYaml, stripMergeTags } from './yaml-load.js';

/** Inputs of {@link loadProject}: the command line and the caller's environment, injected. */
export interface LoadProjectOptions {
  /** Directory the command runs in (files and `-f` paths resolve against it). */
  cwd: string;
  /** The shell environment (only `main.ts` reads `process.env`). */
  env: Record<string, string | undefined>;
  /** `-f` files, in order. */
  files?: string[];
  /** `-p`. */
  projectName?: string;
  /** `--project-directory`. */
  projectDirectory?: string;
  /** `--env-file`, repeatable; replaces `<project dir>/.env` (as does `COMPOSE_ENV_FILES`). */
  envFiles?: string[];
  /** `--profile`; when absent, `COMPOSE_PROFILES` (comma-separated). */
  profiles?: string[];
  /** Services named on the command line: they and their dependencies are enabled whatever their profiles. */
  services?: string[];
  /** A compiled validator to reuse; one is compiled when absent. */
  validator?: ComposeValidator;
  /** Unset-variable and similar warnings (compose prints them on stderr). */
  onWarning?: (message: string) => void;
}

function readEnvironment(opts: LoadProjectOptions, projectDir: string): { env: Record<string, string>; files: string[] } {
  const shell: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) shell[k] = v;
  // --env-file, else COMPOSE_ENV_FILES (comma-separated, compose >= 2.24), else <project dir>/.env.
  const given = opts.envFiles && opts.envFiles.length > 0 ? opts.envFiles : (shell['COMPOSE_ENV_FILES'] ?? '').split(',').filter((f) => f !== '');
  const files = given.map((f) => resolve(opts.cwd, f));
  if (files.length === 0 && existsSync(resolve(projectDir, '.env'))) files.push(resolve(projectDir, '.env'));
  else for (const f of files) if (!existsSync(f)) throw notFound(`couldn't find env file: ${f}`);
  const fromFiles: Record<string, string> = {};
  for (const f of files) {
    const lookup: VariableLookup = (k) => shell[k] ?? fromFiles[k];
    const entries = parseDotenv(readFileSync(f, 'utf8'), { lookup, filename: f, onWarning: opts.onWarning });
    Object.assign(fromFiles, resolveDotenv(entries, lookup));
  }
  return { env: { ...fromFiles, ...shell }, files };
}

function splitProfiles(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Loads a Compose project: discovery, `.env`, per-file parse + interpolation + schema validation, merge,
 * project name, profiles, normalisation, reference and cycle checks. Reads files; talks to no daemon.
 * Throws `TdockError` (`invalid-argument` or `not-found`) with compose-like messages.
 */
export function loadProject(opts: LoadProjectOptions): Project {
  const cwd = resolve(opts.cwd);
  // COMPOSE_FILE and friends may come from a .env beside the working directory, as with compose.
  const early = readEnvironment({ ...opts, envFiles: opts.envFiles }, opts.projectDirectory ? resolve(cwd, opts.projectDirectory) : cwd);
  const configFiles = resolveComposeFiles(cwd, opts.files, early.env);
  const projectDir = opts.projectDirectory ? resolve(cwd, opts.projectDirectory) : dirname(configFiles[0]!);
  const { env, files: envFiles } = projectDir === cwd && !opts.projectDirectory ? early : readEnvironment(opts, projectDir);

  const parsed = configFiles.map((f) => ({ file: f, tree: parseComposeYaml(readFileSync(f, 'utf8'), f) }));
  for (const { file, tree } of parsed) {
    if ('version' in tree) {
      opts.onWarning?.(`${file}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);
    }
  }
  let fileName: string | undefined;
  for (const { tree } of parsed) {
    if (typeof tree['name'] === 'string') fileName = interpolate(tree['name'], (k) => env[k], { onWarning: opts.onWarning });
  }
  const name = chooseProjectName({ flag: opts.projectName, env: env['COMPOSE_PROJECT_NAME'], fileName, projectDir });
  const environment: Record<string, string> = { ...env, COMPOSE_PROJECT_NAME: env['COMPOSE_PROJECT_NAME'] ?? name };
  const lookup: VariableLookup = (k) => environment[k];

  const validate = opts.validator ?? createComposeValidator();
  const prepare = (file: string, tree: YamlMap): YamlMap => {
    let t: YamlMap;
    try {
      t = interpolateTree(tree, lookup, { onWarning: opts.onWarning });
    } catch (err) {
      throw invalidArgument(`${file}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    validate(stripMergeTags(t), file);
    return t;
  };
  const read = (file: string): YamlMap => {
    if (!existsSync(file)) throw notFound(`open ${file}: no such file or directory`);
    return prepare(file, parseComposeYaml(readFileSync(file, 'utf8'), file));
  };
  const trees = parsed.map(({ file, tree }) => {
    const dir = dirname(file);
    return resolveExtends(resolveIncludes(prepare(file, tree), dir, read, [file]), file, dir, read);
  });
  const merged = mergeFiles(trees);
  return buildProject(merged, {
    name,
    projectDir,
    configFiles,
    envFiles,
    environment,
    lookup,
    profiles: opts.profiles && opts.profiles.length > 0 ? opts.profiles : splitProfiles(environment['COMPOSE_PROFILES']),
    services: opts.services ?? [],
    onWarning: opts.onWarning,
  });
}

interface BuildInputs {
  name: string;
  projectDir: string;
  configFiles: string[];
  envFiles: string[];
  environment: Record<string, string>;
  lookup: VariableLookup;
  profiles: string[];
  services: string[];
  onWarning?: (message: string) => void;
}

/** Normalises a merged, interpolated, validated model into a {@link Project}. */
export function buildProject(merged: YamlMap, b: BuildInputs): Project {
  const ctx = { projectDir: b.projectDir, lookup: b.lookup, home: b.environment['HOME'], onWarning: b.onWarning };
  const all: Record<string, ServiceConfig> = {};
  for (const [n, raw] of Object.entries(asMap(merged['services']))) {
    all[n] = normalizeService(n, isMap(raw) ? raw : {}, ctx);
  }
  const rawNetworks = asMap(merged['networks']);
  const usesDefault = Object.values(all).some((s) => 'default' in s.networks);
  const networks = normalizeNetworks(b.name, rawNetworks, usesDefault);
  const volumes = normalizeVolumes(b.name, asMap(merged['volumes']));
  const secrets = normalizeFileObjects(b.name, asMap(merged['secrets']), b.projectDir);
  const configs = normalizeFileObjects(b.name, asMap(merged['configs']), b.projectDir);
  checkReferences(all, volumes, networks, secrets, configs);
  const { enabled, disabled } = applyProfiles(all, b.profiles, b.services, b.onWarning);
  return {
    name: b.name,
    workingDir: b.projectDir,
    configFiles: b.configFiles,
    envFiles: b.envFiles,
    environment: b.environment,
    services: enabled,
    disabledServices: disabled,
    networks,
    volumes,
    secrets,
    configs,
    profiles: b.profiles,
    raw: merged,
  };
}
