import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Duplex } from 'node:stream';
import { parse as parseQuery } from 'node:querystring';
import { API_VERSION, invalidArgument, notFound } from '@tdock/core';
import { decodeBody } from './decode.js';
import { errorBody, toHttpError } from './errors.js';
import { boolValue, queryValue, type Query } from './query.js';
import { ExecStartSchema } from './schemas.js';
import type { AttachOptions, Services, StreamSession } from './services.js';
import { MULTIPLEXED_STREAM, RAW_STREAM, streamSink } from './stream.js';
import type { ExecStartBody } from './types.js';
import { splitVersionPrefix, unsupportedVersionMessage, versionAtLeast, versionHeaders } from './versions.js';

// Attach and exec start with `Connection: Upgrade` never reach Fastify (api-surface §0.7): Node hands
// them to the server's 'upgrade' listener. This small router serves them on the raw socket, plus the
// non-upgraded attach (a 200 stream whose request body may be stdin, so Fastify must not parse it).

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable' };

/** The parsed request line of a hijackable request. */
interface Target {
  kind: 'attach' | 'exec-start';
  id: string;
  version: string;
  query: Query;
}

const ATTACH = /^\/containers\/([^/]+)\/attach$/;
const EXEC_START = /^\/exec\/([^/]+)\/start$/;

/** Matches attach/exec-start; throws a TdockError for a bad version; undefined for other paths. */
function matchTarget(method: string | undefined, url: string): Target | undefined {
  const { version, path } = splitVersionPrefix(url);
  const q = path.indexOf('?');
  const pathname = q < 0 ? path : path.slice(0, q);
  const query = parseQuery(q < 0 ? '' : path.slice(q + 1)) as Query;
  let m: RegExpExecArray | null;
  let kind: Target['kind'] | undefined;
  if (method === 'POST' && (m = ATTACH.exec(pathname))) kind = 'attach';
  else if (method === 'POST' && (m = EXEC_START.exec(pathname))) kind = 'exec-start';
  else return undefined;
  const v = version ?? API_VERSION;
  const bad = unsupportedVersionMessage(v);
  if (bad) throw invalidArgument(bad);
  return { kind, id: decodeURIComponent(m[1]), version: v, query };
}

/** Writes a raw HTTP error on a socket (Content-Type exactly application/json) and closes it. */
function writeRawError(socket: Duplex, err: unknown, serverVersion: string): void {
  const { status, message } = toHttpError(err);
  const body = status === 304 ? '' : errorBody(message);
  const head = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  for (const [k, v] of Object.entries(versionHeaders(serverVersion))) head.push(`${k}: ${v}`);
  socket.end(head.join('\r\n') + '\r\n\r\n' + body);
}

/** Reads exactly `length` body bytes from `head` and then the socket; puts anything after them back. */
function readBody(socket: Duplex, head: Buffer, length: number): Promise<Buffer> {
  if (head.length >= length) {
    if (head.length > length) socket.unshift(head.subarray(length));
    return Promise.resolve(head.subarray(0, length));
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [head];
    let have = head.length;
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      have += chunk.length;
      if (have < length) return;
      cleanup();
      socket.pause();
      const all = Buffer.concat(parts);
      if (all.length > length) socket.unshift(all.subarray(length));
      resolve(all.subarray(0, length));
    };
    const onEnd = (): void => {
      cleanup();
      reject(invalidArgument('unexpected EOF while reading request body'));
    };
    const cleanup = (): void => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

function attachOptions(q: Query): AttachOptions {
  const detachKeys = queryValue(q, 'detachKeys');
  return {
    stream: boolValue(q, 'stream'),
    logs: boolValue(q, 'logs'),
    stdin: boolValue(q, 'stdin'),
    stdout: boolValue(q, 'stdout'),
    stderr: boolValue(q, 'stderr'),
    ...(detachKeys ? { detachKeys } : {}),
  };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
  }
}

function contentTypeFor(tty: boolean, version: string): string {
  return !tty && versionAtLeast(version, '1.42') ? MULTIPLEXED_STREAM : RAW_STREAM;
}

