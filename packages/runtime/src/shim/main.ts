// The shim's entry: `node main.js <stateDir>`, started detached by the runtime with a control pipe on
// fd 3 (ready → go → created, or an error) that is closed once the container is created.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { close as sysClose } from '../sys/index.js';
import { STATE_FILES, type ShimConfig } from './config.js';
import { JsonLineReader, writeJsonLine } from './json-lines.js';
import { spawnInit } from './spawn-init.js';
import { makeStdio } from './stdio.js';
import type { CreateControl } from './shim.js';

async function main(): Promise<void> {
  process.title = 'tdock-shim';
  process.on('SIGHUP', () => undefined);
  const stateDir = process.argv[2];
  if (!stateDir) throw new Error('usage: shim <stateDir>');
  const cfg = JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILES.shimConfig), 'utf8')) as ShimConfig;
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
  // Spawn the init first and load the rest of the shim while its Node starts (DESIGN §1: start-up dominates).
  const plan = { ...cfg.plan };
  const io = makeStdio(cfg.terminal, cfg.openStdin, cfg.consoleSize);
  if (io.slavePath !== undefined) plan.consolePath = io.slavePath;
  const init = spawnInit({ stdio: io.childFds, pidNamespace: cfg.pidNamespace });
  for (const fd of new Set(io.childFds)) sysClose(fd);
  init.send({ plan });
  const { Shim } = await import('./shim.js');
  const shim = new Shim(cfg, io, init);
  try {
    const created = await shim.create(control);
    control?.send({ created: true, ...created });
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
