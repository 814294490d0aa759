import type { FastifyInstance } from 'fastify';
import { notImplemented } from '@tdock/core';
import type { AreaOptions } from '../app.js';
import { progressRenderer } from '../progress.js';
import { boolValue, decodeAuthHeader, intValue, queryFilters } from '../query.js';
import { clientGone, NdjsonStream } from '../stream.js';
import type { AuthConfig } from '../types.js';
import { bodyStream, query, sendJson } from './common.js';

export const BUILD_PRUNE_FILTERS = ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private'];

/** The legacy builder's `/build` and `/build/prune`; 501 when no BuildService is wired. */
export async function buildRoutes(app: FastifyInstance, opts: AreaOptions): Promise<void> {
  const svc = opts.services.build;
  app.post('/build', async (request, reply) => {
    if (!svc) throw notImplemented('the builder is not available in this tdockd');
    const registryConfig = decodeAuthHeader(request.headers['x-registry-config']) as Record<string, AuthConfig> | undefined;
    const out = new NdjsonStream(reply);
    const progress = progressRenderer((m) => out.send(m));
    await out.run(() => svc.build({ context: bodyStream(request), query: query(request), ...(registryConfig ? { registryConfig } : {}), progress, signal: clientGone(reply.raw) }));
    return reply;
  });
  app.post('/build/prune', async (request, reply) => {
    if (!svc) return sendJson(reply, 200, { CachesDeleted: [], SpaceReclaimed: 0 });
    const q = query(request);
    const keep = intValue(q, 'keep-storage');
    return sendJson(reply, 200, await svc.prune({ all: boolValue(q, 'all'), ...(keep !== undefined ? { keepStorage: keep } : {}), filters: queryFilters(q, BUILD_PRUNE_FILTERS) }));
  });
}
