import { readdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import { RegistryError, sanitize } from './errors.js';

/** Docker's directory of per-registry TLS material (`<dir>/<host[:port]>/{*.crt,*.cert,*.key}`). */
export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';

/** A minimal structured logger (pino-compatible). Never given credentials. */
export interface RegistryLogger {
  debug(obj: object, msg?: string): void;
}

/** Transport options (a subset of {@link RegistryClientOptions}). */
export interface TransportOptions {
  /** Registries (`host[:port]`) to reach over plain HTTP or unverified TLS, as Docker's `insecure-registries`. */
  insecureRegistries?: readonly string[];
  /** Docker's certs.d directory; none is read when unset (main passes {@link DEFAULT_CERTS_DIR}). */
  certsDir?: string;
  /** Extra trusted CA certificates (PEM), added to Node's roots for every registry. */
  extraCa?: string | readonly string[];
  /** Attempts after the first for retryable failures. Default 4. */
  retries?: number;
  /** Delay before retry `attempt` (1-based); `retryAfterMs` is the server's Retry-After. Default: 250ms·2^(n-1), max 8s. */
  retryDelay?: (attempt: number, retryAfterMs?: number) => number;
  /** Keep-alive connections per origin. Default 8. */
  connections?: number;
  logger?: RegistryLogger;
}

/** A request as the transport sends it. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a function giving a fresh stream (called once per attempt). */
  body?: Uint8Array | (() => Readable);
  signal?: AbortSignal;
  /** Retry on connection errors, 5xx and 429. Default: true for GET/HEAD and buffer bodies. */
  retry?: boolean;
}

/** A response; `body` must be consumed or dumped. `url` is the final URL after redirects. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  url: URL;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED', 'ECONNABORTED',
]);
const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME/;

function errCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return String(e?.code ?? e?.cause?.code ?? '');
}

/** True when the error is a certificate verification failure. */
export function isCertificateError(err: unknown): boolean {
  return CERT_CODE.test(errCode(err));
}

/** True when a failed connection may succeed if tried again. */
export function isConnectionError(err: unknown): boolean {
  return CONNECTION_CODES.has(errCode(err));
}

/** True when a TLS handshake failed because the server speaks plain HTTP (OpenSSL's record errors). */
function isPlainHttpServer(err: unknown): boolean {
  const code = errCode(err);
  const msg = String((err as Error)?.message ?? '');
  return code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || /wrong version number|packet length too long/i.test(msg);
}

/** Docker's rule: loopback hosts are insecure (plain HTTP allowed) by default. */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host);
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1';
}

/** The host without port or IPv6 brackets. */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/**
 * HTTP to registries: one keep-alive undici Agent per registry host (each with that host's TLS
 * material), the scheme chosen once per host, redirects followed by hand (Authorization dropped
 * when the host changes), and retries with backoff on connection errors, 5xx and 429.
 */
export class Transport {
  private readonly options: TransportOptions;
  private readonly agents = new Map<string, Promise<Agent>>();
  private readonly schemes = new Map<string, 'https:' | 'http:'>();

  constructor(options: TransportOptions = {}) {
    this.options = options;
  }

  /** Whether plain HTTP (and unverified TLS for explicitly insecure ones) is allowed for a host. */
  isInsecure(host: string): boolean {
    return isLoopbackHost(host) || this.isMarkedInsecure(host);
  }

  private isMarkedInsecure(host: string): boolean {
    return (this.options.insecureRegistries ?? []).some((h) => h === host || h === hostName(host));
  }

  /**
   * The origin (`https://host`) for a registry host. Secure hosts are always HTTPS. Insecure ones
   * are tried over HTTPS first (certificates verified, except for hosts explicitly marked
   * insecure), then over plain HTTP when the server does not speak TLS; the answer is cached.
   */
  async origin(host: string, signal?: AbortSignal): Promise<string> {
    const known = this.schemes.get(host);
    if (known) return `${known}//${host}`;
    if (!this.isInsecure(host)) {
      this.schemes.set(host, 'https:');
      return `https://${host}`;
    }
    try {
      const res = await this.once({ method: 'GET', url: new URL(`https://${host}/v2/`), signal });
      await res.body.dump();
      this.schemes.set(host, 'https:');
    } catch (err) {
      if (!isPlainHttpServer(err)) throw this.wrap(err, host);
      this.schemes.set(host, 'http:');
    }
    return `${this.schemes.get(host)}//${host}`;
  }

