import type { Reference } from '@tdock/core';
import { Authenticator, repositoryScope } from './auth.js';
import type { CredentialProvider } from './credentials.js';
import { RegistryError, errorFromResponse, type RegistryErrorCode } from './errors.js';
import { Transport, type HttpRequest, type HttpResponse, type TransportOptions } from './transport.js';

/** Where requests for one registry go. Docker Hub's API lives at registry-1.docker.io. */
export interface Endpoint {
  /** The registry as references name it and credentials are keyed (`docker.io`). */
  registry: string;
  /** `host[:port]` to connect to. */
  host: string;
  /** Set for mirrors given as URLs: the origin to use as is. */
  origin?: string;
  mirror: boolean;
}

/** A request relative to an endpoint: `path` after `/v2/`, or an absolute URL (upload locations). */
export interface RegistryRequest extends Omit<HttpRequest, 'url'> {
  path?: string;
  url?: URL;
  query?: Record<string, string>;
  scopes: readonly string[];
}

/** The API host of a registry name (Docker Hub's is `registry-1.docker.io`). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

/** Options shared by everything that talks to registries. */
export interface SessionOptions extends TransportOptions {
  credentials?: CredentialProvider;
  /** Mirrors for docker.io (`https://mirror.example` or `http://127.0.0.1:5000`), tried in order before Docker Hub. */
  mirrors?: readonly string[];
}

/**
 * The authenticated request layer: endpoints, one ping per endpoint (`GET /v2/`, which also learns
 * the auth challenge, as Docker does), the Authorization header per request scope, one re-try on 401
 * with a fresh token, and error bodies turned into RegistryErrors.
 */
export class Session {
  readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly options: SessionOptions;
  private readonly pings = new Map<string, Promise<string>>();

  constructor(options: SessionOptions) {
    this.options = options;
    this.transport = new Transport(options);
    this.auth = new Authenticator(this.transport, options.credentials);
  }

  /** Endpoints to pull `registry` from: docker.io's mirrors first, then the registry itself. */
  pullEndpoints(registry: string): Endpoint[] {
    const own: Endpoint = { registry, host: apiHost(registry), mirror: false };
    if (registry !== 'docker.io') return [own];
    const mirrors = (this.options.mirrors ?? []).map((m): Endpoint => {
      const url = new URL(m.includes('://') ? m : `https://${m}`);
      return { registry: url.host, host: url.host, origin: url.origin, mirror: true };
    });
    return [...mirrors, own];
  }

  /** The endpoint to push to (never a mirror). */
  pushEndpoint(registry: string): Endpoint {
    return { registry, host: apiHost(registry), mirror: false };
  }

  /** The origin of an endpoint, after the first ping. */
  origin(ep: Endpoint, signal?: AbortSignal): Promise<string> {
    const key = ep.origin ?? ep.host;
    let p = this.pings.get(key);
    if (!p) {
      p = this.ping(ep, signal);
      this.pings.set(key, p);
      p.catch(() => this.pings.delete(key));
    }
    return p;
  }

  private async ping(ep: Endpoint, signal?: AbortSignal): Promise<string> {
    const origin = ep.origin ?? (await this.transport.origin(ep.host, signal));
    const res = await this.transport.request({ method: 'GET', url: new URL('/v2/', origin), signal });
    const text = await res.body.text();
    if (res.status === 401) this.auth.recordChallenge(origin, res.headers['www-authenticate']);
    else if (res.status >= 400 && res.status !== 404) throw errorFromResponse(res.status, text, `${ep.registry}: ping failed`);
    return origin;
  }

  /** Sends a request with authentication; 401 after a fresh token is returned to the caller. */
  async send(ep: Endpoint, req: RegistryRequest): Promise<HttpResponse> {
    const origin = await this.origin(ep, req.signal);
    const url = req.url ?? new URL(`/v2/${req.path ?? ''}`, origin);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const target = { registry: ep.registry, origin, scopes: req.scopes, signal: req.signal };
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.authorization(target);
      const headers = { ...req.headers, ...(authorization ? { authorization } : {}) };
      const res = await this.transport.request({ ...req, url, headers });
      if (res.status !== 401 || attempt > 0) return res;
      const known = this.auth.knows(origin);
      const challenge = this.auth.recordChallenge(origin, res.headers['www-authenticate']);
      if (!challenge || (known && !authorization)) return res;
      if (typeof req.body === 'function' && req.retry === false) return res;
      await res.body.dump();
      this.auth.invalidate(target);
    }
  }

  /** Sends and throws a RegistryError for any status not in `ok`. */
  async expect(ep: Endpoint, req: RegistryRequest, ok: readonly number[], what: string, notFound?: RegistryErrorCode): Promise<HttpResponse> {
    const res = await this.send(ep, req);
    if (ok.includes(res.status)) return res;
    const text = req.method === 'HEAD' ? '' : await res.body.text().catch(() => '');
    if (req.method === 'HEAD') await res.body.dump().catch(() => undefined);
    throw errorFromResponse(res.status, text, what, notFound);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/** The pull scope of a repository. */
export function pullScope(ref: Reference): string {
  return repositoryScope(ref.path, ['pull']);
}

/** The push scope (pull,push) of a repository. */
export function pushScope(ref: Reference): string {
  return repositoryScope(ref.path, ['pull', 'push']);
}

/** Reads a response body into memory, refusing more than `limit` bytes. */
export async function readLimited(res: HttpResponse, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limit) {
    await res.body.dump();
    throw new RegistryError('SIZE_INVALID', `${what}: ${declared} bytes is more than the ${limit} allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      res.body.destroy();
      throw new RegistryError('SIZE_INVALID', `${what}: more than the ${limit} bytes allowed`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
