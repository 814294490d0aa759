// DESIGN §4 step 1: spawn the init stage as PID 1 of a new PID namespace, with the sync pipe on fd 3.
// unshare(CLONE_NEWPID) changes only the PID namespace of the caller's future children; the spawn
// (a synchronous fork in libuv) happens in the same turn, and setns restores it right after, or the
// caller's later spawns fail with ENOMEM once the container's PID 1 is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { entryPath } from '../entry-path.js';
import { CLONE, setns, unshare } from '../sys/index.js';
import type { InitMessage, ShimMessage } from '../init/plan.cjs';
import { JsonLineReader, writeJsonLine } from './json-lines.js';

/** The init stage entry: one CommonJS file, bundled with the sys files when the bundle is fresh. */
export const INIT_PATH = entryPath(new URL('../init/init.cjs', import.meta.url), new URL('../bundle/init.cjs', import.meta.url));

/** A spawned init: its host pid, and the sync channel on its fd 3. */
export interface InitHandle {
  readonly pid: number;
  readonly child: ChildProcess;
  send(msg: ShimMessage): void;
  /** Resolves when the process has exited (recorded from the moment of spawn). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The next message from the init, or null when fd 3 closed (after a successful execve, or death). */
  next(): Promise<InitMessage | null>;
}

export interface SpawnInitOptions {
  /** fds for the container's stdin, stdout, stderr (the init dup2s them onto 0..2). */
  stdio: [number, number, number];
  /** PID namespace: 'new' (default), 'host', or a path to join. */
  pidNamespace?: 'new' | 'host' | { path: string };
  initPath?: string;
  /** For a terminal: a socket given to the init as fd 4, on which it sends the pty master. */
  consoleFd?: number;
  /** A pooled init: it reports `{loaded}` once its modules are loaded, before it waits for its plan. */
  pooled?: boolean;
}

/** Spawns the init stage. Must be called on the main thread; synchronous up to the returned handle. */
export function spawnInit(opts: SpawnInitOptions): InitHandle {
  const pidNs = opts.pidNamespace ?? 'new';
  let restoreFd = -1;
  let child: ChildProcess;
  if (pidNs !== 'host') {
    restoreFd = fs.openSync('/proc/self/ns/pid', 'r');
  }
  try {
    if (pidNs === 'new') unshare(CLONE.NEWPID);
    else if (pidNs !== 'host') {
      const fd = fs.openSync(pidNs.path, 'r');
      try {
        setns(fd, CLONE.NEWPID);
      } finally {
        fs.closeSync(fd);
      }
    }
    child = spawn(process.execPath, [opts.initPath ?? INIT_PATH, ...(opts.pooled ? ['--pooled'] : [])], {
      stdio: opts.consoleFd === undefined
        ? [opts.stdio[0], opts.stdio[1], opts.stdio[2], 'pipe']
        : [opts.stdio[0], opts.stdio[1], opts.stdio[2], 'pipe', opts.consoleFd],
      env: {},
      cwd: '/',
    });
  } finally {
    if (restoreFd >= 0) {
      setns(restoreFd, CLONE.NEWPID);
      fs.closeSync(restoreFd);
    }
  }
  const sync = child.stdio[3] as (Readable & Writable) | null;
  if (!sync || child.pid === undefined) throw new Error('init stage did not start');
  const reader = new JsonLineReader<InitMessage>(sync);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    pid: child.pid,
    child,
    exited,
    send: (msg) => void writeJsonLine(sync, msg),
    next: () => reader.next(),
  };
}
