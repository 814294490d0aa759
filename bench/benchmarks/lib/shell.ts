/**
 * A long-lived `sh` that runs one command line at a time and reports its exit code, so a timed run
 * pays for one fork+exec of the tool (as Node's spawn would) and not for a wrapper's start-up:
 * crun needs `unshare -m` and an unmount on this host (DESIGN §4), done once here.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** A persistent shell; see {@link ShellRunner.start}. */
export class ShellRunner {
  private buffer = '';
  private waiter: ((line: string) => void) | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly errFile: string) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const w = this.waiter;
        this.waiter = undefined;
        w?.(line);
      }
    });
    child.on('exit', () => this.waiter?.('__rc exited'));
  }

  /**
   * Starts `argv` (which must end in a shell reading commands from stdin, e.g. `['sh']` or
   * `['unshare', '-m', 'sh', '-c', 'umount X && exec sh']`). Each command's stderr goes to `errFile`.
   */
  static async start(argv: string[], errFile: string): Promise<ShellRunner> {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'pipe' });
    const runner = new ShellRunner(child, errFile);
    await runner.run('true');
    return runner;
  }

  /** Runs one command line (stdin from /dev/null, stdout dropped); throws with its stderr when it fails. */
  async run(command: string): Promise<void> {
    const line = new Promise<string>((resolve) => { this.waiter = resolve; });
    this.child.stdin.write(`${command} </dev/null >/dev/null 2>${this.errFile}; echo "__rc $?"\n`);
    const got = await line;
    if (got !== '__rc 0') {
      const err = await readFile(this.errFile, 'utf8').catch(() => '');
      throw new Error(`${command}: ${got.replace('__rc ', 'exit ')}: ${err.trim()}`);
    }
  }

  /** Ends the shell. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
