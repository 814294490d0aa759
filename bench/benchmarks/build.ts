/**
 * build-*: the same small Dockerfile (FROM the kit's busybox, two COPY steps, a RUN, CMD) built with
 * `DOCKER_BUILDKIT=0 docker build --network none` against tdockd and against dockerd's legacy
 * builder, interleaved in one run (issue 9).
 * - build-cold: before every run (untimed) the image is removed, `builder prune -af` is run and the
 *   Dockerfile gets a fresh `LABEL` nonce right after FROM, so no step can come from the cache. Goal 0.8.
 * - build-noop: a rebuild of an unchanged context (every step cached). Goal 0.3. Extras, measured after the runs,
 *   interleaved: the docker CLI's own floor on each side (`docker version`: start-up, /_ping, one request), and the
 *   daemon's own time for the same no-op build (`POST /build?q=1` of the context tar straight on its socket, no CLI).
 * - build-changed: before every run (untimed) the first COPY's source gets new content, so that
 *   COPY, the steps after it and the RUN are redone.
 * - build-api-cold, build-api-noop, build-api-changed: the same three, builder against builder: no docker CLI, the
 *   same in-process HTTP client for both daemons sends `POST /v1.41/build` with the query the docker CLI sends for
 *   `DOCKER_BUILDKIT=0 docker build -q --network none -t TAG DIR` (`dockerfile=Dockerfile&networkmode=none&q=1&t=TAG&version=1`,
 *   `version=1` being the legacy builder), `Content-Type: application/x-tar` and `X-Registry-Config: e30=`, and reads
 *   the stream to its end. The context tar is made once (noop), or again untimed before each run (cold, changed).
 *   This takes the CLI's start-up (about 54 ms, the same on both sides) out of the figure.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fixtures, run } from '@tdock/testkit';
import type { Benchmark, Prepared } from '../src/harness.js';
import { DOCKER_CLI, pairMissing, probeTdockdRuns, removeAllContainers, startPair, type Engine, type Pair } from './lib/daemons.js';

type Mode = 'cold' | 'noop' | 'changed';
/** Who sends the build: the docker CLI, or the bench's own HTTP client straight on the daemon's socket. */
type Client = 'cli' | 'api';

const CONTEXT_FILES = ['Dockerfile', 'a.txt', 'b.txt', 'step.sh'];

/** The context as the docker CLI sends it: an uncompressed tar of the directory's files. */
function contextTar(dir: string): Buffer {
  return execFileSync('tar', ['-C', dir, '-c', ...CONTEXT_FILES]);
}

function dockerfile(image: string, nonce: string): string {
  return [
    `FROM ${image}`,
    ...(nonce ? [`LABEL bench.nonce="${nonce}"`] : []),
    'COPY a.txt b.txt /app/',
    'COPY step.sh /app/step.sh',
    'RUN sh /app/step.sh > /app/out.txt && wc -c /app/out.txt',
    'CMD ["cat", "/app/out.txt"]',
    '',
  ].join('\n');
}

async function writeContext(dir: string, image: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'Dockerfile'), dockerfile(image, ''));
  await writeFile(path.join(dir, 'a.txt'), 'alpha\n'.repeat(100));
  await writeFile(path.join(dir, 'b.txt'), 'bravo\n'.repeat(1000));
  await writeFile(path.join(dir, 'step.sh'), 'for f in /app/*.txt; do echo "$f $(wc -l < "$f")"; done\necho built\n');
}

function build(e: Engine, tag: string, dir: string): Promise<unknown> {
  return run(DOCKER_CLI, ['build', '-q', '--network', 'none', '-t', tag, dir], { env: { ...e.env, DOCKER_BUILDKIT: '0' } });
}

async function emptyCache(e: Engine, tag: string): Promise<void> {
  await e.docker(['rmi', '-f', tag]).catch(() => undefined);
  await e.docker(['builder', 'prune', '-af']).catch(() => undefined);
}

function skipProbe(): () => Promise<string | undefined> {
  let result: Promise<string | undefined> | undefined;
  return () => {
    result ??= (async () => pairMissing() ?? probeTdockdRuns((await fixtures()).busybox.reference))();
    return result;
  };
}

