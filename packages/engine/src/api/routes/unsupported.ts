import type { FastifyInstance } from 'fastify';
import { notFound } from '@tdock/core';
import type { AreaOptions } from '../app.js';

/** Features tdock does not have; the CLI treats 404 as "skip" (api-surface §1.14). */
const AREAS = ['swarm', 'services', 'nodes', 'tasks', 'secrets', 'configs', 'plugins', 'session', 'grpc'];

/** Answers every endpoint of an unbuilt feature at once with 404 and a clear message. */
export async function unsupportedRoutes(app: FastifyInstance, _opts: AreaOptions): Promise<void> {
  for (const area of AREAS) {
    const handler = async (): Promise<never> => {
      throw notFound(`${area === 'plugins' ? 'plugins are' : area === 'session' || area === 'grpc' ? 'BuildKit is' : 'swarm mode is'} not supported by tdock`);
    };
    app.all(`/${area}`, handler);
    app.all(`/${area}/*`, handler);
  }
}
