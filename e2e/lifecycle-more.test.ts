// Restart policies, health checks, stats and `docker update` end to end (issue 6): the built tdockd on
// temporary roots (its own bridge from tdockdArgs), the real docker CLI and dockerode, busybox from the
// kit registry. Containers trap TERM or are stopped with -t 0; every wait is a bounded poll.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Docker from 'dockerode';
import type { DaemonHandle, TempRoots } from '@tdock/testkit';
import { DOCKER, openTdockdSuite, runCommand, type Result, type TdockdSuite, ok } from './support.js';

const CGROUP = '/sys/fs/cgroup';
const V2 = fs.existsSync(path.join(CGROUP, 'cgroup.controllers'));
const LOOP = 'trap "exit 0" TERM; while true; do sleep 0.1; done';
/** Waits for /tmp/go, removes it and exits 5: a container that exits when told to, every run. */
const EXIT_ON_GO = 'trap "exit 0" TERM; while [ ! -f /tmp/go ]; do sleep 0.05; done; rm /tmp/go; exit 5';

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> => runCommand(cmd, args, { env, input });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `get` every 100 ms until `done` holds (at most `tries` times); returns the last value. */
async function until<T>(get: () => Promise<T>, done: (v: T) => boolean, tries = 150): Promise<T> {
  let v = await get();
  for (let i = 0; i < tries && !done(v); i++) {
    await sleep(100);
    v = await get();
  }
  return v;
}

/** A GET on the daemon's socket (the stats API with its query options). */
function apiGet(socket: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path: url }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

interface State { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; Pid: number; Health?: Health }
interface Health { Status: string; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> }
interface Inspect { Id: string; State: State; RestartCount: number; HostConfig: Record<string, unknown>; Config: { Healthcheck?: { Test: string[] } } }