  /** Sends a request with retries and redirects. Non-2xx responses are returned, not thrown. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const max = (req.retry ?? (req.method === 'GET' || req.method === 'HEAD' || !(typeof req.body === 'function'))) ? (this.options.retries ?? 4) : 0;
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.follow(req);
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason ?? err;
        if (attempt < max && isConnectionError(err)) {
          await this.backoff(attempt + 1, undefined, req, errCode(err));
          continue;
        }
        throw this.wrap(err, req.url.host);
      }
      const retryable = res.status === 429 || (res.status >= 500 && res.status !== 501 && res.status !== 505);
      if (attempt < max && retryable) {
        await res.body.dump();
        await this.backoff(attempt + 1, retryAfterMs(res.headers['retry-after']), req, String(res.status));
        continue;
      }
      return res;
    }
  }

  /** Waits before a retry. */
  async backoff(attempt: number, retryAfter: number | undefined, req: { method: string; url: URL; signal?: AbortSignal }, why: string): Promise<void> {
    const delay = this.options.retryDelay?.(attempt, retryAfter) ?? Math.min(retryAfter ?? 250 * 2 ** (attempt - 1), 8000);
    this.options.logger?.debug({ method: req.method, url: redactUrl(req.url), attempt, delay, why }, 'registry request retry');
    await sleep(delay, undefined, { signal: req.signal });
  }

  /** Maximum retries (for callers that retry at a higher level, such as blob resume). */
  get retries(): number {
    return this.options.retries ?? 4;
  }

  private async follow(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...req.headers };
    for (let hops = 0; ; hops++) {
      const res = await this.once({ ...req, url, headers });
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.status) || typeof location !== 'string' || hops >= 10) return res;
      await res.body.dump();
      const next = new URL(location, url);
      if (next.host !== url.host || next.protocol !== url.protocol) {
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      url = next;
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const agent = await this.agent(req.url.host);
    const body = typeof req.body === 'function' ? req.body() : req.body;
    const started = Date.now();
    const res = await agent.request({
      origin: req.url.origin, path: req.url.pathname + req.url.search, method: req.method,
      headers: { 'user-agent': 'tdock', ...req.headers }, body: body ?? null, signal: req.signal ?? null,
    });
    this.options.logger?.debug({ method: req.method, url: redactUrl(req.url), status: res.statusCode, ms: Date.now() - started }, 'registry request');
    return { status: res.statusCode, headers: res.headers, body: res.body, url: req.url };
  }

  private agent(host: string): Promise<Agent> {
    let agent = this.agents.get(host);
    if (!agent) {
      agent = this.createAgent(host);
      this.agents.set(host, agent);
      agent.catch(() => this.agents.delete(host));
    }
    return agent;
  }

  private async createAgent(host: string): Promise<Agent> {
    const extra = this.options.extraCa === undefined ? [] : ([] as string[]).concat(this.options.extraCa);
    const material = this.options.certsDir ? await readCertsDir(join(this.options.certsDir, host)) : { ca: [] };
    const ca = extra.length + material.ca.length > 0 ? [...rootCertificates, ...extra, ...material.ca] : undefined;
    return new Agent({
      keepAliveTimeout: 30_000,
      connections: this.options.connections ?? 8,
      connect: {
        ...(ca ? { ca } : {}),
        ...(material.cert && material.key ? { cert: material.cert, key: material.key } : {}),
        rejectUnauthorized: !this.isMarkedInsecure(host),
      },
    });
  }

  private wrap(err: unknown, host: string): unknown {
    if (err instanceof RegistryError || (err as Error)?.name === 'AbortError') return err;
    if (isCertificateError(err)) {
      return new RegistryError('TLS', `tls: failed to verify certificate of ${host}: ${sanitize((err as Error).message)}`, { cause: err, retryable: false });
    }
    if (isConnectionError(err) || errCode(err).startsWith('ERR_SSL_')) {
      return new RegistryError('CONNECTION', `cannot reach registry ${host}: ${sanitize((err as Error).message)} (${errCode(err)})`, { cause: err });
    }
    return err;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map(async (a) => (await a.catch(() => undefined))?.close()));
  }
}

/** Retry-After (seconds or an HTTP date) in milliseconds. */
export function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** A URL for logs: no query (upload state, signed URLs) and no userinfo. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** TLS material from a certs.d host directory, as Docker reads it: `*.crt` CAs, `*.cert`+`*.key` pairs. */
export async function readCertsDir(dir: string): Promise<{ ca: string[]; cert?: string; key?: string }> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ca: [] };
    throw err;
  }
  const ca: string[] = [];
  let cert: string | undefined;
  let key: string | undefined;
  for (const name of names) {
    if (name.endsWith('.crt')) ca.push(await readFile(join(dir, name), 'utf8'));
    else if (name.endsWith('.cert')) {
      const keyName = name.slice(0, -'.cert'.length) + '.key';
      if (!names.includes(keyName)) throw new Error(`missing key ${keyName} for client certificate ${name} in ${dir}`);
      cert = await readFile(join(dir, name), 'utf8');
      key = await readFile(join(dir, keyName), 'utf8');
    }
  }
  return { ca, ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
}
