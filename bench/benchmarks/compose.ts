/**
 * compose-up-down: `tdock compose up -d` then `down -v` of a two-service project (busybox from the
 * kit registry, `network_mode: none`, one named volume) against tdockd, versus docker-compose 1.29
 * (/usr/bin/docker-compose) against dockerd, interleaved in one run (issue 10). Goal 0.25.
 * The services trap SIGTERM, so `down` does not wait for a stop timeout on either side. Between up
 * and down, each cycle checks over the daemon's socket that both containers run (an HTTP GET, a
 * millisecond; it was a `docker ps`, whose 50 ms of CLI start-up both sides paid inside the timing).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fixtures, repoRoot } from '@tdock/testkit';
import type { Benchmark, Prepared } from '../src/harness.js';
import { pairMissing, probeTdockdRuns, removeAllContainers, socketGetter, startPair, type Engine } from './lib/daemons.js';

/** The docker-compose (v1) the reference side uses. */
const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const PROJECT = 'tdockbenchcompose';

function composeFile(image: string): string {
  const service = (vol: boolean): string[] => [
    `    image: ${image}`,
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]`,
    '    network_mode: none',
    ...(vol ? ['    volumes:', '      - data:/data'] : []),
  ];
  return ['version: "3.7"', 'services:', '  web:', ...service(true), '  worker:', ...service(false), 'volumes:', '  data: {}', ''].join('\n');
}

async function volumesLeft(e: Engine): Promise<string> {
  return (await e.docker(['volume', 'ls', '-q'])).stdout.split('\n').filter((v) => v.includes(PROJECT)).join(' ');
}

async function prepare(): Promise<Prepared> {
  const busybox = (await fixtures()).busybox.reference;
  const pair = await startPair([busybox]);
  try {
    const dir = path.join(pair.roots.dir, 'compose');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'compose.yaml');
    await writeFile(file, composeFile(`${pair.registry.host}/${busybox}`));
    const tdock = path.join(repoRoot(), 'packages/cli/bin/tdock.js');
    const tdockCompose = (args: string[]): Promise<unknown> => pair.tdockd.client(process.execPath, [tdock, 'compose', '-f', file, '-p', PROJECT, ...args]);
    const dockerCompose = (args: string[]): Promise<unknown> => pair.dockerd.client(DOCKER_COMPOSE, ['-f', file, '-p', PROJECT, ...args]);
    const getters = new Map([pair.tdockd, pair.dockerd].map((e) => [e, socketGetter(e.daemon.socket)]));
    const filter = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }));
    const cycle = (fn: (args: string[]) => Promise<unknown>, e: Engine) => async (): Promise<void> => {
      await fn(['up', '-d']);
      const res = await getters.get(e)!.get(`/containers/json?filters=${filter}`);
      const running = res.status === 200 ? (JSON.parse(res.body) as unknown[]).length : -1;
      if (running !== 2) throw new Error(`${e.label}: ${running} containers running after up, expected 2 (${res.status})`);
      await fn(['down', '-v']);
    };
    // Untimed, once: both sides leave nothing behind (containers, the named volume).
    for (const [fn, e] of [[tdockCompose, pair.tdockd], [dockerCompose, pair.dockerd]] as const) {
      await cycle(fn, e)();
      const left = await volumesLeft(e);
      if (left) throw new Error(`${e.label}: volumes left after down -v: ${left}`);
    }
    return {
      subjectLabel: 'tdock compose+tdockd', referenceLabel: 'docker-compose+dockerd',
      subject: cycle(tdockCompose, pair.tdockd),
      reference: cycle(dockerCompose, pair.dockerd),
      async teardown() {
        await tdockCompose(['down', '-v']).catch(() => undefined);
        await dockerCompose(['down', '-v']).catch(() => undefined);
        for (const e of [pair.tdockd, pair.dockerd]) await removeAllContainers(e).catch(() => undefined);
        for (const g of getters.values()) g.close();
        await pair.stop();
      },
    };
  } catch (err) {
    await pair.stop();
    throw err;
  }
}

export const composeUpDown: Benchmark = {
  name: 'compose-up-down',
  description: 'compose up -d then down -v of two services and a named volume: tdock compose+tdockd vs docker-compose 1.29+dockerd',
  goal: 0.25,
  runs: 5,
  warmup: 1,
  async skip() {
    if (!existsSync(DOCKER_COMPOSE)) return `${DOCKER_COMPOSE} is missing`;
    return pairMissing() ?? probeTdockdRuns((await fixtures()).busybox.reference);
  },
  prepare,
};
