import type Dockerode from 'dockerode';
import type { CommandContext } from './context.js';

/**
 * Registers `POST /containers/{id}/wait?condition=...` and resolves once the daemon has sent the
 * response headers (so a start that follows cannot be missed, as docker's ContainerWait), with a
 * promise of the exit status.
 */
export async function registerWait(ctx: CommandContext, id: string, condition: 'next-exit' | 'removed' | 'not-running'): Promise<{ result: Promise<WaitResult> }> {
  const docker = await ctx.docker();
  const modem = docker.modem as unknown as { dial(opts: object, cb: (err: unknown, res: NodeJS.ReadableStream) => void): void };
  const res = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
    modem.dial({ path: `/containers/${id}/wait?`, method: 'POST', options: { condition }, isStream: true, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' } }, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
  const result = (async (): Promise<WaitResult> => {
    let body = '';
    for await (const chunk of res as AsyncIterable<Buffer>) body += chunk.toString();
    return JSON.parse(body || '{"StatusCode":-1}') as WaitResult;
  })();
  result.catch(() => {});
  return { result };
}

export type { Dockerode };

/** The body of a wait response. */
export interface WaitResult {
  StatusCode: number;
  Error?: { Message?: string } | null;
}
