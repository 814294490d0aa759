import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { invalidArgument, notFound } from '@tdock/core';

/** compose-go `cli/options.go` `DefaultFileNames`, in search order. */
export const DEFAULT_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;
/** compose-go `DefaultOverrideFileNames`. */
export const DEFAULT_OVERRIDE_FILE_NAMES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
] as const;

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the Compose file in `cwd` or the nearest parent that has one, plus its override file in the same
 * directory. Throws `no configuration file provided: not found` like compose when there is none.
 */
export function discoverComposeFiles(cwd: string): string[] {
  let dir = resolve(cwd);
  while (true) {
    const main = DEFAULT_FILE_NAMES.map((n) => join(dir, n)).find(isFile);
    if (main !== undefined) {
      const override = DEFAULT_OVERRIDE_FILE_NAMES.map((n) => join(dir, n)).find(isFile);
      return override === undefined ? [main] : [main, override];
    }
    const parent = dirname(dir);
    if (parent === dir) throw notFound('no configuration file provided: not found');
    dir = parent;
  }
}

/**
 * The files to load: `-f` files (relative to `cwd`), else `COMPOSE_FILE` split on `COMPOSE_PATH_SEPARATOR`
 * (default `:`), else discovery. Every file must exist.
 */
export function resolveComposeFiles(cwd: string, files: readonly string[] | undefined, env: Record<string, string | undefined>): string[] {
  let list: string[];
  if (files !== undefined && files.length > 0) list = files.map((f) => resolve(cwd, f));
  else if (env['COMPOSE_FILE']) {
    const sep = env['COMPOSE_PATH_SEPARATOR'] || ':';
    list = env['COMPOSE_FILE'].split(sep).filter((f) => f !== '').map((f) => resolve(cwd, f));
  } else return discoverComposeFiles(cwd);
  for (const f of list) {
    if (!existsSync(f)) throw notFound(`open ${f}: no such file or directory`);
  }
  return list;
}

/**
 * Normalises a directory name into a project name as compose does (compose-go `NormalizeProjectName`):
 * lowercase, drop everything outside `[a-z0-9_-]`, strip leading `_` and `-`. `My.App` → `myapp`.
 */
export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/** Throws unless `name` is a valid project name (lowercase letters, digits, `-`, `_`, starting alphanumeric). */
export function checkProjectName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    throw invalidArgument(
      `invalid project name "${name}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
    );
  }
  return name;
}

/** Inputs to {@link chooseProjectName}, in precedence order. */
export interface ProjectNameSources {
  /** `-p`. */
  flag?: string;
  /** `COMPOSE_PROJECT_NAME` from the shell or .env. */
  env?: string;
  /** Top-level `name:` (interpolated). */
  fileName?: string;
  /** The project directory. */
  projectDir: string;
}

/** `-p` > `COMPOSE_PROJECT_NAME` > `name:` > the directory's name normalised. */
export function chooseProjectName(src: ProjectNameSources): string {
  for (const v of [src.flag, src.env, src.fileName]) {
    if (v !== undefined && v !== '') return checkProjectName(v);
  }
  const fromDir = normalizeProjectName(basename(resolve(src.projectDir)));
  if (fromDir === '') throw invalidArgument(`project name must not be empty (directory "${src.projectDir}" normalises to nothing); use -p`);
  return fromDir;
}
