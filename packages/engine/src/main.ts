import { TDOCK_VERSION } from '@tdock/core';

/** Where the daemon writes and what it reads; injected so tests can run it in-process. */
export interface DaemonIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `
Usage:  tdockd [OPTIONS]

A self-sufficient runtime for containers, Docker Engine API compatible.

Options:
      --config-file string   Daemon configuration file (default "/etc/tdock/daemon.json")
      --data-root string     Root directory of persistent tdock state (default "/var/lib/tdock")
  -H, --host list            Daemon socket(s) to connect to (default unix:///var/run/tdock.sock)
  -l, --log-level string     Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -p, --pidfile string       Path to use for daemon PID file (default "/var/run/tdockd.pid")
  -v, --version              Print version information and quit
  -h, --help                 Print usage
`;

/** Runs the daemon with argv (without node and script); resolves with the exit code. */
export async function main(argv: string[], io: DaemonIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout.write(USAGE.trimStart());
    return 0;
  }
  if (argv.includes('-v') || argv.includes('--version')) {
    io.stdout.write(`tdockd version ${TDOCK_VERSION}, build unknown\n`);
    return 0;
  }
  io.stderr.write('tdockd: the daemon is not built yet\n');
  return 1;
}
