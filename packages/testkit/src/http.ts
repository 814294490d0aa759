// A tiny HTTP(S) client for the kit's readiness checks and its own tests (node:http, no deps),
// plus a poller that waits until a URL answers.
import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { sleep } from './proc.js';

/** A buffered HTTP response. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** PEM CA bundle to trust (https only). Without it Node's default roots apply. */
  ca?: string | Buffer;
  /** Connect over this unix socket instead of TCP (the URL's path is used). */
  socketPath?: string;
  timeoutMs?: number;
  body?: Buffer | string;
}

/** Sends one request and buffers the response body. Rejects on connection or TLS errors. */
export function httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  const doRequest = isHttps ? httpsRequestRaw : httpRequestRaw;
  return new Promise((resolve, reject) => {
    const req = doRequest({
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port,
      path: `${u.pathname}${u.search}`,
      method: opts.method ?? 'GET',
      headers: opts.headers,
      socketPath: opts.socketPath,
      agent: false,
      ...(isHttps && opts.ca !== undefined ? { ca: opts.ca } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout requesting ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Options of {@link waitForHttp}. */
export interface WaitForHttpOptions extends HttpRequestOptions {
  /** Give up after this many milliseconds (default 20 s). */
  deadlineMs?: number;
  /** Accept these statuses (default: any response at all). */
  okStatuses?: readonly number[];
  /** Called between attempts; throw from it to abort early (for example when the daemon died). */
  check?: () => void;
}

/** Polls `url` until it answers with an accepted status; rejects with the last error at the deadline. */
export async function waitForHttp(url: string, opts: WaitForHttpOptions = {}): Promise<HttpResponse> {
  const deadline = Date.now() + (opts.deadlineMs ?? 20_000);
  let last: unknown = new Error('no attempt made');
  let delay = 20;
  while (Date.now() < deadline) {
    opts.check?.();
    try {
      const res = await httpRequest(url, { ...opts, timeoutMs: Math.min(opts.timeoutMs ?? 2000, Math.max(100, deadline - Date.now())) });
      if (!opts.okStatuses || opts.okStatuses.includes(res.status)) return res;
      last = new Error(`${url} answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
    } catch (e) {
      last = e;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
  opts.check?.();
  throw new Error(`${url} did not become ready: ${last instanceof Error ? last.message : String(last)}`);
}
