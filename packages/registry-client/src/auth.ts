import { RegistryError, errorFromResponse } from './errors.js';
import type { CredentialProvider, Credentials } from './credentials.js';
import type { Transport } from './transport.js';

/** One challenge of a `WWW-Authenticate` header. `scheme` is lower-cased, parameter names too. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235): one or more challenges, each a scheme followed by
 * comma-separated `name=value` or `name="quoted value"` parameters.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = (): void => {
    while (i < header.length && /[\s,]/.test(header[i] ?? '')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < header.length && /[^\s,="]/.test(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  while (true) {
    skip();
    if (i >= header.length) break;
    const name = token();
    if (name === '') {
      i++;
      continue;
    }
    let j = i;
    while (j < header.length && header[j] === ' ') j++;
    if (header[j] !== '=') {
      out.push({ scheme: name.toLowerCase(), params: {} });
      continue;
    }
    i = j + 1;
    while (header[i] === ' ') i++;
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < header.length && header[i] !== '"') {
        if (header[i] === '\\') i++;
        value += header[i] ?? '';
        i++;
      }
      i++;
    } else {
      value = token();
    }
    const current = out[out.length - 1];
    if (current) current.params[name.toLowerCase()] = value;
  }
  return out;
}

/** `repository:<path>:<actions>` (the distribution token scope grammar). */
export function repositoryScope(path: string, actions: readonly ('pull' | 'push')[]): string {
  return `repository:${path}:${actions.join(',')}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** What the auth layer needs to know about a request. */
export interface AuthTarget {
  /** Registry host as credentials are keyed (`docker.io`, `localhost:5000`). */
  registry: string;
  /** Origin of the endpoint (`https://registry-1.docker.io`). */
  origin: string;
  scopes: readonly string[];
  signal?: AbortSignal;
}

/**
 * Registry authentication: remembers each endpoint's challenge, and gets the Authorization header
 * for a request: `Basic` from credentials, or a bearer token fetched from the challenge's realm for
 * the request's scopes (anonymously, or with credentials), cached per endpoint and scope set until
 * it expires or a 401 shows it no longer works.
 */
export class Authenticator {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  /** Credentials per registry, looked up once (helpers are programs) until a 401 says they failed. */
  private readonly creds = new Map<string, Promise<Credentials | undefined>>();
  private readonly transport: Transport;
  private readonly credentials: CredentialProvider | undefined;
  private readonly now: () => number;

  constructor(transport: Transport, credentials?: CredentialProvider, now: () => number = Date.now) {
    this.transport = transport;
    this.credentials = credentials;
    this.now = now;
  }

  /** Records the challenge of a 401 response. Returns false when there is nothing we can answer. */
  recordChallenge(origin: string, header: string | string[] | undefined): boolean {
    const values = Array.isArray(header) ? header : header ? [header] : [];
    const challenges = values.flatMap(parseWwwAuthenticate);
    const chosen = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!chosen) return false;
    this.challenges.set(origin, chosen);
    return true;
  }

  /** Forgets cached tokens for these scopes (after a 401 with a token). */
  invalidate(target: AuthTarget): void {
    this.tokens.delete(tokenKey(target));
    this.creds.delete(target.registry);
  }

  /** Whether the endpoint asked for authentication before. */
  knows(origin: string): boolean {
    return this.challenges.has(origin);
  }

  /** The Authorization header value for a request, or undefined to go anonymously. */
  async authorization(target: AuthTarget): Promise<string | undefined> {
    const challenge = this.challenges.get(target.origin);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const creds = await this.lookup(target);
      if (creds?.username === undefined || creds.password === undefined) {
        throw new RegistryError('UNAUTHORIZED', `${target.registry}: authentication required (no credentials)`, { status: 401 });
      }
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    const key = tokenKey(target);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(challenge, target);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  private async lookup(target: AuthTarget): Promise<Credentials | undefined> {
    let found = this.creds.get(target.registry);
    if (!found) {
      found = this.credentials?.(target.registry, target.signal) ?? Promise.resolve(undefined);
      this.creds.set(target.registry, found);
      found.catch(() => this.creds.delete(target.registry));
    }
    return found;
  }

  private async fetchToken(challenge: Challenge, target: AuthTarget): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError('UNAUTHORIZED', `${target.registry}: bearer challenge without realm`, { status: 401 });
    const creds = await this.lookup(target);
    if (creds?.registryToken) return { token: creds.registryToken, expiresAt: Number.POSITIVE_INFINITY };
    const url = new URL(realm);
    const service = challenge.params.service;
    const scopes = target.scopes.length > 0 ? target.scopes : (challenge.params.scope ?? '').split(' ').filter(Boolean);
    const headers: Record<string, string> = {};
    let body: Uint8Array | undefined;
    let method: 'GET' | 'POST' = 'GET';
    if (creds?.identityToken) {
      // OAuth2 refresh-token grant (docker/distribution token spec, "oauth.md").
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'tdock' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds?.username !== undefined && creds.password !== undefined) {
        url.searchParams.set('account', creds.username);
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
    }
    const res = await this.transport.request({ method, url, headers, ...(body ? { body } : {}), signal: target.signal });
    const text = await res.body.text();
    if (res.status !== 200) {
      const err = errorFromResponse(res.status, text, `${target.registry}: token request failed`);
      throw res.status === 401 || res.status === 403
        ? new RegistryError(res.status === 401 ? 'UNAUTHORIZED' : 'DENIED', err.message, { status: res.status, errors: err.errors })
        : err;
    }
    const parsed = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RegistryError('UNAUTHORIZED', `${target.registry}: token endpoint returned no token`, { status: res.status });
    // Token spec: expires_in defaults to 60 seconds; renew a little early.
    const expiresIn = Math.max(parsed.expires_in ?? 60, 60);
    return { token, expiresAt: this.now() + (expiresIn - 5) * 1000 };
  }
}

function tokenKey(target: AuthTarget): string {
  return `${target.origin} ${[...target.scopes].sort().join(' ')}`;
}
