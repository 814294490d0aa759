import { TDOCK_VERSION } from '@tdock/core';
import { COMMANDS, lookupCommand } from './commands/index.js';
import { resolveHost } from './connection.js';
import { CommandContext, type CliIo } from './context.js';
import { daemonMessage, exitStatusOf } from './exit.js';

export type { CliIo };

function usage(): string {
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return `
Usage:  tdock [OPTIONS] COMMAND

A Docker-compatible container engine

Commands:
${names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]!.summary}`).join('\n')}

Global Options:
  -H, --host string   Daemon socket to connect to (default: TDOCK_HOST, DOCKER_HOST, unix:///var/run/tdock.sock)
  -v, --version       Print version information and quit
  -h, --help          Print usage

Run 'tdock COMMAND --help' for more information on a command.
`.trimStart();
}

/** Splits the global options (before the command) from the command and its arguments. */
function parseGlobal(argv: string[]): { host?: string; rest: string[]; version?: boolean; help?: boolean; error?: string } {
  let host: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-H' || a === '--host') {
      host = argv[++i];
      if (host === undefined) return { rest: [], error: `flag needs an argument: ${a}` };
    } else if (a.startsWith('--host=')) host = a.slice(7);
    else if (a.startsWith('-H') && a.length > 2) host = a.slice(2).replace(/^=/, '');
    else if (a === '-v' || a === '--version') return { rest: [], version: true };
    else if (a === '-h' || a === '--help') return { rest: [], help: true };
    else if (a === '-D' || a === '--debug') continue;
    else if (a.startsWith('-')) return { rest: [], error: `unknown flag: ${a}` };
    else break;
  }
  return { host, rest: argv.slice(i) };
}

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const g = parseGlobal(argv);
  if (g.version) {
    io.stdout.write(`tdock version ${TDOCK_VERSION}, build unknown\n`);
    return 0;
  }
  if (g.error) {
    io.stderr.write(`${g.error}\nSee 'tdock --help'.\n`);
    return 125;
  }
  if (g.help || g.rest.length === 0 || g.rest[0] === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  const found = lookupCommand(g.rest);
  if (!found) {
    io.stderr.write(`tdock: '${g.rest[0]}' is not a tdock command.\nSee 'tdock --help'\n`);
    return 125;
  }
  const ctx = new CommandContext(io, resolveHost(g.host, io.env));
  try {
    const run = await found.entry.load();
    return await run(ctx, found.rest);
  } catch (err) {
    io.stderr.write(`${daemonMessage(err)}\n`);
    return exitStatusOf(err);
  }
}