function consoleSize(b: ExecStartBody): [number, number] | undefined {
  return b.ConsoleSize && b.ConsoleSize.length === 2 ? [b.ConsoleSize[0], b.ConsoleSize[1]] : undefined;
}

/** The router; `onUpgrade` is the http server's 'upgrade' listener, `onRequest` claims non-upgraded attach. */
export interface HijackRouter {
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Serves the request and returns true when it is a non-upgraded attach; false leaves it to Fastify. */
  onRequest(req: IncomingMessage, res: ServerResponse): boolean;
}

/** Builds the router over the container and exec services. */
export function createHijackRouter(services: Pick<Services, 'containers' | 'exec'>, serverVersion: string): HijackRouter {
  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = matchTarget(req.method, req.url ?? '/');
    if (!target) throw notFound('page not found');
    const length = Number(req.headers['content-length'] ?? 0) || 0;
    const body = await readBody(socket, head, length);
    let session: StreamSession;
    let withStdin = true;
    if (target.kind === 'attach') {
      const opts = attachOptions(target.query);
      withStdin = opts.stdin;
      session = await services.containers.attach(target.id, opts);
    } else {
      const start = decodeBody<ExecStartBody>(ExecStartSchema, parseJson(body));
      const opts = { tty: start.Tty ?? false, ...(consoleSize(start) ? { consoleSize: consoleSize(start) } : {}) };
      if (start.Detach) {
        await services.exec.startDetached(target.id, opts);
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      session = await services.exec.start(target.id, opts);
    }
    const ac = new AbortController();
    socket.once('close', () => ac.abort(new Error('client disconnected')));
    socket.on('error', () => ac.abort(new Error('client connection error')));
    const ct = contentTypeFor(session.tty, target.version);
    // The 101 header block goes out in its own write, before any frame (docker-py#3332).
    await new Promise<void>((resolve) => socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ct}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`, () => resolve()));
    if (!withStdin) socket.resume(); // else the session reads stdin; bytes wait in the socket until then
    try {
      // stdin is a pipe of the socket, so a consumer ending or destroying it cannot close the socket.
      const stdin = withStdin ? socket.pipe(new PassThrough()) : null;
      await session.run({ stdin, sink: streamSink(socket, session.tty), signal: ac.signal });
    } finally {
      if (!socket.destroyed) socket.end();
    }
  }

  async function plainAttach(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const opts = attachOptions(target.query);
    const session = await services.containers.attach(target.id, opts);
    const hasLength = req.headers['content-length'] !== undefined;
    const stdin = opts.stdin && !hasLength ? req.pipe(new PassThrough()) : null;
    if (!stdin) req.resume();
    const ac = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) ac.abort(new Error('client disconnected'));
    });
    res.writeHead(200, { 'Content-Type': contentTypeFor(session.tty, target.version), ...versionHeaders(serverVersion) });
    res.flushHeaders();
    try {
      await session.run({ stdin, sink: streamSink(res, session.tty), signal: ac.signal });
    } finally {
      if (!res.writableEnded) res.end();
    }
  }

  return {
    onUpgrade(req, socket, head): void {
      socket.on('error', () => undefined);
      upgrade(req, socket, head).catch((err: unknown) => {
        if (!socket.destroyed && !socket.writableEnded) writeRawError(socket, err, serverVersion);
      });
    },
    onRequest(req, res): boolean {
      let target: Target | undefined;
      try {
        target = matchTarget(req.method, req.url ?? '/');
      } catch {
        return false; // Fastify answers the version error
      }
      if (!target || target.kind !== 'attach') return false;
      plainAttach(req, res, target).catch((err: unknown) => {
        if (res.headersSent) {
          if (!res.writableEnded) res.end();
          return;
        }
        const { status, message } = toHttpError(err);
        res.writeHead(status, { 'Content-Type': 'application/json', ...versionHeaders(serverVersion) });
        res.end(status === 304 ? '' : errorBody(message));
      });
      return true;
    },
  };
}
