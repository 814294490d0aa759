// What every e2e file needs to drive a client: run a command to its end and collect its output, and
// a tdockd of the suite's own to drive.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtures, startRegistry, startTdockd, tdockdArgs, tempRoots, type DaemonHandle, type RegistryHandle, type TempRoots } from '@tdock/testkit';

/** The docker CLI the e2e tests drive (client only). */
export const DOCKER = '/usr/local/bin/docker';
/** The tdock CLI's entry, run with `process.execPath`. */
export const TDOCK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/tdock.js');

export interface Result { code: number; stdout: string; stderr: string }

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed (closed at once without it). */
  input?: string | Buffer;
}

/** Runs `cmd args...` without a shell; resolves with its exit code (1 when killed or not started) and output. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: 1, stdout, stderr: stderr + err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Asserts a zero exit, naming the step and showing the output otherwise. */
export function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r;
}

/** A command under a pseudo-terminal (util-linux `script`), driven by writing keys and waiting for text. */
export class PtySession {
  private out = '';
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number>;

  constructor(command: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code ?? -1)));
  }

  get output(): string {
    return this.out;
  }

  write(keys: string): void {
    this.child.stdin.write(keys);
  }

  async waitFor(re: RegExp, ms = 20_000): Promise<void> {
    const start = Date.now();
    while (!re.test(this.out)) {
      if (Date.now() - start > ms) throw new Error(`timed out waiting for ${re} in ${JSON.stringify(this.out)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** A suite's own tdockd on fresh temporary roots, with the kit's registry and its busybox. */
export interface TdockdSuite {
  roots: TempRoots;
  reg: RegistryHandle;
  /** The kit's busybox in the suite's registry. */
  image: string;
  /** The environment of a client pointed at the daemon: PATH, HOME (the roots), DOCKER_HOST, DOCKER_CONFIG. */
  env: NodeJS.ProcessEnv;
  /** Starts tdockd on the suite's roots (first, or again after a stop or a kill); `stop()` stops the last one. */
  start(): Promise<DaemonHandle>;
  /** Removes every container (forced, with its volumes), then stops tdockd, the registry and the roots. */
  stop(): Promise<void>;
}

/** Opens a {@link TdockdSuite} (the daemon not started yet); `env` adds to or overrides the client environment. */
export async function openTdockdSuite(env: NodeJS.ProcessEnv = {}): Promise<TdockdSuite> {
  const roots = await tempRoots();
  const clientEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: roots.dir, DOCKER_HOST: `unix://${roots.socket}`, DOCKER_CONFIG: path.join(roots.dir, 'docker-config'), ...env,
  };
  let reg: RegistryHandle | undefined;
  let daemon: DaemonHandle | undefined;
  const stop = async (): Promise<void> => {
    if (daemon) {
      const ps = await runCommand(DOCKER, ['ps', '-aq'], { env: clientEnv });
      for (const id of ps.code === 0 ? ps.stdout.split('\n').filter(Boolean) : []) await runCommand(DOCKER, ['rm', '-f', '-v', id], { env: clientEnv });
      await daemon.stop();
    }
    await reg?.stop();
    await roots.cleanup();
  };
  try {
    reg = await startRegistry();
    const image = (await fixtures()).busybox.refIn(reg.host);
    const start = async (): Promise<DaemonHandle> => {
      daemon = await startTdockd({ dataRoot: roots.dataRoot, socket: roots.socket, extraArgs: [...tdockdArgs(roots), '--log-level', 'warn'] });
      return daemon;
    };
    return { roots, reg, image, env: clientEnv, start, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
