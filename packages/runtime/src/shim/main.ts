// The shim's entry: `node main.js <stateDir>`, started detached by the runtime with a control pipe on
// fd 3 (ready → go → created, or an error) that is closed once the container is created.
// `node main.js --pool`: a pre-started shim+init pair (pipes, new PID namespace) that waits on fd 3
// for `{"stateDir"}` before reading its configuration; it dies with its caller until then.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import v8 from 'node:v8';
import { close as sysClose } from '../sys/index.js';
import { STATE_FILES, type ShimConfig } from './config.js';
import { JsonLineReader, writeJsonLine } from './json-lines.js';
import { spawnInit, type InitHandle } from './spawn-init.js';
import { makeStdio, type Stdio } from './stdio.js';
import type { CreateControl } from './shim.js';

async function main(): Promise<void> {
  process.title = 'tdock-shim';
  process.on('SIGHUP', () => undefined);
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: shim <stateDir> | --pool');
  let sock: net.Socket | undefined;
  try {
    fs.fstatSync(3);
    sock = new net.Socket({ fd: 3, readable: true, writable: true });
  } catch {
    sock = undefined;
  }
  const reader = sock ? new JsonLineReader<unknown>(sock) : undefined;
  const control: CreateControl | undefined = sock && reader
    ? { send: (m) => void writeJsonLine(sock, m), next: () => reader.next() }
    : undefined;
  const readConfig = (dir: string): ShimConfig => JSON.parse(fs.readFileSync(path.join(dir, STATE_FILES.shimConfig), 'utf8')) as ShimConfig;
  let cfg: ShimConfig;
  let io: Stdio;
  let init: InitHandle;
  let ShimClass: typeof import('./shim.js').Shim;
  if (arg === '--pool') {
    if (!control) throw new Error('a pooled shim needs its control pipe on fd 3');
    process.title = 'tdock-shim-pool';
    io = makeStdio(false, true);
    init = spawnInit({ stdio: io.childFds, pidNamespace: 'new', pooled: true });
    for (const fd of new Set(io.childFds)) sysClose(fd);
    ShimClass = (await import('./shim.js')).Shim;
    // Ready only once the init has loaded too: a pair still starting is not warm.
    const loaded = await init.next();
    if (loaded === null || !('loaded' in loaded)) throw new Error(`the pooled init did not start: ${JSON.stringify(loaded)}`);
    control.send({ pooled: true });
    const msg = (await control.next()) as { stateDir?: string } | null;
    if (!msg?.stateDir) {
      process.kill(init.pid, 'SIGKILL');
      process.exit(0);
    }
    process.title = 'tdock-shim';
    cfg = readConfig(msg.stateDir);
    if (cfg.terminal || cfg.pidNamespace !== 'new') throw new Error('a pooled shim serves only pipes and a new PID namespace');
    if (!cfg.openStdin) io.stdin?.end();
    init.send({ plan: { ...cfg.plan } });
  } else {
    // Spawn the init first and load the rest of the shim while its Node starts (DESIGN §1: start-up dominates).
    cfg = readConfig(arg);
    const plan = { ...cfg.plan };
    if (cfg.terminal && cfg.consoleSize) plan.consoleSize = cfg.consoleSize;
    io = makeStdio(cfg.terminal, cfg.openStdin);
    init = spawnInit({ stdio: io.childFds, pidNamespace: cfg.pidNamespace, ...(io.console ? { consoleFd: io.console.theirs } : {}) });
    for (const fd of new Set(io.childFds)) sysClose(fd);
    if (io.console) sysClose(io.console.theirs);
    init.send({ plan });
    ShimClass = (await import('./shim.js')).Shim;
  }
  const shim = new ShimClass(cfg, io, init);
  try {
    const created = await shim.create(control);
    control?.send({ created: true, ...created });
    // Started without V8 flags (see SHIM_NODE_ARGS); with everything loaded, ask for a heap that
    // stays small after bursts of output: measured here, 17 MB instead of 27 MB after 30 MB of log.
    v8.setFlagsFromString('--optimize-for-size');
  } catch (err) {
    const e = err as Error & { kind?: string; step?: string; code?: string };
    control?.send({ error: { kind: e.kind ?? 'internal', message: e.message, step: e.step, code: e.code } });
    shim.abort();
    sock?.end(() => process.exit(1));
    setTimeout(() => process.exit(1), 200).unref();
    return;
  }
  sock?.end();
  sock?.destroy();
}

main().catch((err) => {
  process.stderr.write(`tdock-shim: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
