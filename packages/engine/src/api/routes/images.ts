import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument, notFound } from '@tdock/core';
import type { AreaOptions } from '../app.js';
import { progressRenderer } from '../progress.js';
import { boolValue, decodeAuthHeader, queryFilters, queryValue, queryValues } from '../query.js';
import { clientGone, NdjsonStream } from '../stream.js';
import type { AuthConfig } from '../types.js';
import { bodyStream, param, query, sendJson } from './common.js';

export const IMAGE_LIST_FILTERS = ['before', 'dangling', 'label', 'reference', 'since', 'until'];
export const IMAGE_PRUNE_FILTERS = ['dangling', 'label', 'label!', 'until'];

/** Splits `name/verb` from the end (names contain slashes and colons, api-surface §0.6). */
export function splitVerb(path: string, verbs: readonly string[]): { name: string; verb: string } | undefined {
  for (const verb of verbs) {
    const suffix = '/' + verb;
    if (path.endsWith(suffix) && path.length > suffix.length) return { name: path.slice(0, -suffix.length), verb };
  }
  return undefined;
}

function auth(request: FastifyRequest): AuthConfig | undefined {
  return decodeAuthHeader(request.headers['x-registry-auth']) as AuthConfig | undefined;
}

/** `/images/...` and `/distribution/{name}/json`. */
export async function imageRoutes(app: FastifyInstance, opts: AreaOptions): Promise<void> {
  const svc = opts.services.images;

  app.get('/images/json', async (request, reply) => {
    const q = query(request);
    return sendJson(
      reply,
      200,
      await svc.list({ all: boolValue(q, 'all'), digests: boolValue(q, 'digests'), sharedSize: boolValue(q, 'shared-size'), manifests: boolValue(q, 'manifests'), filters: queryFilters(q, IMAGE_LIST_FILTERS) }),
    );
  });

  app.post('/images/create', async (request, reply) => {
    const q = query(request);
    const fromImage = queryValue(q, 'fromImage') ?? '';
    const fromSrc = queryValue(q, 'fromSrc') ?? '';
    const tag = queryValue(q, 'tag') ?? '';
    const platform = queryValue(q, 'platform');
    const signal = clientGone(reply.raw);
    const out = new NdjsonStream(reply);
    const progress = progressRenderer((m) => out.send(m), () => Date.now());
    await out.run(async () => {
      if (fromImage) {
        const a = auth(request);
        await svc.pull({ fromImage, tag, ...(platform ? { platform } : {}), ...(a ? { auth: a } : {}), progress, signal });
      } else if (fromSrc) {
        const repo = queryValue(q, 'repo');
        const message = queryValue(q, 'message');
        await svc.import({
          source: fromSrc === '-' ? bodyStream(request) : fromSrc,
          ...(repo ? { repo } : {}),
          ...(tag ? { tag } : {}),
          ...(message ? { message } : {}),
          ...(platform ? { platform } : {}),
          changes: queryValues(q, 'changes'),
          progress,
          signal,
        });
      } else {
        throw invalidArgument('fromImage or fromSrc is required');
      }
    });
    return reply;
  });

  app.post('/images/load', async (request, reply) => {
    const out = new NdjsonStream(reply);
    const progress = progressRenderer((m) => out.send(m));
    await out.run(() => svc.load({ tar: bodyStream(request), quiet: boolValue(query(request), 'quiet'), progress, signal: clientGone(reply.raw) }));
    return reply;
  });

  app.get('/images/get', async (request, reply) => {
    const names = queryValues(query(request), 'names');
    return reply.code(200).type('application/x-tar').send(await svc.export(names, clientGone(reply.raw)));
  });

  app.post('/images/prune', async (request, reply) => sendJson(reply, 200, await svc.prune(queryFilters(query(request), IMAGE_PRUNE_FILTERS))));

  app.get('/images/search', async () => {
    throw notFound('image search is not supported by tdock');
  });

  app.get('/images/*', async (request, reply) => {
    const m = splitVerb(param(request, '*'), ['json', 'history', 'get']);
    if (!m) throw notFound('page not found');
    if (m.verb === 'json') return sendJson(reply, 200, await svc.inspect(m.name));
    if (m.verb === 'history') return sendJson(reply, 200, await svc.history(m.name));
    return reply.code(200).type('application/x-tar').send(await svc.export([m.name], clientGone(reply.raw)));
  });

  app.post('/images/*', async (request, reply) => {
    const m = splitVerb(param(request, '*'), ['tag', 'push']);
    if (!m) throw notFound('page not found');
    const q = query(request);
    if (m.verb === 'tag') {
      const repo = queryValue(q, 'repo') ?? '';
      if (!repo) throw invalidArgument('repository name must have at least one component');
      await svc.tag(m.name, repo, queryValue(q, 'tag') || 'latest');
      return reply.code(201).send();
    }
    const a = auth(request);
    const tag = queryValue(q, 'tag');
    const out = new NdjsonStream(reply);
    const progress = progressRenderer((msg) => out.send(msg), () => Date.now());
    await out.run(() => svc.push({ name: m.name, ...(tag ? { tag } : {}), ...(a ? { auth: a } : {}), progress, signal: clientGone(reply.raw) }));
    return reply;
  });

  app.delete('/images/*', async (request, reply) => {
    const name = param(request, '*');
    if (!name) throw notFound('page not found');
    const q = query(request);
    return sendJson(reply, 200, await svc.remove(name, { force: boolValue(q, 'force'), noprune: boolValue(q, 'noprune') }));
  });

  app.get('/distribution/*', async (request, reply) => {
    const m = splitVerb(param(request, '*'), ['json']);
    if (!m) throw notFound('page not found');
    return sendJson(reply, 200, await svc.distribution(m.name, auth(request), clientGone(reply.raw)));
  });
}
