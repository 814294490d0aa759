// The shim's side of a process's stdio: pipes, or for a terminal a socket on which the init sends the pty
// master it opened in the container's own devpts (DESIGN §4 TTY streams). Real pipes, not socketpairs,
// so that opening /dev/stdout inside the container works.
import net from 'node:net';
import tty from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import { O, dupCloexec, open as sysOpen, pipe, socketpair } from '../sys/index.js';

/** The shim's side of a process's stdio: the fds the child gets, output streams, stdin, pty master. */
export interface Stdio {
  childFds: [number, number, number];
  outputs: { stream: Readable; name: 'stdout' | 'stderr' }[];
  stdin?: Writable;
  /** The pty master, or -1 (a terminal's master arrives later, on `console`). */
  master: number;
  /** For a terminal: the init's end (its fd 4) and ours, on which the master arrives with SCM_RIGHTS. */
  console?: { theirs: number; ours: number };
}

/** Pipes (stdin a pipe only when kept open, else /dev/null), or for a terminal /dev/null plus the console socket. */
export function makeStdio(terminal: boolean, openStdin: boolean): Stdio {
  if (terminal) {
    const devNull = sysOpen('/dev/null', O.RDWR | O.CLOEXEC);
    const [ours, theirs] = socketpair();
    return { childFds: [devNull, devNull, devNull], outputs: [], master: -1, console: { theirs, ours } };
  }
  let stdinFd: number;
  let stdin: Writable | undefined;
  if (openStdin) {
    const [r, w] = pipe();
    stdinFd = r;
    stdin = new net.Socket({ fd: w, readable: false, writable: true });
  } else {
    stdinFd = sysOpen('/dev/null', O.RDWR | O.CLOEXEC);
  }
  const [outR, outW] = pipe();
  const [errR, errW] = pipe();
  return {
    childFds: [stdinFd, outW, errW],
    outputs: [
      { stream: new net.Socket({ fd: outR, readable: true, writable: false }), name: 'stdout' },
      { stream: new net.Socket({ fd: errR, readable: true, writable: false }), name: 'stderr' },
    ],
    ...(stdin ? { stdin } : {}),
    master: -1,
  };
}

/** Streams over a pty master: its output (EIO at the end: the slave side closed) and its input. */
export function masterStreams(master: number): { output: Readable; input: Writable } {
  return { output: new tty.ReadStream(master), input: new tty.WriteStream(dupCloexec(master)) };
}
