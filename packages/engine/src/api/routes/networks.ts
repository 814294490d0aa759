import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '@tdock/core';
import type { AreaOptions } from '../app.js';
import { boolValue, queryFilters, queryValue } from '../query.js';
import { NetworkConnectSchema, NetworkCreateSchema, NetworkDisconnectSchema } from '../schemas.js';
import type { EndpointSettings, NetworkCreateBody } from '../types.js';
import { jsonBody, noContent, param, query, sendJson } from './common.js';

export const NETWORK_LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];
export const NETWORK_PRUNE_FILTERS = ['until', 'label', 'label!'];

/** `/networks...`. */
export async function networkRoutes(app: FastifyInstance, opts: AreaOptions): Promise<void> {
  const svc = opts.services.networks;
  app.get('/networks', async (request, reply) => sendJson(reply, 200, await svc.list(queryFilters(query(request), NETWORK_LIST_FILTERS))));
  app.post('/networks/create', async (request, reply) => {
    const body = await jsonBody<NetworkCreateBody>(request, NetworkCreateSchema);
    if (!body.Name) throw invalidArgument('network name must not be empty');
    return sendJson(reply, 201, await svc.create(body));
  });
  app.post('/networks/prune', async (request, reply) => sendJson(reply, 200, await svc.prune(queryFilters(query(request), NETWORK_PRUNE_FILTERS))));
  app.get('/networks/:id', async (request, reply) => {
    const q = query(request);
    const scope = queryValue(q, 'scope');
    return sendJson(reply, 200, await svc.inspect(param(request, 'id'), { verbose: boolValue(q, 'verbose'), ...(scope ? { scope } : {}) }));
  });
  app.delete('/networks/:id', async (request, reply) => {
    await svc.remove(param(request, 'id'));
    return noContent(reply);
  });
  app.post('/networks/:id/connect', async (request, reply) => {
    const body = await jsonBody<{ Container?: string; EndpointConfig?: EndpointSettings }>(request, NetworkConnectSchema);
    if (!body.Container) throw invalidArgument('container is required');
    await svc.connect(param(request, 'id'), body.Container, body.EndpointConfig);
    return reply.code(200).send();
  });
  app.post('/networks/:id/disconnect', async (request, reply) => {
    const body = await jsonBody<{ Container?: string; Force?: boolean }>(request, NetworkDisconnectSchema);
    if (!body.Container) throw invalidArgument('container is required');
    await svc.disconnect(param(request, 'id'), body.Container, body.Force ?? false);
    return reply.code(200).send();
  });
}