describe('e2e: restart policies, health checks, stats and update against tdockd', function () {
  this.timeout(180_000);
  let suite: TdockdSuite | undefined;
  let roots: TempRoots;
  let daemon: DaemonHandle | undefined;
  let image: string;
  let env: NodeJS.ProcessEnv;
  const docker = (args: string[], input?: string): Promise<Result> => run(DOCKER, args, env, input);
  const start = (): Promise<DaemonHandle> => suite!.start();
  const inspect = async (ref: string): Promise<Inspect> => (JSON.parse(ok(await docker(['inspect', ref]), `inspect ${ref}`).stdout) as Inspect[])[0];
  const events = async (since: number, ref: string): Promise<string[]> => {
    const r = ok(await docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${ref}`, '--format', '{{.Action}}']), 'events');
    return r.stdout.trim().split('\n').filter(Boolean);
  };
  const go = async (ref: string): Promise<void> => {
    ok(await docker(['exec', ref, 'touch', '/tmp/go']), `go ${ref}`);
  };

  before(async function () {
    if (!fs.existsSync(DOCKER)) this.skip();
    suite = await openTdockdSuite({ DOCKER_BUILDKIT: '0' });
    ({ roots, image, env } = suite);
    daemon = await start();
    ok(await docker(['pull', image]), 'pull');
  });

  after(async () => {
    await suite?.stop();
  });

  describe('restart policies', () => {
    it('on-failure:2 restarts a failing container twice, then leaves it exited with RestartCount 2 (die and start events, no restart event)', async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      const id = ok(await docker(['run', '-d', '--name', 'rp-fail', '--network', 'none', '--restart', 'on-failure:2', image, 'sh', '-c', 'exit 3']), 'run').stdout.trim();
      const done = await until(() => inspect(id), (i) => i.State.Status === 'exited' && i.RestartCount === 2);
      assert.equal(done.State.Status, 'exited');
      assert.equal(done.RestartCount, 2);
      assert.equal(done.State.ExitCode, 3);
      assert.deepEqual(done.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
      assert.match(ok(await docker(['ps', '-a', '--filter', 'name=rp-fail', '--format', '{{.Status}}']), 'ps').stdout, /^Exited \(3\) /);
      assert.deepEqual(await events(since, id), ['create', 'start', 'die', 'start', 'die', 'start', 'die']);
      ok(await docker(['rm', id]), 'rm');
    });

    it('always restarts after the process exits, not after docker stop; a docker start resets RestartCount', async () => {
      ok(await docker(['run', '-d', '--name', 'rp-always', '--network', 'none', '--restart', 'always', image, 'sh', '-c', EXIT_ON_GO]), 'run');
      const pid0 = (await inspect('rp-always')).State.Pid;
      await go('rp-always');
      const again = await until(() => inspect('rp-always'), (i) => i.RestartCount === 1 && i.State.Status === 'running');
      assert.equal(again.RestartCount, 1);
      assert.equal(again.State.Status, 'running');
      assert.notEqual(again.State.Pid, pid0);
      ok(await docker(['stop', '-t', '0', 'rp-always']), 'stop');
      const stopped = await inspect('rp-always');
      assert.equal(stopped.State.Status, 'exited');
      await sleep(600); // longer than the next backoff (200 ms): a restart would have happened by now
      const still = await inspect('rp-always');
      assert.equal(still.State.Status, 'exited');
      assert.equal(still.RestartCount, 1);
      ok(await docker(['start', 'rp-always']), 'start');
      assert.equal((await inspect('rp-always')).RestartCount, 0, 'docker start resets the count, as dockerd');
      ok(await docker(['rm', '-f', 'rp-always']), 'rm');
    });

    it('a container in its backoff is Restarting (and Running) in inspect and ps; docker stop ends the loop', async () => {
      ok(await docker(['run', '-d', '--name', 'rp-loop', '--network', 'none', '--restart', 'always', image, 'sh', '-c', 'exit 1']), 'run');
      // 100, 200, 400, 800 ms... between runs: soon it is caught between two runs.
      const restarting = await until(() => inspect('rp-loop'), (i) => i.State.Status === 'restarting' && i.RestartCount >= 3);
      assert.equal(restarting.State.Status, 'restarting');
      assert.equal(restarting.State.Restarting, true);
      assert.equal(restarting.State.Running, true, 'dockerd keeps a restarting container Running');
      assert.equal(restarting.State.Pid, 0);
      assert.equal(restarting.State.ExitCode, 1);
      const ps = await until(async () => ok(await docker(['ps', '--filter', 'name=rp-loop', '--format', '{{.Status}}']), 'ps').stdout, (s) => s.startsWith('Restarting'));
      assert.match(ps, /^Restarting \(1\) /);
      const rm = await until(async () => docker(['rm', 'rp-loop']), (r) => r.code !== 0 && /restarting/.test(r.stderr), 30);
      assert.match(rm.stderr, /cannot remove container "\/rp-loop": container is (restarting|running): stop the container before removing or force remove/);
      ok(await docker(['stop', '-t', '0', 'rp-loop']), 'stop');
      const count = (await inspect('rp-loop')).RestartCount;
      await sleep(1000);
      const after = await inspect('rp-loop');
      assert.equal(after.State.Status, 'exited');
      assert.equal(after.State.Running, false);
      assert.equal(after.RestartCount, count, 'no restart after docker stop');
      ok(await docker(['rm', 'rp-loop']), 'rm');
    });

    it('docker update --restart changes the policy, and the new one applies at the next exit', async () => {
      ok(await docker(['run', '-d', '--name', 'rp-upd', '--network', 'none', image, 'sh', '-c', EXIT_ON_GO]), 'run');
      assert.deepEqual((await inspect('rp-upd')).HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
      ok(await docker(['update', '--restart', 'on-failure:4', 'rp-upd']), 'update');
      assert.deepEqual((await inspect('rp-upd')).HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 4 });
      await go('rp-upd');
      const restarted = await until(() => inspect('rp-upd'), (i) => i.RestartCount === 1 && i.State.Status === 'running');
      assert.equal(restarted.RestartCount, 1);
      ok(await docker(['update', '--restart', 'no', 'rp-upd']), 'update no');
      await go('rp-upd');
      const ended = await until(() => inspect('rp-upd'), (i) => i.State.Status === 'exited');
      assert.equal(ended.State.Status, 'exited');
      assert.equal(ended.State.ExitCode, 5);
      ok(await docker(['rm', 'rp-upd']), 'rm');
      const rmd = ok(await docker(['create', '--rm', '--network', 'none', image, 'true']), 'create --rm').stdout.trim();
      const refused = await docker(['update', '--restart', 'always', rmd]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, new RegExp(`Cannot update container ${rmd}: Restart policy cannot be updated because AutoRemove is enabled for the container`));
      ok(await docker(['rm', rmd]), 'rm --rm container');
    });

    it('after tdockd stops and starts again: always and unless-stopped containers that are not running come back, a stopped unless-stopped one stays stopped', async () => {
      const mk = async (name: string, policy: string): Promise<void> => {
        ok(await docker(['run', '-d', '--name', name, '--network', 'none', '--restart', policy, image, 'sh', '-c', LOOP]), `run ${name}`);
      };
      await mk('dr-always-stopped', 'always');
      await mk('dr-unless-stopped', 'unless-stopped');
      await mk('dr-unless-died', 'unless-stopped');
      await mk('dr-always-died', 'always');
      await mk('dr-onfail-died', 'on-failure:3');
      await mk('dr-running', 'always');
      ok(await docker(['stop', '-t', '0', 'dr-always-stopped', 'dr-unless-stopped']), 'stop');
      const died = await Promise.all(['dr-unless-died', 'dr-always-died', 'dr-onfail-died'].map(async (n) => (await inspect(n)).State.Pid));
      const runningPid = (await inspect('dr-running')).State.Pid;
      await daemon!.stop(); // live-restore: containers keep running
      daemon = undefined;
      for (const pid of died) process.kill(pid, 'SIGKILL'); // they exit while tdockd is down
      await sleep(300);
      daemon = await start();
      const state = async (n: string): Promise<Inspect> => until(() => inspect(n), (i) => i.State.Status === 'running', 100);
      for (const n of ['dr-always-stopped', 'dr-unless-died', 'dr-always-died', 'dr-onfail-died']) {
        const i = await state(n);
        assert.equal(i.State.Status, 'running', `${n} is started with the daemon`);
        assert.equal(i.RestartCount, 0, `${n}: the daemon's start resets the count`);
      }
      const kept = await inspect('dr-running');
      assert.equal(kept.State.Status, 'running');
      assert.equal(kept.State.Pid, runningPid, 'a running container is kept, not restarted');
      const stayed = await inspect('dr-unless-stopped');
      assert.equal(stayed.State.Status, 'exited', 'a stopped unless-stopped container stays stopped');
      for (const n of ['dr-always-stopped', 'dr-unless-stopped', 'dr-unless-died', 'dr-always-died', 'dr-onfail-died', 'dr-running']) ok(await docker(['rm', '-f', n]), `rm ${n}`);
    });
  });

  describe('health checks', () => {
    it('starting -> healthy -> unhealthy with FailingStreak, Log entries, events, ps STATUS and the health filter', async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      // The start period keeps it `starting` until the first success (failures inside it do not count).
      const id = ok(await docker(['run', '-d', '--name', 'hc-web', '--network', 'none', '--health-cmd', 'test -f /ok', '--health-interval', '300ms',
        '--health-start-period', '60s', '--health-start-interval', '200ms', '--health-retries', '2', image, 'sh', '-c', LOOP]), 'run').stdout.trim();
      const first = await until(() => inspect(id), (i) => (i.State.Health?.Log.length ?? 0) >= 1);
      assert.equal(first.State.Health?.Status, 'starting');
      assert.equal(first.State.Health?.FailingStreak, 0, 'failures inside the start period do not count');
      assert.equal(first.State.Health?.Log[0].ExitCode, 1);
      assert.match(ok(await docker(['ps', '--filter', 'name=hc-web', '--format', '{{.Status}}']), 'ps').stdout, /^Up .* \(health: starting\)\n$/);
      assert.equal(ok(await docker(['ps', '-q', '--filter', 'health=starting']), 'ps starting').stdout.trim(), id.slice(0, 12));

      ok(await docker(['exec', id, 'touch', '/ok']), 'touch');
      const healthy = await until(() => inspect(id), (i) => i.State.Health?.Status === 'healthy');
      assert.equal(healthy.State.Health?.Status, 'healthy');
      assert.equal(healthy.State.Health?.FailingStreak, 0);
      const last = healthy.State.Health!.Log.at(-1)!;
      assert.deepEqual(Object.keys(last).sort(), ['End', 'ExitCode', 'Output', 'Start']);
      assert.equal(last.ExitCode, 0);
      assert.ok(Date.parse(last.End) >= Date.parse(last.Start));
      assert.match(ok(await docker(['ps', '--filter', 'name=hc-web', '--format', '{{.Status}}']), 'ps').stdout, /^Up .* \(healthy\)\n$/);
      assert.equal(ok(await docker(['ps', '-q', '--filter', 'health=healthy']), 'ps healthy').stdout.trim(), id.slice(0, 12));

      ok(await docker(['exec', id, 'rm', '/ok']), 'rm /ok');
      const sick = await until(() => inspect(id), (i) => i.State.Health?.Status === 'unhealthy');
      assert.equal(sick.State.Health?.Status, 'unhealthy');
      assert.equal(sick.State.Health?.FailingStreak, 2);
      assert.ok(sick.State.Health!.Log.length <= 5, 'the last five results are kept');
      assert.equal(sick.State.Health!.Log.at(-1)!.ExitCode, 1);
      assert.match(ok(await docker(['ps', '--filter', 'name=hc-web', '--format', '{{.Status}}']), 'ps').stdout, /^Up .* \(unhealthy\)\n$/);
      assert.equal(ok(await docker(['ps', '-q', '--filter', 'health=unhealthy']), 'ps unhealthy').stdout.trim(), id.slice(0, 12));
      assert.equal(ok(await docker(['ps', '-q', '--filter', 'health=healthy']), 'ps healthy').stdout, '');

      const seen = await events(since, id);
      assert.deepEqual(seen.filter((a) => a.startsWith('health_status')), ['health_status: healthy', 'health_status: unhealthy']);
      assert.ok(seen.includes('exec_create: /bin/sh -c test -f /ok'), 'probes are execs with their events, as dockerd');
      assert.ok(seen.includes('exec_die'));
      ok(await docker(['rm', '-f', id]), 'rm');
    });

    it('a probe past its timeout fails with ExitCode -1 and dockerd\'s "Health check exceeded timeout" output', async () => {
      const id = ok(await docker(['run', '-d', '--network', 'none', '--health-cmd', 'sleep 5', '--health-interval', '200ms', '--health-timeout', '300ms', '--health-retries', '1', image, 'sh', '-c', LOOP]), 'run').stdout.trim();
      const sick = await until(() => inspect(id), (i) => i.State.Health?.Status === 'unhealthy');
      assert.equal(sick.State.Health?.Status, 'unhealthy');
      const entry = sick.State.Health!.Log.at(-1)!;
      assert.equal(entry.ExitCode, -1);
      assert.equal(entry.Output, 'Health check exceeded timeout (300ms)');
      ok(await docker(['rm', '-f', id]), 'rm');
    });

    it('the image\'s HEALTHCHECK is used, --no-healthcheck turns it off (health=none)', async () => {
      const ctx = fs.mkdtempSync(path.join(roots.dir, 'hc-build-'));
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${image}\nHEALTHCHECK --interval=200ms --retries=1 CMD test -f /etc/passwd\n`);
      ok(await docker(['build', '-q', '-t', 'hc-image:1', ctx]), 'build');
      const withHc = ok(await docker(['run', '-d', '--network', 'none', 'hc-image:1', 'sh', '-c', LOOP]), 'run').stdout.trim();
      const without = ok(await docker(['run', '-d', '--network', 'none', '--no-healthcheck', 'hc-image:1', 'sh', '-c', LOOP]), 'run').stdout.trim();
      const healthy = await until(() => inspect(withHc), (i) => i.State.Health?.Status === 'healthy');
      assert.equal(healthy.State.Health?.Status, 'healthy');
      assert.deepEqual(healthy.Config.Healthcheck?.Test, ['CMD-SHELL', 'test -f /etc/passwd']);
      const off = await inspect(without);
      assert.deepEqual(off.Config.Healthcheck?.Test, ['NONE']);
      assert.equal(off.State.Health, undefined);
      assert.match(ok(await docker(['ps', '--filter', `id=${without}`, '--format', '{{.Status}}']), 'ps').stdout, /^Up [^(]*\n$/);
      const none = ok(await docker(['ps', '-q', '--no-trunc', '--filter', 'health=none']), 'ps none').stdout.split('\n').filter(Boolean);
      assert.ok(none.includes(without) && !none.includes(withHc));
      ok(await docker(['rm', '-f', withHc, without]), 'rm');
      ok(await docker(['rmi', 'hc-image:1']), 'rmi');
    });
  });

  describe('stats', () => {
    it('a bridge container has networks.eth0 counters that grow with traffic; --network none has no networks', async () => {
      const id = ok(await docker(['run', '-d', '--name', 'st-br', image, 'sh', '-c', LOOP]), 'run').stdout.trim();
      const gw = (await inspect(id) as unknown as { NetworkSettings: { Networks: Record<string, { Gateway: string }> } }).NetworkSettings.Networks.bridge.Gateway;
      assert.equal(gw, roots.gateway);
      const stats = async (q = 'stream=false'): Promise<Record<string, unknown>> => JSON.parse((await apiGet(roots.socket, `/v1.47/containers/${id}/stats?${q}`)).body) as Record<string, unknown>;
      const before = await stats('stream=false&one-shot=true');
      const eth0 = (before.networks as Record<string, Record<string, number>>).eth0;
      assert.deepEqual(Object.keys(eth0).sort(), ['rx_bytes', 'rx_dropped', 'rx_errors', 'rx_packets', 'tx_bytes', 'tx_dropped', 'tx_errors', 'tx_packets']);
      for (const v of Object.values(eth0)) assert.equal(typeof v, 'number');
      assert.equal((before.precpu_stats as { system_cpu_usage: number }).system_cpu_usage, 0, 'one-shot: no previous sample');
      ok(await docker(['exec', id, 'ping', '-c', '3', '-W', '1', gw]), 'ping the gateway');
      const after = await stats();
      const eth0After = (after.networks as Record<string, Record<string, number>>).eth0;
      assert.ok(eth0After.tx_bytes >= eth0.tx_bytes + 3 * 84, `tx grew by three pings: ${eth0.tx_bytes} -> ${eth0After.tx_bytes}`);
      assert.ok(eth0After.rx_bytes >= eth0.rx_bytes + 3 * 84, `rx grew by three replies: ${eth0.rx_bytes} -> ${eth0After.rx_bytes}`);
      assert.ok(eth0After.tx_packets >= eth0.tx_packets + 3);
      assert.ok((after.precpu_stats as { system_cpu_usage: number }).system_cpu_usage > 0, 'not one-shot: a previous sample fills precpu_stats');
      const cli = ok(await docker(['stats', '--no-stream', '--format', '{{.Name}} {{.NetIO}}', id]), 'docker stats').stdout;
      assert.match(cli, /^st-br \d+(\.\d+)?k?B \/ \d+(\.\d+)?k?B\n$/);
      assert.doesNotMatch(cli, / 0B \/ 0B/);
      const isolated = ok(await docker(['run', '-d', '--network', 'none', image, 'sh', '-c', LOOP]), 'run none').stdout.trim();
      const noNet = JSON.parse((await apiGet(roots.socket, `/containers/${isolated}/stats?stream=false&one-shot=true`)).body) as Record<string, unknown>;
      assert.equal(noNet.networks, undefined);
      assert.equal(ok(await docker(['stats', '--no-stream', '--format', '{{.NetIO}}', isolated]), 'docker stats none').stdout, '0B / 0B\n');
      ok(await docker(['rm', '-f', id, isolated]), 'rm');
    });
  });

  describe('docker update', () => {
    /** A cgroup v1 file of the container, or its v2 counterpart (read on the host). */
    const cg = (id: string, v1: string): string => {
      const [ctrl, file] = v1.split('/');
      if (!V2) return fs.readFileSync(path.join(CGROUP, ctrl, roots.cgroupParent, id, file), 'utf8').trim();
      const v2 = { 'cpuset.cpus': 'cpuset.cpus', 'cpu.shares': 'cpu.weight', 'memory.limit_in_bytes': 'memory.max', 'memory.soft_limit_in_bytes': 'memory.low', 'memory.memsw.limit_in_bytes': 'memory.swap.max', 'pids.max': 'pids.max' }[file] ?? file;
      return fs.readFileSync(path.join(CGROUP, roots.cgroupParent, id, v2), 'utf8').trim();
    };
    const swapSupported = V2 || fs.existsSync(path.join(CGROUP, 'memory/memory.memsw.limit_in_bytes'));

    it('applies --cpuset-cpus, --cpu-shares, --memory, --memory-swap, --memory-reservation, --pids-limit to a running container', async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      const id = ok(await docker(['run', '-d', '--network', 'none', image, 'sh', '-c', LOOP]), 'run').stdout.trim();
      const args = ['update', '--cpuset-cpus', '0', '--cpu-shares', '512', '--memory', '64m', '--memory-reservation', '32m', '--pids-limit', '50'];
      if (swapSupported) args.push('--memory-swap', '128m');
      assert.equal(ok(await docker([...args, id]), 'update').stdout, `${id}\n`);
      const hc = (await inspect(id)).HostConfig;
      assert.equal(hc.CpusetCpus, '0');
      assert.equal(hc.CpuShares, 512);
      assert.equal(hc.Memory, 64 * 1024 * 1024);
      assert.equal(hc.MemoryReservation, 32 * 1024 * 1024);
      assert.equal(hc.PidsLimit, 50);
      assert.equal(cg(id, 'cpuset/cpuset.cpus'), '0');
      assert.equal(cg(id, 'cpu/cpu.shares'), V2 ? '20' : '512');
      assert.equal(cg(id, 'memory/memory.limit_in_bytes'), String(64 * 1024 * 1024));
      assert.equal(cg(id, 'memory/memory.soft_limit_in_bytes'), String(32 * 1024 * 1024));
      assert.equal(cg(id, 'pids/pids.max'), '50');
      if (swapSupported) {
        assert.equal(hc.MemorySwap, 128 * 1024 * 1024);
        assert.equal(cg(id, 'memory/memory.memsw.limit_in_bytes'), String((V2 ? 64 : 128) * 1024 * 1024));
        // Memory alone above the swap already set: dockerd's refusal, nothing changed.
        const over = await docker(['update', '--memory', '256m', id]);
        assert.notEqual(over.code, 0);
        assert.match(over.stderr, new RegExp(`Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`));
        assert.equal((await inspect(id)).HostConfig.Memory, 64 * 1024 * 1024);
      }
      // A later update of one field keeps the others (the CLI sends every field, zero for unset ones).
      ok(await docker(['update', '--cpu-shares', '256', id]), 'update shares');
      const kept = (await inspect(id)).HostConfig;
      assert.deepEqual([kept.CpuShares, kept.CpusetCpus, kept.Memory, kept.PidsLimit], [256, '0', 64 * 1024 * 1024, 50]);
      assert.ok((await events(since, id)).includes('update'));
      ok(await docker(['rm', '-f', id]), 'rm');
    });

    it('refuses what it cannot apply with dockerd\'s errors; a missing blkio weight is a warning, as dockerd', async () => {
      const id = ok(await docker(['run', '-d', '--network', 'none', image, 'sh', '-c', LOOP]), 'run').stdout.trim();
      const refused = async (args: string[], re: RegExp): Promise<void> => {
        const r = await docker(['update', ...args, id]);
        assert.notEqual(r.code, 0, args.join(' '));
        assert.match(r.stderr, re);
      };
      await refused(['--cpuset-cpus', '99'], /Error response from daemon: Requested CPUs are not available - requested 99, available: [0-9,-]+/);
      await refused(['--memory', '1m'], /Minimum memory limit allowed is 6MB/);
      await refused(['--cpu-period', '500'], /CPU cfs period can not be less than 1ms \(i\.e\. 1000\) or larger than 1s \(i\.e\. 1000000\)/);
      ok(await docker(['update', '--cpus', '0.5', id]), 'cpus');
      await refused(['--cpu-quota', '50000'], new RegExp(`Cannot update container ${id}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set`));
      const blkioWeight = V2 ? fs.readFileSync(path.join(CGROUP, 'cgroup.controllers'), 'utf8').includes('io') : fs.existsSync(path.join(CGROUP, 'blkio/blkio.weight'));
      const w = await docker(['update', '--blkio-weight', '300', id]);
      assert.equal(w.code, 0, w.stderr);
      if (blkioWeight) {
        assert.equal((await inspect(id)).HostConfig.BlkioWeight, 300);
        await refused(['--blkio-weight', '5'], /Range of blkio weight is from 10 to 1000/);
      } else {
        // The docker CLI prints the daemon's warnings on stdout, after the container.
        assert.equal(w.stdout, `${id}\nYour kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n`);
        assert.equal((await inspect(id)).HostConfig.BlkioWeight, 0);
      }
      ok(await docker(['rm', '-f', id]), 'rm');
    });

    it('a stopped container gets the new limits at its next start', async () => {
      const id = ok(await docker(['create', '--network', 'none', image, 'sh', '-c', LOOP]), 'create').stdout.trim();
      ok(await docker(['update', '--cpu-shares', '300', '--pids-limit', '40', id]), 'update');
      ok(await docker(['start', id]), 'start');
      assert.equal(cg(id, 'pids/pids.max'), '40');
      if (!V2) assert.equal(cg(id, 'cpu/cpu.shares'), '300');
      ok(await docker(['rm', '-f', id]), 'rm');
    });
  });

  it('dockerode: update, inspect with State.Health, stats with networks', async () => {
    const d = new Docker({ socketPath: roots.socket });
    const ctr = await d.createContainer({ Image: image, Cmd: ['sh', '-c', LOOP], Healthcheck: { Test: ['CMD', 'true'], Interval: 200_000_000 } });
    await ctr.start();
    const up = await ctr.update({ RestartPolicy: { Name: 'unless-stopped' }, PidsLimit: 30 }) as { Warnings: string[] | null };
    assert.deepEqual(up.Warnings ?? [], []);
    const ins = await until(() => ctr.inspect(), (i) => i.State.Health?.Status === 'healthy');
    assert.equal(ins.State.Health?.Status, 'healthy');
    assert.equal(ins.HostConfig.RestartPolicy?.Name, 'unless-stopped');
    assert.equal(ins.HostConfig.PidsLimit, 30);
    const s = await ctr.stats({ stream: false }) as unknown as { networks?: Record<string, { rx_bytes: number }>; pids_stats: { current: number } };
    assert.equal(typeof s.networks?.eth0?.rx_bytes, 'number');
    assert.ok(s.pids_stats.current >= 1);
    await ctr.remove({ force: true });
  });
});
