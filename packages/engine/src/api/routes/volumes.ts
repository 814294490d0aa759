import type { FastifyInstance } from 'fastify';
import type { AreaOptions } from '../app.js';
import { boolValue, queryFilters } from '../query.js';
import { VolumeCreateSchema } from '../schemas.js';
import type { VolumeCreateBody } from '../types.js';
import { jsonBody, noContent, param, query, sendJson } from './common.js';

export const VOLUME_LIST_FILTERS = ['dangling', 'driver', 'label', 'name'];
export const VOLUME_PRUNE_FILTERS = ['label', 'label!', 'all'];

/** `/volumes...`. */
export async function volumeRoutes(app: FastifyInstance, opts: AreaOptions): Promise<void> {
  const svc = opts.services.volumes;
  app.get('/volumes', async (request, reply) => sendJson(reply, 200, await svc.list(queryFilters(query(request), VOLUME_LIST_FILTERS))));
  app.post('/volumes/create', async (request, reply) => sendJson(reply, 201, await svc.create(await jsonBody<VolumeCreateBody>(request, VolumeCreateSchema))));
  app.post('/volumes/prune', async (request, reply) => sendJson(reply, 200, await svc.prune(queryFilters(query(request), VOLUME_PRUNE_FILTERS))));
  app.get('/volumes/:name', async (request, reply) => sendJson(reply, 200, await svc.inspect(param(request, 'name'))));
  app.delete('/volumes/:name', async (request, reply) => {
    await svc.remove(param(request, 'name'), boolValue(query(request), 'force'));
    return noContent(reply);
  });
}
