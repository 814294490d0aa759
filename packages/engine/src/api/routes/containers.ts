import type { FastifyInstance, FastifyReply } from 'fastify';
import { invalidArgument } from '@tdock/core';
import type { AreaOptions } from '../app.js';
import { boolValue, intValue, queryFilters, queryValue, queryValues, parseTimestamp } from '../query.js';
import { ContainerConfigSchema, ContainerCreateSchema, ContainerUpdateSchema } from '../schemas.js';
import type { PathStat } from '../services.js';
import { clientGone, frame, HttpStream, MULTIPLEXED_STREAM, RAW_STREAM } from '../stream.js';
import type { ContainerConfig, ContainerCreateBody, Resources, RestartPolicy } from '../types.js';
import { versionAtLeast } from '../versions.js';
import { bodyStream, jsonBody, noContent, param, query, sendJson } from './common.js';

/** moby's accepted filters for `GET /containers/json` and `POST /containers/prune`. */
export const CONTAINER_LIST_FILTERS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'];
export const CONTAINER_PRUNE_FILTERS = ['label', 'label!', 'until'];

const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'] as const;

/** `X-Docker-Container-Path-Stat`: base64 of the stat JSON. */
function pathStatHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

function stopOptions(q: Record<string, string | string[] | undefined>): { signal?: string; timeout?: number } {
  const signal = queryValue(q, 'signal');
  const timeout = intValue(q, 't');
  return { ...(signal ? { signal } : {}), ...(timeout !== undefined ? { timeout } : {}) };
}

function streamType(tty: boolean, version: string): string {
  return !tty && versionAtLeast(version, '1.42') ? MULTIPLEXED_STREAM : RAW_STREAM;
}

async function sendStream(reply: FastifyReply, contentType: string, body: NodeJS.ReadableStream, headers: Record<string, string> = {}): Promise<FastifyReply> {
  reply.code(200).headers(headers).type(contentType);
  return reply.send(body);
}

