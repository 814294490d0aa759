// Containers on the real kernel with the kit's busybox rootfs, probed from inside.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime, readJsonFileLog, type DefaultSpecOptions, type ExitRecord, type OciSpec } from '@tdock/runtime';
import { cgroupDirs, leftovers, runtimeEnv, settledLeftovers, type RuntimeEnv } from './support/runtime-env.js';

describe('container', function () {
  this.timeout(60000);
  let env: RuntimeEnv;
  const pids: number[] = [];
  let n = 0;

  before(async () => {
    env = await runtimeEnv();
  });
  after(async () => {
    const marker = env.root;
    await env.cleanup();
    assert.deepEqual(cgroupDirs(env.cgroupParent), [], 'no cgroups of ours');
    const left = await settledLeftovers(marker);
    assert.deepEqual(left.mounts, [], 'no mounts of ours in the host mount table');
    assert.deepEqual(left.processes, [], 'no shims of ours');
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `container process ${pid} is gone`);
    assert.ok(!fs.existsSync(env.stateRoot) || fs.readdirSync(env.stateRoot).length === 0, 'no state left');
  });

  async function run(
    args: string[], opts: Partial<DefaultSpecOptions> = {}, edit?: (s: OciSpec) => void, beforeDelete?: (id: string) => Promise<void>,
  ): Promise<{ exit: ExitRecord; out: string; err: string; id: string }> {
    const id = `t${process.pid}-${n++}`;
    const spec = env.spec({ args, hostname: 'box', ...opts });
    edit?.(spec);
    try {
      const st = await env.runtime.create(id, { bundle: env.root, spec, rootfs: env.overlay(id) });
      pids.push(st.pid);
      await env.runtime.start(id).catch(() => undefined);
      const exit = await env.runtime.wait(id);
      const log = readJsonFileLog(path.join(env.runtime.stateDir(id), `${id}-json.log`));
      const text = (s: string): string => log.filter((r) => r.stream === s).map((r) => r.log).join('');
      await beforeDelete?.(id);
      return { exit, out: text('stdout'), err: text('stderr'), id };
    } finally {
      await env.runtime.delete(id, { force: true }).catch(() => undefined);
    }
  }

  it('runs the program as PID 1 and shows only the container processes', async () => {
    const r = await run(['sh', '-c', 'echo $$; ps -o pid,comm']);
    assert.equal(r.exit.exitCode, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines[0], '1');
    const pidsSeen = lines.slice(2).map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.equal(pidsSeen[0], 1);
    assert.ok(pidsSeen.every((p) => p < 100), `only container pids: ${r.out}`);
  });

  it('sets the hostname', async () => {
    const r = await run(['hostname'], { hostname: 'inner-host' });
    assert.equal(r.out, 'inner-host\n');
  });

  it('shows only the container mounts, and none leak into the host table', async () => {
    const r = await run(['cat', '/proc/self/mountinfo']);
    const points = r.out.trim().split('\n').map((l) => l.split(' ')[4]);
    assert.equal(points[0], '/');
    const allowed = new Set(['/', '/proc', '/dev', '/dev/pts', '/sys', '/dev/mqueue', '/dev/shm']);
    for (const p of points) assert.ok(allowed.has(p as string) || p?.startsWith('/proc/') || p?.startsWith('/sys/'), `unexpected mount ${p}`);
    assert.ok(!r.out.includes('/work/'), 'no host paths as mount points');
    assert.deepEqual(leftovers(env.root).mounts, []);
  });

  it('masks paths and makes /proc/sys read-only', async () => {
    const r = await run(['sh', '-c', 'wc -c < /proc/keys; wc -c < /proc/timer_list; echo 1 > /proc/sys/vm/drop_caches && echo writable']);
    assert.deepEqual(r.out.trim().split('\n').map((s) => s.trim()), ['0', '0']);
    assert.match(r.err, /Read-only file system/);
  });

  it("applies Docker's capabilities, seccomp and no-new-privileges", async () => {
    const r = await run(['sh', '-c', 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status; unshare -m true; echo unshare=$?; mount -t tmpfs t /mnt; echo mount=$?'], { noNewPrivileges: true });
    assert.match(r.out, /CapEff:\s+00000000a80425fb/);
    assert.match(r.out, /Seccomp:\s+2/);
    assert.match(r.out, /NoNewPrivs:\s+1/);
    assert.match(r.out, /unshare=1/);
    assert.match(r.out, /mount=(1|255)/);
    assert.match(r.err, /Operation not permitted|permission denied/);
  });

  it('reports exit codes 0, 3, 126 and 127 as Docker does', async () => {
    assert.equal((await run(['true'])).exit.exitCode, 0);
    assert.equal((await run(['sh', '-c', 'exit 3'])).exit.exitCode, 3);
    const notFound = await run(['no-such-program']);
    assert.equal(notFound.exit.exitCode, 127);
    assert.match(notFound.exit.error?.message ?? '', /executable file not found in \$PATH/);
    const notExec = await run(['/etc/passwd']);
    assert.equal(notExec.exit.exitCode, 126);
    assert.match(notExec.exit.error?.message ?? '', /permission denied/);
  });

  it('joins its cgroup: a 32 MiB memory limit OOM-kills a 100 MiB allocation and says so', async () => {
    const r = await run(['sh', '-c', 'x=$(head -c 104857600 /dev/zero | tr "\\0" a); echo survived'], {}, (s) => {
      s.linux = { ...s.linux, resources: { memory: { limit: 32 << 20, swap: 32 << 20 } } };
    });
    assert.ok(!r.out.includes('survived'));
    assert.equal(r.exit.oomKilled, true);
  });

  it('limits pids so a fork storm fails inside and the host stays healthy', async () => {
    let peak = -1;
    const r = await run(['sh', '-c', 'for i in $(seq 1 40); do sleep 1 & done; echo after'], {}, (s) => {
      s.linux = { ...s.linux, resources: { pids: { limit: 10 } } };
    }, async (id) => {
      peak = (await env.runtime.stats(id)).pids.limit ?? -1;
    });
    assert.match(r.err, /can't fork|Resource temporarily unavailable/, `stdout: ${r.out} stderr: ${r.err}`);
    assert.equal(peak, 10);
    assert.equal(fs.readFileSync('/proc/loadavg', 'utf8').split(' ').length, 5, 'the host still answers');
  });

  it('throttles a busy loop under a 0.2 CPU quota (counted in cpu.stat)', async () => {
    let throttled = -1;
    await run(['sh', '-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'], {}, (s) => {
      s.linux = { ...s.linux, resources: { cpu: { quota: 20000, period: 100000 } } };
    }, async (id) => {
      throttled = (await env.runtime.stats(id)).cpu.throttledPeriods;
    });
    assert.ok(throttled > 0, `throttled periods: ${throttled}`);
  });

  it('binds files and volumes (read-only and read-write), tmpfs with options, and sysctls', async () => {
    const files = path.join(env.root, 'files');
    const vol = path.join(env.root, 'vol');
    fs.mkdirSync(files, { recursive: true });
    fs.mkdirSync(vol, { recursive: true });
    fs.writeFileSync(path.join(files, 'hosts'), '127.0.0.1 localhost\n10.0.0.2 box\n');
    fs.writeFileSync(path.join(files, 'resolv.conf'), 'nameserver 10.0.0.1\n');
    fs.writeFileSync(path.join(vol, 'in'), 'from host');
    const r = await run(['sh', '-c', [
      'cat /etc/hosts /etc/resolv.conf', 'cat /data/in', 'echo back > /data/out', 'echo x > /ro/in || echo ro-refused',
      'grep -E " /scratch " /proc/mounts', 'cat /proc/sys/net/ipv4/ip_forward',
    ].join('; ')], {}, (s) => {
      s.mounts?.push(
        { destination: '/etc/hosts', type: 'bind', source: path.join(files, 'hosts'), options: ['rbind', 'ro'] },
        { destination: '/etc/resolv.conf', type: 'bind', source: path.join(files, 'resolv.conf'), options: ['rbind', 'ro'] },
        { destination: '/data', type: 'bind', source: vol, options: ['rbind', 'rw'] },
        { destination: '/ro', type: 'bind', source: vol, options: ['rbind', 'ro'] },
        { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m', 'mode=1777'] },
      );
      s.linux = { ...s.linux, sysctl: { 'net.ipv4.ip_forward': '1' } };
    });
    assert.equal(r.exit.exitCode, 0, r.err);
    assert.match(r.out, /10\.0\.0\.2 box\nnameserver 10\.0\.0\.1\nfrom hostro-refused\n/);
    assert.match(r.out, /tmpfs \/scratch tmpfs rw,nosuid,.*size=1024k/);
    assert.match(r.out, /\n1\n$/);
    assert.equal(fs.readFileSync(path.join(vol, 'out'), 'utf8'), 'back\n');
  });

  it("joins another container's network namespace by path (container: mode)", async () => {
    const a = `t${process.pid}-neta`;
    await env.runtime.run(a, { bundle: env.root, spec: env.spec({ args: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'] }), rootfs: env.overlay(a) });
    try {
      const pidA = (await env.runtime.state(a)).pid;
      const inode = (p: string): string => fs.readlinkSync(p);
      const r = await run(['readlink', '/proc/self/ns/net'], {}, (s) => {
        s.linux = { ...s.linux, namespaces: s.linux?.namespaces?.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${pidA}/ns/net` } : n)) };
      });
      assert.equal(r.exit.exitCode, 0);
      assert.equal(r.out.trim(), inode(`/proc/${pidA}/ns/net`));
      assert.notEqual(inode(`/proc/${pidA}/ns/net`), inode('/proc/self/ns/net'));
    } finally {
      await env.runtime.delete(a, { force: true });
    }
  });

  it('calls the network hook with the init waiting in its own network namespace, loopback up', async () => {
    const id = `t${process.pid}-net`;
    let seen: { pid: number; netns: string; mounts: string } | undefined;
    const st = await env.runtime.create(id, {
      bundle: env.root, spec: env.spec({ args: ['cat', '/sys/class/net/lo/operstate', '/sys/class/net/lo/flags'] }), rootfs: env.overlay(id),
      network: async (pid) => {
        seen = { pid, netns: fs.readlinkSync(`/proc/${pid}/ns/net`), mounts: fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8') };
      },
    });
    try {
      assert.equal(seen?.pid, st.pid);
      assert.notEqual(seen?.netns, fs.readlinkSync('/proc/self/ns/net'));
      assert.ok(!seen?.mounts.includes(env.root), 'the hook runs before the rootfs is mounted');
      await env.runtime.start(id);
      assert.equal((await env.runtime.wait(id)).exitCode, 0);
      const log = readJsonFileLog(path.join(env.runtime.stateDir(id), `${id}-json.log`));
      assert.equal(log[0]?.log, 'unknown\n');
      assert.equal(Number(log[1]?.log) & 1, 1, 'IFF_UP');
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('reports a failed init step by name', async () => {
    const id = `t${process.pid}-bad`;
    const spec = env.spec({ args: ['true'] });
    spec.mounts?.push({ destination: '/data', type: 'bind', source: path.join(env.root, 'missing-source'), options: ['rbind'] });
    await assert.rejects(env.runtime.create(id, { bundle: env.root, spec, rootfs: env.overlay(id) }), /step "mounts".*ENOENT/);
    assert.ok(!fs.existsSync(env.runtime.stateDir(id)));
  });

  it('refuses user namespaces clearly', async () => {
    const spec = env.spec({ args: ['true'] });
    spec.linux?.namespaces?.push({ type: 'user' });
    await assert.rejects(env.runtime.create(`t${process.pid}-userns`, { bundle: env.root, spec, rootfs: env.overlay('userns') }), { kind: 'not-implemented', message: /user namespaces are not supported yet/ });
  });

  it('passes stdin through attach and delivers its close', async () => {
    const id = `t${process.pid}-stdin`;
    await env.runtime.create(id, { bundle: env.root, spec: env.spec({ args: ['sh', '-c', 'cat; echo done'] }), rootfs: env.overlay(id), openStdin: true });
    try {
      const a = await env.runtime.attach(id, { stdin: true });
      await env.runtime.start(id);
      a.write('hello\n');
      a.closeStdin();
      let out = '';
      for (let f = await a.next(); f !== null; f = await a.next()) {
        if ('data' in f) out += Buffer.from(f.data, 'base64').toString();
        else {
          assert.equal(f.exit.exitCode, 0);
          break;
        }
      }
      a.close();
      assert.equal(out, 'hello\ndone\n');
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('gives a terminal from the container devpts (/dev/pts/0, also /dev/console) that resizes', async () => {
    const id = `t${process.pid}-tty`;
    const spec = env.spec({ args: ['sh', '-c', 'tty; [ /dev/console -ef /dev/pts/0 ] && echo console-is-pty; stty size; read x; stty size'], terminal: true });
    await env.runtime.create(id, { bundle: env.root, spec, rootfs: env.overlay(id), consoleSize: { rows: 24, cols: 80 } });
    try {
      const a = await env.runtime.attach(id, { stdin: true });
      await env.runtime.start(id);
      let out = '';
      const readUntil = async (re: RegExp): Promise<void> => {
        while (!re.test(out)) {
          const f = await a.next();
          if (f === null || 'exit' in f) return;
          out += Buffer.from(f.data, 'base64').toString();
        }
      };
      await readUntil(/24 80/);
      await env.runtime.resize(id, 40, 100);
      a.write('go\n');
      await readUntil(/40 100/);
      a.close();
      assert.match(out, /^\/dev\/pts\/0\r?\nconsole-is-pty\r?\n24 80[\s\S]*40 100/);
      assert.equal((await env.runtime.wait(id)).exitCode, 0);
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('gives sh -i a controlling terminal where Ctrl-C interrupts the foreground command', async () => {
    const id = `t${process.pid}-ctrlc`;
    await env.runtime.create(id, { bundle: env.root, spec: env.spec({ args: ['sh', '-i'], terminal: true }), rootfs: env.overlay(id) });
    try {
      const a = await env.runtime.attach(id, { stdin: true });
      await env.runtime.start(id);
      let out = '';
      const readUntil = async (re: RegExp): Promise<void> => {
        while (!re.test(out)) {
          const f = await a.next();
          if (f === null || 'exit' in f) return;
          out += Buffer.from(f.data, 'base64').toString();
        }
      };
      await readUntil(/\/ # /);
      // The child prints only once it runs in the foreground process group, so ^C cannot race its start.
      a.write('tty; sh -c "echo started; exec sleep 100"\n');
      await readUntil(/\/dev\/\S+\r?\n(.|\n)*started\r?\n/);
      a.write('\x03');
      a.write('echo "after $?"\n');
      await readUntil(/after \d+/);
      a.write('exit 0\n');
      assert.doesNotMatch(out, /not a tty/);
      assert.match(out, /after 130/);
      assert.equal((await env.runtime.wait(id)).exitCode, 0);
      a.close();
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('recovers from a crashed shim: state, kill, wait and delete still work', async () => {
    const id = `t${process.pid}-crash`;
    await env.runtime.run(id, { bundle: env.root, spec: env.spec({ args: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'] }), rootfs: env.overlay(id) });
    try {
      const rec = JSON.parse(fs.readFileSync(path.join(env.runtime.stateDir(id), 'state.json'), 'utf8')) as { shimPid: number; pid: number };
      process.kill(rec.shimPid, 'SIGKILL');
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(rec.shimPid, 0);
          await new Promise((r) => setTimeout(r, 20));
        } catch {
          break;
        }
      }
      assert.equal((await env.runtime.state(id)).status, 'running');
      await env.runtime.kill(id, 'TERM');
      const exit = await env.runtime.wait(id);
      assert.equal(exit.exitCode, 255);
      assert.equal(exit.error?.step, 'shim');
      assert.equal((await env.runtime.state(id)).status, 'stopped');
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('runs --init as PID 1 that reaps zombies and forwards signals', async function () {
    const init = ['/usr/bin/docker-init', '/usr/bin/tini-static'].find((p) => fs.existsSync(p));
    if (!init) this.skip(); // docker.io or tini-static provides a static init
    const id = `t${process.pid}-init`;
    // The program leaves an orphan that exits at once: without a reaping PID 1 it stays a zombie.
    const spec = env.spec({ args: ['sh', '-c', 'cat /proc/1/comm; echo $PPID; (sleep 0.1 &) ; sleep 0.5; ps -o stat,comm | grep -c "^Z" ; trap "exit 8" TERM; echo ready; while :; do sleep 0.1; done'] });
    await env.runtime.run(id, { bundle: env.root, spec, rootfs: env.overlay(id), init });
    try {
      const readLog = (): string => readJsonFileLog(path.join(env.runtime.stateDir(id), `${id}-json.log`)).map((r) => r.log).join('');
      for (let i = 0; i < 200 && !readLog().includes('ready'); i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(readLog(), `${path.basename(init as string).slice(0, 15)}\n1\n0\nready\n`);
      await env.runtime.kill(id, 'TERM');
      assert.equal((await env.runtime.wait(id)).exitCode, 8);
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('pauses, resumes and updates a running container through its cgroup', async () => {
    const id = `t${process.pid}-pause`;
    await env.runtime.run(id, { bundle: env.root, spec: env.spec({ args: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'] }), rootfs: env.overlay(id) });
    try {
      await env.runtime.pause(id);
      assert.equal(env.runtime.cgroup(id)?.freezerState(), 'frozen');
      await env.runtime.resume(id);
      assert.equal(env.runtime.cgroup(id)?.freezerState(), 'thawed');
      await env.runtime.update(id, { pids: { limit: 33 } });
      assert.equal((await env.runtime.stats(id)).pids.limit, 33);
      assert.ok((await env.runtime.ps(id)).includes((await env.runtime.state(id)).pid));
      await env.runtime.kill(id, 'TERM');
      assert.equal((await env.runtime.wait(id)).exitCode, 0);
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('records death by signal as 128+n with the signal name', async () => {
    const id = `t${process.pid}-sig`;
    await env.runtime.run(id, { bundle: env.root, spec: env.spec({ args: ['sleep', '100'] }), rootfs: env.overlay(id) });
    try {
      await env.runtime.kill(id, 'KILL');
      const exit = await env.runtime.wait(id);
      assert.equal(exit.exitCode, 137);
      assert.equal(exit.signal, 'SIGKILL');
      assert.equal((await env.runtime.state(id)).status, 'stopped');
    } finally {
      await env.runtime.delete(id);
    }
  });

  it('execs in the same namespaces, cgroup and restrictions, with exit codes', async () => {
    const id = `t${process.pid}-exec`;
    const spec = env.spec({ args: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'], hostname: 'exec-box' });
    // Docker's device rules (deny all, then the standard nodes): the runtime adds the pty devices, as runc does.
    const c = (major: number, minor: number): { allow: boolean; type: string; major: number; minor: number; access: string } => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
    const devices = [{ allow: false, access: 'rwm' }, c(1, 5), c(1, 3), c(1, 9), c(1, 8), c(5, 0), c(5, 1)];
    spec.linux = { ...spec.linux, resources: { pids: { limit: 50 }, devices } };
    await env.runtime.run(id, { bundle: env.root, spec, rootfs: env.overlay(id) });
    try {
      const collect = async (s: Awaited<ReturnType<typeof env.runtime.exec>>): Promise<{ out: string; exit: ExitRecord | undefined }> => {
        let out = '';
        let exit: ExitRecord | undefined;
        for (let f = await s.next(); f !== null; f = await s.next()) {
          if ('data' in f) out += Buffer.from(f.data, 'base64').toString();
          else exit = f.exit;
        }
        return { out, exit };
      };
      const probe = await collect(await env.runtime.exec(id, { args: ['sh', '-c', 'hostname; grep -E "^(CapEff|Seccomp):" /proc/self/status; tr "\\0" " " < /proc/1/cmdline; echo; ls /proc | grep -cE "^[0-9]+$"'] }));
      assert.equal(probe.exit?.exitCode, 0, probe.out);
      const lines = probe.out.trim().split('\n');
      assert.equal(lines[0], 'exec-box');
      assert.match(probe.out, /CapEff:\s+00000000a80425fb/);
      assert.match(probe.out, /Seccomp:\s+2/);
      assert.match(lines[3] ?? '', /^sh -c trap/);
      // In the container's cgroup namespace, a process in the container's own cgroup sees '/' everywhere.
      const cg = await collect(await env.runtime.exec(id, { args: ['grep', '-E', ':(memory|pids|cpu):', '/proc/self/cgroup'] }));
      assert.equal(cg.out.trim().split('\n').length, 3, cg.out);
      for (const line of cg.out.trim().split('\n')) assert.match(line, /:\/$/);
      assert.equal((await collect(await env.runtime.exec(id, { args: ['sh', '-c', 'exit 5'] }))).exit?.exitCode, 5);
      assert.equal((await collect(await env.runtime.exec(id, { args: ['nope'] }))).exit?.exitCode, 127);
      const priv = await collect(await env.runtime.exec(id, { args: ['grep', '^CapEff', '/proc/self/status'], privileged: true }));
      assert.doesNotMatch(priv.out, /a80425fb/);
      const tty = await collect(await env.runtime.exec(id, { args: ['sh', '-c', 'tty; stty size'], tty: true, consoleSize: { rows: 33, cols: 99 } }));
      assert.match(tty.out, /^\/dev\/pts\/\d+\r?\n33 99/);
      // Everything a terminal exec writes arrives before its exit. (What is still queued in the pty
      // when the session leader exits is discarded by the kernel's hangup of the terminal, so the
      // leader lingers a moment here; with the shim counting the master's stream too early, the
      // tail was lost even so.)
      const burst = await collect(await env.runtime.exec(id, { args: ['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; sleep 0.5'], tty: true }));
      assert.equal(burst.out.length, 300000, `terminal output cut at ${burst.out.length} bytes`);
      // A non-root exec owns its terminal (runc chowns it), so it can reopen it by name.
      const userTty = await collect(await env.runtime.exec(id, { args: ['sh', '-c', 'tty && echo hi > "$(tty)" && echo reopened'], tty: true, user: { uid: 1000, gid: 1000 } }));
      assert.match(userTty.out, /^\/dev\/pts\/\d+\r?\nhi\r?\nreopened/);
      const user = await collect(await env.runtime.exec(id, { args: ['id', '-u'], user: { uid: 1000, gid: 1000 } }));
      assert.equal(user.out.trim(), '1000');
      // A detached exec: the client goes away, the shim still records its exit under its execId.
      const detached = await env.runtime.exec(id, { args: ['sh', '-c', 'sleep 0.3; exit 4'], execId: 'e1' });
      assert.ok(detached.pid > 0);
      detached.close();
      let st = await env.runtime.execState(id, 'e1');
      assert.equal(st.pid, detached.pid);
      for (let i = 0; i < 200 && st.running; i++) {
        await new Promise((r) => setTimeout(r, 25));
        st = await env.runtime.execState(id, 'e1');
      }
      assert.equal(st.running, false);
      assert.equal(st.exit?.exitCode, 4);
      await assert.rejects(env.runtime.execState(id, 'nope'), { kind: 'not-found' });
      await env.runtime.kill(id, 'TERM');
      assert.equal((await env.runtime.wait(id)).exitCode, 0);
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });

  it('runs containers from a warm pool of pre-started shim+init pairs, and stops the pool on close', async () => {
    const rt = new Runtime({ stateRoot: env.stateRoot, socketDir: env.socketDir, cgroups: { root: '/sys/fs/cgroup', parent: env.cgroupParent } });
    const pooled = (): number[] => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('tdock-shim-pool') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    }).map(Number);
    try {
      await rt.prestart(2);
      assert.equal(pooled().length, 2);
      for (const i of [1, 2, 3]) {
        const id = `t${process.pid}-pool${i}`;
        await rt.run(id, { bundle: env.root, spec: env.spec({ args: ['sh', '-c', 'echo pooled $$; exit 5'], hostname: 'pool' }), rootfs: env.overlay(id) });
        assert.equal((await rt.wait(id)).exitCode, 5);
        const log = readJsonFileLog(path.join(rt.stateDir(id), `${id}-json.log`));
        assert.equal(log[0]?.log, 'pooled 1\n');
        await rt.delete(id);
      }
      // Two creates at once (compose up) take both pairs; once both starts returned, the pool is
      // refilled to its size, not by one pair.
      for (let i = 0; i < 250 && rt.poolStatus().ready < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(rt.poolStatus(), { ready: 2, starting: 0 });
      const ready = pooled();
      assert.equal(ready.length, 2);
      const ids = [4, 5].map((i) => `t${process.pid}-pool${i}`);
      await Promise.all(ids.map((id) => rt.create(id, { bundle: env.root, spec: env.spec({ args: ['sh', '-c', 'exit 0'], hostname: 'pool' }), rootfs: env.overlay(id) })));
      const shims = ids.map((id) => (JSON.parse(fs.readFileSync(path.join(rt.stateDir(id), 'state.json'), 'utf8')) as { shimPid: number }).shimPid);
      assert.deepEqual(shims.sort(), ready.sort(), 'both containers run in the pooled shims');
      await Promise.all(ids.map((id) => rt.start(id)));
      for (const id of ids) {
        assert.equal((await rt.wait(id)).exitCode, 0);
        await rt.delete(id);
      }
      for (let i = 0; i < 250 && rt.poolStatus().ready < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(rt.poolStatus(), { ready: 2, starting: 0 });
      assert.equal(pooled().length, 2);
    } finally {
      rt.close();
    }
    for (let i = 0; i < 100 && pooled().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(pooled(), []);
  });

  it('creates from the pool in a process with nothing else keeping its event loop alive', () => {
    const id = `t${process.pid}-poolproc`;
    const caller = fileURLToPath(new URL('./support/pool-caller.js', import.meta.url));
    const r = spawnSync(process.execPath, [caller, env.stateRoot, env.socketDir, id, JSON.stringify(env.overlay(id)), env.root], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'exit 6\n');
  });

  it('survives kill -9 of its caller; a new caller reconnects, reads the log and gets the exit code', async () => {
    const id = `t${process.pid}-live`;
    const caller = fileURLToPath(new URL('./support/live-caller.js', import.meta.url));
    const rootfs = env.overlay(id);
    const child = spawn(process.execPath, [caller, env.stateRoot, env.socketDir, id, JSON.stringify(rootfs), env.root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      let buf = '';
      child.stdout.on('data', (d: string) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.trim());
      });
      child.on('exit', (code) => reject(new Error(`caller exited ${code}`)));
    });
    assert.equal(started, 'running');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    try {
      const st = await env.runtime.state(id);
      assert.equal(st.status, 'running');
      pids.push(st.pid);
      await env.runtime.kill(id, 'SIGTERM');
      const exit = await env.runtime.wait(id);
      assert.equal(exit.exitCode, 7);
      const log = readJsonFileLog(path.join(env.runtime.stateDir(id), `${id}-json.log`));
      assert.equal(log[0]?.log, 'up\n');
      assert.equal(log[0]?.stream, 'stdout');
      assert.match(log[0]?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    } finally {
      await env.runtime.delete(id, { force: true });
    }
  });
});
