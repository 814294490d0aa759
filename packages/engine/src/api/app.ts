import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { API_VERSION, TDOCK_VERSION } from '@tdock/core';
import { errorBody, toHttpError } from './errors.js';
import { createHijackRouter } from './hijack.js';
import type { Services } from './services.js';
import { splitVersionPrefix, unsupportedVersionMessage, versionHeaders } from './versions.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { volumeRoutes } from './routes/volumes.js';
import { networkRoutes } from './routes/networks.js';
import { buildRoutes } from './routes/build.js';
import { unsupportedRoutes } from './routes/unsupported.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated API version: the `/vX.Y` prefix, or 1.47 for unversioned paths. */
    apiVersion: string;
  }
}

/** Where the version prefix found by rewriteUrl is kept until the onRequest hook reads it. */
const kVersion = Symbol('tdock.apiVersion');
type VersionedRequest = IncomingMessage & { [kVersion]?: string };

export interface BuildAppOptions {
  /** Reported in `Server:` and `/version` (default: the product version). */
  serverVersion?: string;
  /** A pino logger for 500s (Fastify's own request logging stays off), or false for none (default). */
  logger?: FastifyBaseLogger | false;
  /** Node's `maxHeaderSize` for the server (dockerode repeats the create body in the query). Default 1 MiB. */
  maxHeaderSize?: number;
  /** JSON body limit; tar and octet-stream bodies are streamed and unlimited. Default 64 MiB. */
  bodyLimit?: number;
}

/** The options each area plugin receives. */
export interface AreaOptions {
  services: Services;
  serverVersion: string;
}

/** Media types whose bodies stay streams (build contexts, archives, image tars, imports). */
const STREAM_TYPES = ['application/x-tar', 'application/tar', 'application/octet-stream', 'application/x-gzip', 'application/gzip', 'application/x-xz', 'application/x-bzip2', 'application/zstd'];

/**
 * Builds tdockd's Fastify app over `services` (DESIGN §7): version middleware, the error mapping,
 * lenient body parsing, one plugin per area, and the hijack router on the server's 'upgrade' event.
 * The caller listens; tests use `inject()`.
 */
export function buildApp(services: Services, opts: BuildAppOptions = {}): FastifyInstance {
  const serverVersion = opts.serverVersion ?? TDOCK_VERSION;
  const hijack = createHijackRouter(services, serverVersion);
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 64 * 1024 * 1024,
    routerOptions: { maxParamLength: 65536 },
    return503OnClosing: false,
    serverFactory: (handler) => {
      const server = http.createServer({ maxHeaderSize: opts.maxHeaderSize ?? 1024 * 1024 }, (req: IncomingMessage, res: ServerResponse) => {
        if (!hijack.onRequest(req, res)) handler(req, res);
      });
      server.on('upgrade', hijack.onUpgrade);
      return server;
    },
    rewriteUrl(req) {
      const { version, path } = splitVersionPrefix(req.url ?? '/');
      if (version !== undefined) (req as VersionedRequest)[kVersion] = version;
      return path;
    },
  });

  app.decorateRequest('apiVersion', '');
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(versionHeaders(serverVersion));
    const v = (request.raw as VersionedRequest)[kVersion] ?? API_VERSION;
    request.apiVersion = v;
    const bad = unsupportedVersionMessage(v);
    if (bad) {
      reply.code(400).type('application/json').send(errorBody(bad));
      return reply;
    }
    return undefined;
  });
  // At debug level, one line per request with its status and duration (dockerd logs the same at debug).
  const reqLog = opts.logger || undefined;
  if (reqLog && (reqLog as FastifyBaseLogger & { isLevelEnabled?(l: string): boolean }).isLevelEnabled?.('debug')) {
    app.addHook('onResponse', async (request, reply) => {
      reqLog.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'api request');
    });
  }
  // Docker clients decode errors only for exactly `application/json` (api-surface §0.4).
  app.addHook('onSend', async (_request, reply, payload) => {
    const ct = reply.getHeader('content-type');
    if (typeof ct === 'string' && ct.startsWith('application/json;')) reply.header('content-type', 'application/json');
    return payload;
  });

  // JSON: an empty body is {} (moby's ReadJSON); bad JSON is a 400 with Go-like wording.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const e = new Error(`invalid JSON: ${(err as Error).message}`) as Error & { statusCode: number };
      e.statusCode = 400;
      done(e, undefined);
    }
  });
  // text/plain is what the docker CLI sends for a body it gives no type, such as the tar of
  // `docker cp` (PUT .../archive) and of `docker import` (POST /images/create?fromSrc=-): that stays
  // a stream, whatever its size. Anything else sent as text/plain is read (up to the body limit)
  // and taken as JSON when it parses, else ignored.
  app.addContentTypeParser('text/plain', (req, payload, done) => {
    if (req.method === 'PUT' && /\/archive(\?|$)/.test(req.url ?? '')) return done(null, payload);
    if (req.method === 'POST' && /\/images\/create\?(.*&)?fromSrc=/.test(req.url ?? '')) return done(null, payload);
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= (opts.bodyLimit ?? 64 * 1024 * 1024)) chunks.push(c);
    });
    payload.on('error', (err) => done(err, undefined));
    payload.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(null, undefined);
      }
    });
  });
  app.addContentTypeParser(STREAM_TYPES, (_req, payload, done) => done(null, payload));
  // Anything else (no type, unknown types): keep the raw stream; JSON routes decode `undefined` as {}.
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).type('application/json').send(errorBody('page not found'));
  });
  const log = opts.logger || undefined;
  app.setErrorHandler((err, request, reply) => {
    const { status, message } = toHttpError(err);
    if (status === 500) log?.error({ err, method: request.method, url: request.url }, 'request failed');
    if (status === 304) {
      reply.code(304).send();
      return;
    }
    reply.code(status).type('application/json').send(errorBody(message));
  });

  const area: AreaOptions = { services, serverVersion };
  app.register(systemRoutes, area);
  app.register(containerRoutes, area);
  app.register(execRoutes, area);
  app.register(imageRoutes, area);
  app.register(volumeRoutes, area);
  app.register(networkRoutes, area);
  app.register(buildRoutes, area);
  app.register(unsupportedRoutes, area);
  return app;
}
