import { TDOCK_VERSION } from '@tdock/core';

/** Where the CLI writes and what it reads; injected so tests can run it in-process. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `
Usage:  tdock [OPTIONS] COMMAND

A Docker-compatible container engine

Options:
  -H, --host string   Daemon socket to connect to
  -v, --version       Print version information and quit
  -h, --help          Print usage
`;

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === '-v' || first === '--version') {
    io.stdout.write(`tdock version ${TDOCK_VERSION}, build unknown\n`);
    return 0;
  }
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout.write(USAGE.trimStart());
    return 0;
  }
  io.stderr.write(`tdock: '${first}' is not a tdock command.\nSee 'tdock --help'\n`);
  return 125;
}
