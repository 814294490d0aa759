import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reference } from '@tdock/core';

/** docker's config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function configPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker'), 'config.json');
}

interface DockerConfig {
  auths?: Record<string, { auth?: string }>;
  [key: string]: unknown;
}

function readConfig(env: NodeJS.ProcessEnv): DockerConfig {
  try {
    return JSON.parse(fs.readFileSync(configPath(env), 'utf8')) as DockerConfig;
  } catch {
    return {};
  }
}

function writeConfig(env: NodeJS.ProcessEnv, config: DockerConfig): void {
  const file = configPath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The key docker uses in `auths` for a reference's registry. */
export function registryKey(ref: Reference): string {
  return ref.domain === 'docker.io' ? 'https://index.docker.io/v1/' : ref.domain;
}

/** Credentials stored by `login` for a registry, as the Engine API's AuthConfig. */
export function readAuth(env: NodeJS.ProcessEnv, key: string): { username: string; password: string; serveraddress: string } | undefined {
  const entry = readConfig(env).auths?.[key];
  if (!entry?.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString();
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1), serveraddress: key };
}

export function writeAuth(env: NodeJS.ProcessEnv, key: string, username: string, password: string): void {
  const config = readConfig(env);
  config.auths = { ...config.auths, [key]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  writeConfig(env, config);
}

export function removeAuth(env: NodeJS.ProcessEnv, key: string): boolean {
  const config = readConfig(env);
  if (!config.auths?.[key]) return false;
  delete config.auths[key];
  writeConfig(env, config);
  return true;
}
