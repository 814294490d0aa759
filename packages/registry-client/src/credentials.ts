import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * Credentials for one registry. `username`/`password` are used for basic auth and for the bearer
 * token request; `identityToken` (an OAuth2 refresh token, what `docker login` stores for some
 * registries) is exchanged at the token endpoint; `registryToken` is sent as a bearer token as is.
 */
export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

/**
 * Looks up credentials for a registry host (`docker.io`, `localhost:5000`). Returns undefined for
 * anonymous access. Called lazily, only when a registry asks for authentication.
 */
export type CredentialProvider = (registry: string, signal?: AbortSignal) => Promise<Credentials | undefined>;

/** A provider with fixed credentials per registry host. */
export function staticCredentials(byRegistry: Record<string, Credentials>): CredentialProvider {
  const table = new Map(Object.entries(byRegistry));
  return async (registry) => table.get(registry);
}

/** Runs `docker-credential-<helper> get` with `serverUrl` on stdin and returns its stdout. */
export type CredentialHelperRunner = (helper: string, serverUrl: string, signal?: AbortSignal) => Promise<string>;

/** Options of {@link dockerConfigCredentials}. */
export interface DockerConfigOptions {
  /** Path of docker's config.json (the caller resolves `$DOCKER_CONFIG` or `~/.docker`). */
  configPath: string;
  /** Runs credential helpers; default: execFile of `docker-credential-<name>` from PATH. */
  runHelper?: CredentialHelperRunner;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Docker's key for Docker Hub credentials in config.json and credential helpers. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

function authKey(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
}

/** The host part of an `auths` key (`https://host/v1/` → `host`), as docker/cli's ConvertToHostname. */
function keyHost(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0] ?? key;
}

const defaultRunHelper: CredentialHelperRunner = (helper, serverUrl, signal) =>
  new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { signal, timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(new Error(`credential helper docker-credential-${helper} failed: ${String(stdout).trim() || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(serverUrl);
  });

/**
 * Reads credentials as the docker CLI stores them: `credHelpers[<host>]`, then `credsStore`, then
 * `auths` (`auth` is base64 `user:password`; `identitytoken` and `registrytoken` kept). The file is
 * read on each lookup (it is small, and `docker login` may change it); a missing file means anonymous.
 */
export function dockerConfigCredentials(options: DockerConfigOptions): CredentialProvider {
  const runHelper = options.runHelper ?? defaultRunHelper;
  return async (registry, signal) => {
    let config: DockerConfigFile;
    try {
      config = JSON.parse(await readFile(options.configPath, { encoding: 'utf8', signal })) as DockerConfigFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read docker config ${options.configPath}: ${(err as Error).message}`, { cause: err });
    }
    const key = authKey(registry);
    const helper = config.credHelpers?.[key] ?? config.credHelpers?.[registry] ?? config.credsStore;
    if (helper) {
      const fromHelper = await helperCredentials(runHelper, helper, key, signal);
      if (fromHelper) return fromHelper;
      if (config.credHelpers?.[key] ?? config.credHelpers?.[registry]) return undefined;
    }
    const auths = config.auths ?? {};
    const entry = auths[key] ?? Object.entries(auths).find(([k]) => keyHost(k) === keyHost(key))?.[1];
    if (!entry) return undefined;
    const creds: Credentials = {};
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new Error(`invalid auth entry for ${registry} in ${options.configPath}`);
      creds.username = decoded.slice(0, colon);
      creds.password = decoded.slice(colon + 1);
    } else {
      if (entry.username) creds.username = entry.username;
      if (entry.password) creds.password = entry.password;
    }
    if (entry.identitytoken) creds.identityToken = entry.identitytoken;
    if (entry.registrytoken) creds.registryToken = entry.registrytoken;
    return Object.keys(creds).length > 0 ? creds : undefined;
  };
}

async function helperCredentials(
  runHelper: CredentialHelperRunner, helper: string, serverUrl: string, signal?: AbortSignal,
): Promise<Credentials | undefined> {
  let out: string;
  try {
    out = await runHelper(helper, serverUrl, signal);
  } catch (err) {
    // docker-credential-helpers answer "credentials not found in native keychain" with exit 1.
    if (/credentials not found/i.test((err as Error).message)) return undefined;
    throw err;
  }
  const parsed = JSON.parse(out) as { Username?: string; Secret?: string };
  if (!parsed.Secret) return undefined;
  // docker/cli: Username "<token>" means Secret is an identity token.
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret };
  return { username: parsed.Username ?? '', password: parsed.Secret };
}
