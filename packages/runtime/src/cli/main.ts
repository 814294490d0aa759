// tdock-runtime: runc's verbs and main flags over the Runtime API, so tools that drive runc can drive it.
// The only file of the runtime that chooses default paths (DESIGN §10.3).
import fs from 'node:fs';
import path from 'node:path';
import { TdockError } from '@tdock/core';
import { Runtime, type ExecOptions } from '../container/runtime.js';
import type { Attachment } from '../shim/protocol.js';
import { defaultSpec } from '../spec/default-spec.js';
import { resolveUser } from '../spec/user.js';
import { parseArgs, str, type FlagSpec, type Parsed } from './args.js';

const GLOBAL: FlagSpec[] = [
  { names: ['root'], value: true }, { names: ['socket-dir'], value: true }, { names: ['cgroup-root'], value: true },
  { names: ['cgroup-parent'], value: true }, { names: ['log'], value: true }, { names: ['log-format'], value: true },
  { names: ['debug'] }, { names: ['systemd-cgroup'] }, { names: ['criu'], value: true }, { names: ['help', 'h'] }, { names: ['version', 'v'] },
];
const CREATE: FlagSpec[] = [
  { names: ['bundle', 'b'], value: true }, { names: ['console-socket'], value: true }, { names: ['pid-file'], value: true },
  { names: ['no-pivot'] }, { names: ['no-new-keyring'] }, { names: ['preserve-fds'], value: true }, { names: ['detach', 'd'] }, { names: ['keep'] },
];
const EXEC: FlagSpec[] = [
  { names: ['tty', 't'] }, { names: ['cwd'], value: true }, { names: ['env', 'e'], value: true, repeat: true }, { names: ['user', 'u'], value: true },
  { names: ['additional-gids', 'g'], value: true, repeat: true }, { names: ['detach', 'd'] }, { names: ['pid-file'], value: true },
  { names: ['privileged'] }, { names: ['console-socket'], value: true }, { names: ['interactive', 'i'] },
];
const UPDATE: FlagSpec[] = [
  { names: ['memory'], value: true }, { names: ['memory-swap'], value: true }, { names: ['cpu-quota'], value: true }, { names: ['cpu-period'], value: true },
  { names: ['cpu-shares'], value: true }, { names: ['cpuset-cpus'], value: true }, { names: ['pids-limit'], value: true }, { names: ['resources', 'r'], value: true },
];

const USAGE = `usage: tdock-runtime [--root DIR] [--socket-dir DIR] [--cgroup-root DIR] [--cgroup-parent NAME] COMMAND
commands: create start run state kill delete list ps exec pause resume update spec`;

function need(p: Parsed, what = 'container id'): string {
  const v = p.positionals[0];
  if (v === undefined) throw new TdockError('invalid-argument', `${what} cannot be empty`);
  return v;
}

async function pump(a: Attachment, terminal: boolean, onResize?: (rows: number, cols: number) => void): Promise<number> {
  const stdin = process.stdin;
  if (terminal && stdin.isTTY) {
    stdin.setRawMode(true);
    const size = (): void => onResize?.(process.stdout.rows, process.stdout.columns);
    size();
    process.on('SIGWINCH', size);
  }
  stdin.on('data', (d: Buffer) => a.write(d));
  stdin.on('end', () => a.closeStdin());
  for (let f = await a.next(); f !== null; f = await a.next()) {
    if ('data' in f) (f.stream === 'stderr' ? process.stderr : process.stdout).write(Buffer.from(f.data, 'base64'));
    else {
      if (f.exit.error) process.stderr.write(`tdock-runtime: ${f.exit.error.message}\n`);
      return f.exit.exitCode;
    }
  }
  return 255;
}

