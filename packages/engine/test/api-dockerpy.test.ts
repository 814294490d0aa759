// docker-py (the library compose uses) against the HTTP layer with fakes: version via GET /version,
// map-of-lists filters, chunked streams (pull, events), multiplexed logs, and a hijacked attach socket.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type EngineEvent, type Filters, type LogEntry, type ProgressSink, type StreamSession } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

const ID = 'b'.repeat(64);

const SCRIPT = `
import json, sys, docker
c = docker.APIClient(base_url='unix://' + sys.argv[1], version='auto', timeout=20)
out = {}
out['version'] = c.version()['ApiVersion']
out['list'] = c.containers(all=True, filters={'label': ['com.docker.compose.project=p', 'com.docker.compose.oneoff=False']})
out['pull'] = [m.get('status') for m in c.pull('alpine', tag='latest', stream=True, decode=True)]
out['logs'] = c.logs(sys.argv[2], stdout=True, stderr=True).decode()
ev = c.events(decode=True)
out['event'] = next(ev)['status']
ev.close()
sock = c.attach_socket(sys.argv[2], params={'stdout': 1, 'stderr': 1, 'stream': 1})
c.start(sys.argv[2])
frames = list(docker.utils.socket.frames_iter(sock, tty=False))
out['attach'] = [[f[0], f[1].decode()] for f in frames]
print(json.dumps(out))
`;

function hasDockerPy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import docker'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('api: docker-py against the HTTP layer (fakes)', function () {
  let dir: string;
  let sock: string;
  let listFilters: Record<string, string[]> | undefined;
  const started = new EventEmitter();
  let isStarted = false;
  const app = buildApp(
    fakeServices({
      containers: {
        list: async (o: { filters: Filters }) => {
          listFilters = Object.fromEntries(o.filters);
          return [{ Id: ID, Names: ['/p_web_1'] }];
        },
        inspect: async () => ({ Id: ID, Config: { Tty: false } }),
        logs: async () => ({
          tty: false,
          entries: (async function* (): AsyncGenerator<LogEntry> {
            yield { stream: 'stdout', data: Buffer.from('hello\n'), time: '' };
          })(),
        }),
        // Output starts only when the container starts, after the attach (as compose does it): docker-py
        // loses bytes that arrive in the same read as the 101 headers (docker/docker-py#3332).
        start: async () => {
          isStarted = true;
          started.emit('start');
        },
        attach: async (): Promise<StreamSession> => ({
          tty: false,
          async run({ sink }) {
            if (!isStarted) await once(started, 'start');
            sink.write({ stream: 'stdout', data: Buffer.from('one') });
            sink.write({ stream: 'stderr', data: Buffer.from('two') });
          },
        }),
      },
      images: {
        pull: async ({ progress }: { progress: ProgressSink }) => {
          progress.status('Pulling from library/alpine', 'latest');
          progress.progress('0123456789ab', 'Pull complete');
        },
      },
      events: {
        subscribe: ({ signal }: { signal: AbortSignal }) =>
          (async function* (): AsyncGenerator<EngineEvent> {
            yield { Type: 'container', Action: 'start', Actor: { ID, Attributes: {} }, scope: 'local', time: 1, timeNano: 1 };
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          })(),
      },
    }),
  );

  before(async function () {
    if (!hasDockerPy()) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdk-py-'));
    sock = path.join(dir, 'd.sock');
    fs.writeFileSync(path.join(dir, 't.py'), SCRIPT);
    await app.listen({ path: sock });
  });
  after(async () => {
    await app.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('negotiates, lists, pulls, reads logs, events and an attach socket', async () => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('python3', [path.join(dir, 't.py'), sock, ID], { timeout: 60000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out))),
    );
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(out.version, '1.47');
    assert.deepEqual(listFilters, { label: ['com.docker.compose.project=p', 'com.docker.compose.oneoff=False'] });
    assert.deepEqual(out.pull, ['Pulling from library/alpine', 'Pull complete']);
    assert.equal(out.logs, 'hello\n');
    assert.equal(out.event, 'start');
    assert.deepEqual(out.attach, [[1, 'one'], [2, 'two']]);
  });
});