async function prepareBuild(mode: Mode, client: Client = 'cli'): Promise<Prepared> {
  const busybox = (await fixtures()).busybox.reference;
  const pair: Pair = await startPair([busybox]);
  try {
    const image = `${pair.registry.host}/${busybox}`;
    const tag = `tdock-bench-build-${mode}`;
    const engines = { subject: pair.tdockd, reference: pair.dockerd };
    const dirs = { subject: path.join(pair.roots.dir, 'build-t'), reference: path.join(pair.roots.dir, 'build-d') };
    for (const side of ['subject', 'reference'] as const) {
      await writeContext(dirs[side], image);
      await build(engines[side], tag, dirs[side]); // untimed: fills the cache for noop, checks the build works
    }
    const tars = { subject: contextTar(dirs.subject), reference: contextTar(dirs.reference) };
    let n = 0;
    const beforeEach = async (side: 'subject' | 'reference'): Promise<void> => {
      n++;
      if (mode === 'cold') {
        await emptyCache(engines[side], tag);
        await writeFile(path.join(dirs[side], 'Dockerfile'), dockerfile(image, `${process.pid}-${n}`));
      } else if (mode === 'changed') {
        await writeFile(path.join(dirs[side], 'a.txt'), `alpha ${n}\n`.repeat(100));
      }
      if (client === 'api' && mode !== 'noop') tars[side] = contextTar(dirs[side]);
    };
    const send = (side: 'subject' | 'reference'): Promise<unknown> => (client === 'api'
      ? postBuild(engines[side].daemon.socket, tag, tars[side], CLI_QUERY)
      : build(engines[side], tag, dirs[side]));
    return {
      subjectLabel: 'tdockd', referenceLabel: 'dockerd',
      beforeEach,
      subject: async () => void await send('subject'),
      reference: async () => void await send('reference'),
      ...(mode === 'noop' && client === 'cli' ? { extras: () => noopExtras(pair, tag, dirs) } : {}),
      async teardown() {
        for (const e of [pair.tdockd, pair.dockerd]) {
          await removeAllContainers(e).catch(() => undefined);
          await emptyCache(e, tag);
        }
        await pair.stop();
      },
    };
  } catch (err) {
    await pair.stop();
    throw err;
  }
}

/** The query `DOCKER_BUILDKIT=0 docker build -q --network none -t TAG DIR` sends (docker CLI 28, seen on the wire). */
const CLI_QUERY = (tag: string): string => `dockerfile=Dockerfile&networkmode=none&q=1&t=${encodeURIComponent(tag)}&version=1`;

/**
 * `POST /build` of a context tar straight on a daemon's socket (a new connection, as the CLI opens one); resolves
 * when the response ends, rejects on an error message in the stream.
 */
function postBuild(socket: string, tag: string, tar: Buffer, query: (tag: string) => string = (t) => `q=1&networkmode=none&t=${encodeURIComponent(t)}`): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': 'application/x-tar', 'X-Registry-Config': 'e30=' };
    const req = http.request({ socketPath: socket, method: 'POST', path: `/v1.41/build?${query(tag)}`, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (body.includes('errorDetail') || res.statusCode !== 200 ? reject(new Error(`build failed: ${res.statusCode} ${body}`)) : resolve()));
    });
    req.on('error', reject);
    req.end(tar);
  });
}

/**
 * Medians over 9 interleaved runs per side: `docker version` (the CLI's own floor, which no daemon can cut) and the
 * no-op build without the CLI (the daemon's own time).
 */
async function noopExtras(pair: Pair, tag: string, dirs: { subject: string; reference: string }): Promise<Record<string, number>> {
  const sides = [['tdockd', pair.tdockd, dirs.subject], ['dockerd', pair.dockerd, dirs.reference]] as const;
  const tars = new Map(sides.map(([name, , dir]) => [name, execFileSync('tar', ['-C', dir, '-c', '.'])] as const));
  const times: Record<string, number[]> = {};
  const timed = async (key: string, fn: () => Promise<unknown>): Promise<void> => {
    const t = performance.now();
    await fn();
    (times[key] ??= []).push(performance.now() - t);
  };
  for (let i = 0; i < 9; i++) {
    for (const [name, e] of sides) {
      await timed(`docker_version_${name}_ms`, () => e.docker(['version', '--format', '{{.Server.Version}}']));
      await timed(`api_noop_${name}_ms`, () => postBuild(e.daemon.socket, tag, tars.get(name)!));
    }
  }
  const median = (a: number[]): number => Math.round([...a].sort((x, y) => x - y)[a.length >> 1]! * 10) / 10;
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/** The build benchmarks (through the docker CLI, then builder against builder); they skip until tdockd can run a container. */
export function buildBenchmarks(): Benchmark[] {
  const skip = skipProbe();
  const common = { runs: 5, warmup: 1, skip };
  return [
    { name: 'build-cold', description: 'DOCKER_BUILDKIT=0 docker build of a small Dockerfile, cache emptied: tdockd vs dockerd legacy builder', goal: 0.8, ...common, prepare: () => prepareBuild('cold') },
    { name: 'build-noop', description: 'DOCKER_BUILDKIT=0 docker build, nothing changed (all cached): tdockd vs dockerd legacy builder', goal: 0.3, ...common, prepare: () => prepareBuild('noop') },
    { name: 'build-changed', description: 'DOCKER_BUILDKIT=0 docker build after one COPY source changed: tdockd vs dockerd legacy builder', ...common, prepare: () => prepareBuild('changed') },
    { name: 'build-api-cold', description: 'POST /build (version=1) from one in-process client, cache emptied: tdockd vs dockerd legacy builder, no CLI', ...common, prepare: () => prepareBuild('cold', 'api') },
    { name: 'build-api-noop', description: 'POST /build (version=1) from one in-process client, nothing changed: tdockd vs dockerd legacy builder, no CLI', ...common, prepare: () => prepareBuild('noop', 'api') },
    { name: 'build-api-changed', description: 'POST /build (version=1) from one in-process client, one COPY source changed: tdockd vs dockerd legacy builder, no CLI', ...common, prepare: () => prepareBuild('changed', 'api') },
  ];
}
