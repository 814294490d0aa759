import { Command, CommanderError, Option } from 'commander';
import { StatusError } from './exit.js';

/** Collects a repeatable flag (`-e A -e B`) into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * A commander Command configured as docker's cobra commands behave: usage errors become
 * StatusError(125) with docker's wording; `--help` prints and exits 0; options stop at the
 * first positional argument where the command takes a program and its arguments (run, exec).
 */
export function makeCommand(name: string, usage: string, description: string, opts: { interspersed?: boolean } = {}): Command {
  const cmd = new Command(`tdock ${name}`);
  cmd.usage(usage).description(description).helpOption('--help', 'Print usage').allowExcessArguments(true);
  if (opts.interspersed === false) cmd.passThroughOptions();
  cmd.configureHelp({ sortOptions: true, optionDescription: (opt) => opt.description });
  cmd.exitOverride();
  cmd.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  return cmd;
}

/** Parses argv with cmd; returns null when help was printed (the caller exits 0). */
export function parseArgs(cmd: Command, argv: string[], help: (text: string) => void): { opts: Record<string, unknown>; args: string[] } | null {
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
        help(cmd.helpInformation());
        return null;
      }
      const name = cmd.name();
      let msg = err.message.replace(/^error: /, '');
      const unknown = /unknown option '([^']+)'/.exec(msg);
      if (unknown) msg = `unknown flag: ${unknown[1]}`;
      throw new StatusError(125, `${msg}\nSee '${name} --help'.`);
    }
    throw err;
  }
  return { opts: cmd.opts(), args: cmd.args };
}

export { Option };