/** Every `/containers/...` route except attach (hijack.ts) and exec create (exec.ts). */
export async function containerRoutes(app: FastifyInstance, opts: AreaOptions): Promise<void> {
  const svc = opts.services.containers;

  app.get('/containers/json', async (request, reply) => {
    const q = query(request);
    const limit = intValue(q, 'limit');
    const list = await svc.list({
      all: boolValue(q, 'all'),
      limit: limit === undefined || limit <= 0 ? -1 : limit,
      size: boolValue(q, 'size'),
      filters: queryFilters(q, CONTAINER_LIST_FILTERS),
    });
    return sendJson(reply, 200, list);
  });

  app.post('/containers/create', async (request, reply) => {
    const q = query(request);
    const name = queryValue(q, 'name');
    if (name && !NAME.test(name)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const body = await jsonBody<ContainerCreateBody>(request, ContainerCreateSchema);
    if (Object.keys(body).length === 0) throw invalidArgument('config cannot be empty in order to create a container');
    const platform = queryValue(q, 'platform');
    const res = await svc.create({ ...(name ? { name } : {}), ...(platform ? { platform } : {}), body, apiVersion: request.apiVersion });
    return sendJson(reply, 201, { Id: res.Id, Warnings: res.Warnings ?? [] });
  });

  app.post('/containers/prune', async (request, reply) => sendJson(reply, 200, await svc.prune(queryFilters(query(request), CONTAINER_PRUNE_FILTERS))));

  app.get('/containers/:id/json', async (request, reply) => sendJson(reply, 200, await svc.inspect(param(request, 'id'), { size: boolValue(query(request), 'size') })));

  app.post('/containers/:id/start', async (request, reply) => {
    const detachKeys = queryValue(query(request), 'detachKeys');
    await svc.start(param(request, 'id'), detachKeys ? { detachKeys } : {});
    return noContent(reply);
  });
  app.post('/containers/:id/stop', async (request, reply) => {
    await svc.stop(param(request, 'id'), stopOptions(query(request)));
    return noContent(reply);
  });
  app.post('/containers/:id/restart', async (request, reply) => {
    await svc.restart(param(request, 'id'), stopOptions(query(request)));
    return noContent(reply);
  });
  app.post('/containers/:id/kill', async (request, reply) => {
    await svc.kill(param(request, 'id'), queryValue(query(request), 'signal') || 'KILL');
    return noContent(reply);
  });
  app.post('/containers/:id/pause', async (request, reply) => {
    await svc.pause(param(request, 'id'));
    return noContent(reply);
  });
  app.post('/containers/:id/unpause', async (request, reply) => {
    await svc.unpause(param(request, 'id'));
    return noContent(reply);
  });

  app.post('/containers/:id/wait', async (request, reply) => {
    const cond = queryValue(query(request), 'condition') || 'not-running';
    if (!(WAIT_CONDITIONS as readonly string[]).includes(cond)) throw invalidArgument(`invalid condition: "${cond}"`);
    const signal = clientGone(reply.raw);
    const handle = await svc.wait(param(request, 'id'), cond as (typeof WAIT_CONDITIONS)[number], signal);
    const out = new HttpStream(reply, 'application/json');
    out.open(); // `docker run` starts the container only after these headers arrive
    try {
      // A client that hangs up (the CLI cancels its wait after `run -d`) ends the wait.
      const gone = new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
      gone.catch(() => undefined);
      const res = await Promise.race([handle.result, gone]);
      out.write(JSON.stringify(res.Error ? { Error: res.Error, StatusCode: res.StatusCode } : { StatusCode: res.StatusCode }) + '\n');
    } catch (err) {
      out.write(JSON.stringify({ Error: { Message: (err as Error).message }, StatusCode: -1 }) + '\n');
    }
    out.end();
    return reply;
  });

  app.delete('/containers/:id', async (request, reply) => {
    const q = query(request);
    await svc.remove(param(request, 'id'), { force: boolValue(q, 'force'), volumes: boolValue(q, 'v'), link: boolValue(q, 'link') });
    return noContent(reply);
  });

  app.get('/containers/:id/logs', async (request, reply) => {
    const q = query(request);
    const stdout = boolValue(q, 'stdout');
    const stderr = boolValue(q, 'stderr');
    if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const tailRaw = queryValue(q, 'tail') ?? 'all';
    const tailN = Number.parseInt(tailRaw, 10);
    const tail = tailRaw === 'all' || Number.isNaN(tailN) || tailN < 0 ? 'all' : tailN;
    const timestamps = boolValue(q, 'timestamps');
    const signal = clientGone(reply.raw);
    const logs = await svc.logs(param(request, 'id'), {
      follow: boolValue(q, 'follow'),
      stdout,
      stderr,
      since: parseTimestamp(queryValue(q, 'since'), 'since'),
      until: parseTimestamp(queryValue(q, 'until'), 'until'),
      timestamps,
      tail,
      details: boolValue(q, 'details'),
      signal,
    });
    const out = new HttpStream(reply, streamType(logs.tty, request.apiVersion));
    out.open();
    try {
      for await (const e of logs.entries) {
        if (signal.aborted) break;
        const data = timestamps ? Buffer.concat([Buffer.from(e.time + ' '), e.data]) : e.data;
        out.write(logs.tty ? data : frame(e.stream === 'stderr' ? 2 : 1, data));
        await out.drained();
      }
    } finally {
      out.end();
    }
    return reply;
  });

  app.post('/containers/:id/resize', async (request, reply) => {
    const q = query(request);
    const h = intValue(q, 'h');
    const w = intValue(q, 'w');
    if (h === undefined || w === undefined || h < 0 || w < 0 || h > 0xffffffff || w > 0xffffffff) throw invalidArgument('invalid resize parameters');
    await svc.resize(param(request, 'id'), h, w);
    return reply.code(200).type('text/plain; charset=utf-8').send('');
  });

  app.get('/containers/:id/top', async (request, reply) => sendJson(reply, 200, await svc.top(param(request, 'id'), queryValue(query(request), 'ps_args') || '-ef')));

  app.get('/containers/:id/stats', async (request, reply) => {
    const q = query(request);
    const stream = boolValue(q, 'stream', true);
    const signal = clientGone(reply.raw);
    const it = svc.stats(param(request, 'id'), { stream, oneShot: boolValue(q, 'one-shot'), signal });
    const out = new HttpStream(reply, 'application/json');
    try {
      for await (const s of it) {
        if (signal.aborted) break;
        out.write(JSON.stringify(s) + '\n');
        await out.drained();
        if (!stream) break;
      }
    } catch (err) {
      if (!out.started) throw err;
    }
    out.end();
    return reply;
  });

  app.post('/containers/:id/rename', async (request, reply) => {
    const name = queryValue(query(request), 'name') ?? '';
    if (!name) throw invalidArgument('Neither old nor new names may be empty');
    if (!NAME.test(name)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    await svc.rename(param(request, 'id'), name);
    return noContent(reply);
  });

  app.post('/containers/:id/update', async (request, reply) => {
    const body = await jsonBody<Resources & { RestartPolicy?: RestartPolicy }>(request, ContainerUpdateSchema);
    return sendJson(reply, 200, await svc.update(param(request, 'id'), body));
  });

  app.get('/containers/:id/changes', async (request, reply) => sendJson(reply, 200, await svc.changes(param(request, 'id'))));

  app.get('/containers/:id/export', async (request, reply) => sendStream(reply, 'application/x-tar', await svc.export(param(request, 'id'), clientGone(reply.raw))));

  app.head('/containers/:id/archive', async (request, reply) => {
    const path = queryValue(query(request), 'path');
    if (!path) throw invalidArgument('path cannot be empty');
    const stat = await svc.statPath(param(request, 'id'), path);
    return reply.code(200).header('X-Docker-Container-Path-Stat', pathStatHeader(stat)).type('application/x-tar').send();
  });
  app.get('/containers/:id/archive', async (request, reply) => {
    const path = queryValue(query(request), 'path');
    if (!path) throw invalidArgument('path cannot be empty');
    const { stat, tar } = await svc.getArchive(param(request, 'id'), path, clientGone(reply.raw));
    return sendStream(reply, 'application/x-tar', tar, { 'X-Docker-Container-Path-Stat': pathStatHeader(stat) });
  });
  app.put('/containers/:id/archive', async (request, reply) => {
    const q = query(request);
    const path = queryValue(q, 'path');
    if (!path) throw invalidArgument('path cannot be empty');
    await svc.putArchive(param(request, 'id'), path, bodyStream(request), {
      noOverwriteDirNonDir: boolValue(q, 'noOverwriteDirNonDir'),
      copyUIDGID: boolValue(q, 'copyUIDGID'),
    });
    return reply.code(200).send();
  });

  app.post('/commit', async (request, reply) => {
    const q = query(request);
    const container = queryValue(q, 'container') ?? '';
    const config = await jsonBody<ContainerConfig>(request, ContainerConfigSchema);
    const str = (k: string): Record<string, string> => {
      const v = queryValue(q, k);
      return v ? { [k]: v } : {};
    };
    const res = await svc.commit({ container, ...str('repo'), ...str('tag'), ...str('comment'), ...str('author'), pause: boolValue(q, 'pause', true), changes: queryValues(q, 'changes'), config });
    return sendJson(reply, 201, res);
  });
}
