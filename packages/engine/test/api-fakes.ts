import { notImplemented } from '@tdock/core';
import type { Services, SystemFacts } from '../src/api/index.js';

type Overrides = { [K in keyof Services]?: Partial<NonNullable<Services[K]>> };

/** A service object whose unlisted methods throw not-implemented (HTTP 501). */
function fake<T>(name: string, impl: Partial<T> | undefined): T {
  return new Proxy((impl ?? {}) as object, {
    get(target, prop) {
      if (prop in target) return (target as Record<string | symbol, unknown>)[prop];
      if (prop === 'then') return undefined;
      return () => {
        throw notImplemented(`fake ${name}.${String(prop)}`);
      };
    },
  }) as T;
}

export const FACTS: SystemFacts = {
  id: 'TEST:ID',
  name: 'testhost',
  containers: { total: 3, running: 1, paused: 0, stopped: 2 },
  images: 4,
  storageDriver: 'overlay2',
  driverStatus: [['Backing Filesystem', 'extfs']],
  cgroupDriver: 'cgroupfs',
  cgroupVersion: '1',
  kernelVersion: '6.1.0-test',
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  osVersion: '12',
  architecture: 'x86_64',
  ncpu: 4,
  memTotal: 8 * 1024 ** 3,
  dataRoot: '/var/lib/tdock',
  loggingDriver: 'json-file',
  securityOptions: ['name=seccomp,profile=builtin'],
  warnings: [],
  labels: [],
  gitCommit: 'abc1234',
  buildTime: '2026-01-01T00:00:00.000000000+00:00',
};

/** In-memory fakes for the HTTP layer's tests: only what a test overrides works; the rest answers 501. */
export function fakeServices(o: Overrides = {}): Services {
  return {
    system: fake('system', { facts: async () => FACTS, ...o.system }),
    containers: fake('containers', o.containers),
    images: fake('images', o.images),
    volumes: fake('volumes', o.volumes),
    networks: fake('networks', o.networks),
    exec: fake('exec', o.exec),
    events: fake('events', o.events),
    ...(o.build ? { build: fake('build', o.build) } : {}),
  };
}
