import type { FastifyInstance } from 'fastify';
import { invalidArgument } from '@tdock/core';
import type { AreaOptions } from '../app.js';
import { intValue } from '../query.js';
import { ExecCreateSchema, ExecStartSchema } from '../schemas.js';
import { clientGone, HttpStream, MULTIPLEXED_STREAM, RAW_STREAM, streamSink } from '../stream.js';
import type { ExecCreateBody, ExecStartBody } from '../types.js';
import { versionAtLeast } from '../versions.js';
import { jsonBody, param, query, sendJson } from './common.js';


/** Exec create, start (not upgraded: detached, or a plain 200 stream), resize and inspect. */
export async function execRoutes(app: FastifyInstance, opts: AreaOptions): Promise<void> {
  const svc = opts.services.exec;

  app.post('/containers/:id/exec', async (request, reply) => {
    const body = await jsonBody<ExecCreateBody>(request, ExecCreateSchema);
    if (!body.Cmd || body.Cmd.length === 0) throw invalidArgument('No exec command specified');
    return sendJson(reply, 201, await svc.create(param(request, 'id'), body));
  });

  app.post('/exec/:id/start', async (request, reply) => {
    const body = await jsonBody<ExecStartBody>(request, ExecStartSchema);
    const cs = body.ConsoleSize && body.ConsoleSize.length === 2 ? { consoleSize: [body.ConsoleSize[0], body.ConsoleSize[1]] as [number, number] } : {};
    const startOpts = { tty: body.Tty ?? false, ...cs };
    if (body.Detach) {
      await svc.startDetached(param(request, 'id'), startOpts);
      return reply.code(200).type('application/json').send('');
    }
    const signal = clientGone(reply.raw);
    const session = await svc.start(param(request, 'id'), startOpts);
    const out = new HttpStream(reply, !session.tty && versionAtLeast(request.apiVersion, '1.42') ? MULTIPLEXED_STREAM : RAW_STREAM);
    const res = out.open();
    try {
      await session.run({ stdin: null, sink: streamSink(res, session.tty), signal });
    } finally {
      out.end();
    }
    return reply;
  });

  app.post('/exec/:id/resize', async (request, reply) => {
    const q = query(request);
    const h = intValue(q, 'h');
    const w = intValue(q, 'w');
    if (h === undefined || w === undefined || h < 0 || w < 0) throw invalidArgument('invalid resize parameters');
    await svc.resize(param(request, 'id'), h, w);
    return reply.code(200).type('text/plain; charset=utf-8').send('');
  });

  app.get('/exec/:id/json', async (request, reply) => sendJson(reply, 200, await svc.inspect(param(request, 'id'))));
}
