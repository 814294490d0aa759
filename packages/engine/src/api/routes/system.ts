import type { FastifyInstance } from 'fastify';
import type { AreaOptions } from '../app.js';
import { renderInfo, renderVersion } from '../info.js';
import { queryFilters, queryValue, queryValues, parseTimestamp } from '../query.js';
import { AuthConfigSchema } from '../schemas.js';
import type { EngineEvent } from '../services.js';
import { clientGone, HttpStream } from '../stream.js';
import type { AuthConfig, JsonObject } from '../types.js';
import { jsonBody, query, sendJson } from './common.js';

/** Filter keys moby accepts on `/events`. */
export const EVENT_FILTERS = ['container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume', 'config'];

/** Adds the deprecated `status`/`id`/`from` fields API 1.47 still sends (compose 1.29 reads them). */
export function legacyEvent(e: EngineEvent): JsonObject {
  const out: JsonObject = {};
  if (e.Type === 'container' || e.Type === 'image') {
    out.status = e.Action;
    out.id = e.Actor.ID;
    if (e.Type === 'container' && e.Actor.Attributes.image !== undefined) out.from = e.Actor.Attributes.image;
  }
  return { ...out, Type: e.Type, Action: e.Action, Actor: { ID: e.Actor.ID, Attributes: e.Actor.Attributes }, scope: e.scope, time: e.time, timeNano: String(e.timeNano) };
}

/** One event line; `timeNano` is written as an exact integer. */
export function eventLine(e: EngineEvent): string {
  return JSON.stringify(legacyEvent(e)).replace(/"timeNano":"(-?\d+)"/, '"timeNano":$1') + '\n';
}

/** `_ping`, `/version`, `/info`, `/system/df`, `/auth`, `/events`. */
export async function systemRoutes(app: FastifyInstance, opts: AreaOptions): Promise<void> {
  const { services, serverVersion } = opts;

  app.route({
    method: ['GET', 'HEAD'],
    url: '/_ping',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      reply.header('Cache-Control', 'no-cache, no-store, must-revalidate');
      reply.header('Pragma', 'no-cache');
      reply.header('Builder-Version', '1');
      reply.header('Swarm', 'inactive');
      if (request.method === 'HEAD') {
        reply.header('Content-Type', 'text/plain; charset=utf-8');
        reply.header('Content-Length', '0');
        return reply.code(200).send();
      }
      return reply.code(200).type('text/plain; charset=utf-8').send('OK');
    },
  });

  app.get('/version', async (_request, reply) => sendJson(reply, 200, renderVersion(await services.system.facts(), serverVersion)));
  app.get('/info', async (_request, reply) => sendJson(reply, 200, renderInfo(await services.system.facts(), serverVersion, Date.now())));

  app.get('/system/df', async (request, reply) => {
    const q = query(request);
    const types = queryValues(q, 'type');
    return sendJson(reply, 200, await services.system.diskUsage({ types, signal: clientGone(reply.raw) }));
  });

  app.post('/auth', async (request, reply) => {
    const body = await jsonBody<AuthConfig>(request, AuthConfigSchema);
    return sendJson(reply, 200, await services.system.auth(body, clientGone(reply.raw)));
  });

  app.get('/events', async (request, reply) => {
    const q = query(request);
    const filters = queryFilters(q, EVENT_FILTERS);
    const since = parseTimestamp(queryValue(q, 'since'), 'since');
    const until = parseTimestamp(queryValue(q, 'until'), 'until');
    const signal = clientGone(reply.raw);
    const events = services.events.subscribe({ since, until, filters, signal });
    const out = new HttpStream(reply, 'application/json');
    out.open(); // the Go client's Events() blocks until headers arrive
    try {
      for await (const e of events) {
        if (signal.aborted) break;
        out.write(eventLine(e));
        await out.drained();
      }
    } finally {
      out.end();
    }
    return reply;
  });
}
