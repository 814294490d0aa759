import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reference } from '@tdock/core';

/** docker's default registry key in `auths` (registry.IndexServer). */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

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

/** Written as docker/cli's configfile.Save: json.MarshalIndent with tabs, no newline, mode 0600, atomically. */
function writeConfig(env: NodeJS.ProcessEnv, config: DockerConfig): void {
  const file = configPath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, '\t'), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** docker/cli credentials.ConvertToHostname: `https://host:5000/v2/` → `host:5000`. */
export function convertToHostname(maybeUrl: string): string {
  if (maybeUrl.includes('://')) {
    try {
      const u = new URL(maybeUrl);
      if (u.hostname) return u.port ? `${u.hostname}:${u.port}` : u.hostname.replace(/^\[(.*)\]$/, '$1');
    } catch {
      // not a URL: cut at the first slash below
    }
  }
  return maybeUrl.split('/')[0]!;
}

/** The key docker uses in `auths` for a reference's registry. */
export function registryKey(ref: Reference): string {
  return ref.domain === 'docker.io' ? INDEX_SERVER : ref.domain;
}

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

/**
 * Credentials stored by `login` for a registry, as the Engine API's AuthConfig; like docker's file
 * store, a key saved in another form (`http://host`, `host/v2/`) is found by its host name.
 */
export function readAuth(env: NodeJS.ProcessEnv, key: string): AuthConfig | undefined {
  const auths = readConfig(env).auths ?? {};
  const entry = auths[key] ?? Object.entries(auths).find(([k]) => convertToHostname(k) === key)?.[1];
  if (!entry?.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString();
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1), serveraddress: key };
}

/** Stores credentials; false when the same ones were already there (docker then leaves the file alone). */
export function writeAuth(env: NodeJS.ProcessEnv, key: string, username: string, password: string): boolean {
  const config = readConfig(env);
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  if (config.auths?.[key]?.auth === auth) return false;
  config.auths = { ...config.auths, [key]: { auth } };
  writeConfig(env, config);
  return true;
}

/** Erases the credentials stored under any of `keys`; idempotent. */
export function removeAuth(env: NodeJS.ProcessEnv, keys: string[]): void {
  const config = readConfig(env);
  const present = keys.filter((k) => config.auths?.[k]);
  if (!present.length) return;
  for (const k of present) delete config.auths![k];
  writeConfig(env, config);
}
