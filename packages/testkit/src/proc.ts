// Process helpers for the kit: run a command and collect its output, spawn a long-lived child that
// dies with us, find a free loopback port, and run synchronous clean-ups when the test process exits.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

/** The result of {@link run}. */
export interface RunResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer;
  /** Resolve even when the command exits non-zero (default: reject). */
  allowFail?: boolean;
}

/** Thrown by {@link run} when a command exits non-zero. */
export class CommandError extends Error {
  constructor(readonly command: string, readonly result: RunResult) {
    super(`${command} exited with ${result.code}: ${result.stderr.trim().slice(-2000)}`);
    this.name = 'CommandError';
  }
}

/** Runs `cmd args...` without a shell and resolves with its output. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (code !== 0 && !opts.allowFail) reject(new CommandError([cmd, ...args].join(' '), result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Process-wide list of synchronous clean-ups run when the process exits (normally, via
 * process.exit, or on SIGINT/SIGTERM/SIGHUP). This is the kit's one piece of global state: a test
 * process has exactly one exit, and leftovers (registries, daemons, temp dirs) must go with it.
 */
class ExitCleanups {
  private readonly fns = new Set<() => void>();
  private installed = false;

  add(fn: () => void): () => void {
    this.install();
    this.fns.add(fn);
    return () => { this.fns.delete(fn); };
  }

  runAll(): void {
    for (const fn of [...this.fns].reverse()) {
      this.fns.delete(fn);
      try { fn(); } catch { /* best effort at exit */ }
    }
  }

  private install(): void {
    if (this.installed) return;
    this.installed = true;
    process.once('exit', () => this.runAll());
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const handler = (): void => {
        this.runAll();
        process.removeListener(sig, handler);
        process.kill(process.pid, sig);
      };
      process.on(sig, handler);
    }
  }
}

const exitCleanups = new ExitCleanups();

/** Registers a synchronous clean-up to run at process exit; returns a function that unregisters it. */
export function onProcessExit(fn: () => void): () => void {
  return exitCleanups.add(fn);
}

/** Kills a child with SIGKILL, ignoring "already gone". */
export function killHard(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
}

/** Removes a path recursively at exit time (synchronous; ignores errors). */
export function rmSyncQuiet(path: string): void {
  try { if (existsSync(path)) rmSync(path, { recursive: true, force: true }); } catch { /* best effort */ }
}

/**
 * Spawns a long-lived child that cannot outlive the test process: it gets SIGKILL through the
 * kernel's parent-death signal (setpriv --pdeathsig) if we die hard, and from an exit hook otherwise.
 * Returns the child and an `unregister` to call once it has been stopped normally.
 */
export function spawnOwned(cmd: string, args: readonly string[], opts: SpawnOptions = {}): { child: ChildProcess; unregister: () => void } {
  const usePdeath = existsSync('/usr/bin/setpriv');
  const child = usePdeath
    ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args], opts)
    : spawn(cmd, args, opts);
  const unregister = onProcessExit(() => killHard(child));
  return { child, unregister };
}

/** Waits for a child to exit, at most `ms` milliseconds; resolves true if it exited. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.removeListener('exit', onExit); resolve(false); }, ms);
    const onExit = (): void => { clearTimeout(timer); resolve(true); };
    child.once('exit', onExit);
  });
}

/** Stops a child: `signal` first, then SIGKILL after `graceMs`; resolves when it is gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try { child.kill(signal); } catch { /* gone */ }
  if (await waitExit(child, graceMs)) return;
  killHard(child);
  await waitExit(child, 5000);
}

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Keeps the last `limit` bytes written to it (for daemon stderr in error messages). */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit = 64 * 1024) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  toString(): string { return Buffer.concat(this.chunks).toString().slice(-this.limit); }
}

/** Sleeps for `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
