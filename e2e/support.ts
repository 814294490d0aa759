// What every e2e file needs to drive a client: run a command to its end and collect its output.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

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
