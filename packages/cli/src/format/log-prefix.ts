/**
 * `docker compose logs` / `up` line prefixes (docker/compose `cmd/formatter/logs.go`, `colors.go`):
 * `web-1  | message`, every name padded to the longest registered name + 1, each name in the next colour
 * of compose's rainbow (cyan, yellow, green, magenta, blue, then their intense variants).
 */

const RAINBOW = ['36', '33', '32', '35', '34', '36;1', '33;1', '32;1', '35;1', '34;1'];

function color(code: string, s: string): string {
  return `\x1b[${code}m${s}\x1b[0m`;
}

/** The name compose shows for a container: its name without the `<project>-`/`<project>_` prefix. */
export function logDisplayName(containerName: string, project: string): string {
  const n = containerName.replace(/^\//, '');
  for (const sep of ['-', '_']) if (n.startsWith(project + sep)) return n.slice(project.length + 1);
  return n;
}

/** Per-stream state of one `logs`/`up` run: which names were seen, their colours, the column width. */
export class LogPrefixer {
  private readonly colors = new Map<string, string | undefined>();
  private next = 0;
  private width = 0;

  /** `color`: ANSI colours on (a terminal, `--ansi always`); `prefix`: false for `--no-log-prefix`. */
  constructor(private readonly opts: { color: boolean; prefix: boolean }) {}

  /** Registers a name (first use assigns its colour and may widen every prefix). */
  register(name: string): void {
    if (this.colors.has(name)) return;
    let code: string | undefined;
    if (this.opts.color && name !== '') {
      code = RAINBOW[this.next % RAINBOW.length];
      this.next++;
    }
    this.colors.set(name, code);
    this.width = Math.max(this.width, name.length + 1);
  }

  /** The prefix for `name` at the current width (`web-1  | `), coloured when enabled. */
  prefix(name: string): string {
    this.register(name);
    if (!this.opts.prefix) return '';
    const text = `${name.padEnd(this.width)} | `;
    const code = this.colors.get(name);
    return code === undefined ? text : color(code, text);
  }

  /** Prefixes every line of `message` (split on `\n`), with an optional timestamp after the prefix. */
  format(name: string, message: string, timestamp?: string): string {
    const p = this.prefix(name);
    return message
      .split('\n')
      .map((line) => (timestamp !== undefined ? `${p}${timestamp} ${line}\n` : `${p}${line}\n`))
      .join('');
  }

  /** A status line such as `web-1 exited with code 0`, in the name's colour. */
  status(name: string, message: string): string {
    this.register(name);
    const code = this.colors.get(name);
    const text = `${name} ${message}`;
    return `${code === undefined ? text : color(code, text)}\n`;
  }
}