function readSpecTerminal(bundle: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process?: { terminal?: boolean } }).process?.terminal ?? false;
  } catch {
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  const g = parseArgs(argv, GLOBAL, true);
  if (g.flags.version) {
    process.stdout.write('tdock-runtime version 0.1.0\nspec: 1.0.2\n');
    return 0;
  }
  const verb = g.positionals[0];
  if (!verb || g.flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return verb ? 0 : 1;
  }
  if (g.flags['systemd-cgroup']) throw new TdockError('not-implemented', 'the systemd cgroup driver is not supported');
  const rt = new Runtime({
    stateRoot: str(g, 'root', '/run/tdock-runtime') as string,
    socketDir: str(g, 'socket-dir', '/run/tdock') as string,
    cgroups: { root: str(g, 'cgroup-root', '/sys/fs/cgroup') as string, parent: str(g, 'cgroup-parent', 'tdock') as string },
  });
  const out = (s: string): void => void process.stdout.write(s);
  switch (verb) {
    case 'create':
    case 'run': {
      const p = parseArgs(g.rest, CREATE);
      const id = need(p);
      const consoleSocket = str(p, 'console-socket');
      const bundle = path.resolve(str(p, 'bundle', '.') as string);
      const terminal = readSpecTerminal(bundle);
      const foreground = verb === 'run' && !p.flags.detach;
      if (terminal && !foreground && consoleSocket === undefined) throw new TdockError('invalid-argument', 'cannot allocate tty if runc will detach without setting console socket');
      if (consoleSocket !== undefined && !terminal) throw new TdockError('invalid-argument', 'cannot use console socket if runc will not detach or allocate tty');
      const st = await rt.create(id, { bundle, openStdin: foreground && consoleSocket === undefined, ...(consoleSocket !== undefined ? { consoleSocket } : {}) });
      const pidFile = str(p, 'pid-file');
      if (pidFile) fs.writeFileSync(pidFile, String(st.pid));
      if (verb === 'create') return 0;
      if (!foreground || consoleSocket !== undefined) {
        await rt.start(id);
        if (!foreground) return 0;
        const exit = await rt.wait(id);
        if (!p.flags.keep) await rt.delete(id, { force: true, waitShim: true });
        return exit.exitCode;
      }
      const a = await rt.attach(id, { stdin: true });
      await rt.start(id).catch(() => undefined);
      const code = await pump(a, terminal, (r, c) => void rt.resize(id, r, c).catch(() => undefined));
      a.close();
      if (!p.flags.keep) await rt.delete(id, { force: true, waitShim: true });
      return code;
    }
    case 'start':
      await rt.start(need(parseArgs(g.rest, [])));
      return 0;
    case 'state':
      out(`${JSON.stringify(await rt.state(need(parseArgs(g.rest, []))), null, 2)}\n`);
      return 0;
    case 'kill': {
      const p = parseArgs(g.rest, [{ names: ['all', 'a'] }]);
      await rt.kill(need(p), p.positionals[1] ?? 'SIGTERM');
      return 0;
    }
    case 'delete': {
      const p = parseArgs(g.rest, [{ names: ['force', 'f'] }]);
      await rt.delete(need(p), { force: p.flags.force === true, waitShim: true });
      return 0;
    }
    case 'list': {
      const p = parseArgs(g.rest, [{ names: ['format', 'f'], value: true }, { names: ['quiet', 'q'] }]);
      const all = await rt.list();
      if (p.flags.quiet) out(all.map((s) => `${s.id}\n`).join(''));
      else if (str(p, 'format') === 'json') out(`${JSON.stringify(all)}\n`);
      else out(['ID PID STATUS BUNDLE', ...all.map((s) => `${s.id} ${s.pid} ${s.status} ${s.bundle}`)].join('\n') + '\n');
      return 0;
    }
    case 'ps': {
      const p = parseArgs(g.rest, [{ names: ['format', 'f'], value: true }]);
      const pids = await rt.ps(need(p));
      out(str(p, 'format') === 'json' ? `${JSON.stringify(pids)}\n` : `PID\n${pids.join('\n')}\n`);
      return 0;
    }
    case 'pause':
      await rt.pause(need(parseArgs(g.rest, [])));
      return 0;
    case 'resume':
      await rt.resume(need(parseArgs(g.rest, [])));
      return 0;
    case 'update': {
      const p = parseArgs(g.rest, UPDATE);
      const file = str(p, 'resources');
      const num = (k: string): number | undefined => (str(p, k) === undefined ? undefined : Number(str(p, k)));
      const resources = file !== undefined
        ? JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'))
        : {
          ...(num('memory') !== undefined || num('memory-swap') !== undefined ? { memory: { limit: num('memory'), swap: num('memory-swap') } } : {}),
          ...(num('cpu-quota') !== undefined || num('cpu-period') !== undefined || num('cpu-shares') !== undefined || str(p, 'cpuset-cpus') !== undefined
            ? { cpu: { quota: num('cpu-quota'), period: num('cpu-period'), shares: num('cpu-shares'), cpus: str(p, 'cpuset-cpus') } } : {}),
          ...(num('pids-limit') !== undefined ? { pids: { limit: num('pids-limit') } } : {}),
        };
      await rt.update(need(p), JSON.parse(JSON.stringify(resources)));
      return 0;
    }
    case 'exec': {
      const p = parseArgs(g.rest, EXEC, true);
      const id = need(p);
      const args = p.rest;
      if (args.length === 0) throw new TdockError('invalid-argument', 'exec needs a command');
      const user = str(p, 'user');
      const st = await rt.state(id);
      const opts: ExecOptions = {
        args,
        stdin: !p.flags.detach,
        tty: p.flags.tty === true,
        privileged: p.flags.privileged === true,
        ...(p.flags.env ? { env: p.flags.env as string[] } : {}),
        ...(str(p, 'cwd') ? { cwd: str(p, 'cwd') as string } : {}),
        ...(user !== undefined ? { user: resolveUser(`/proc/${st.pid}/root`, user, (p.flags['additional-gids'] as string[] | undefined) ?? []) } : {}),
        ...(p.flags.tty && process.stdout.isTTY ? { consoleSize: { rows: process.stdout.rows, cols: process.stdout.columns } } : {}),
      };
      const s = await rt.exec(id, opts);
      if (p.flags.detach) {
        s.close();
        return 0;
      }
      return pump(s, opts.tty ?? false, (r, c) => s.resize(r, c));
    }
    case 'spec': {
      const p = parseArgs(g.rest, [{ names: ['bundle', 'b'], value: true }, { names: ['rootless'] }]);
      const file = path.join(str(p, 'bundle', '.') as string, 'config.json');
      if (fs.existsSync(file)) throw new TdockError('conflict', 'File config.json exists. Remove it first');
      fs.writeFileSync(file, `${JSON.stringify(defaultSpec({ args: ['sh'], terminal: true }), null, '\t')}\n`);
      return 0;
    }
    default:
      throw new TdockError('invalid-argument', `No help topic for '${verb}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tdock-runtime: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
