// The shim's side of a process's stdio: a pty (slave on 0..2, master kept) or pipes. Real pipes, not
// socketpairs, so that opening /dev/stdout inside the container works.
import net from 'node:net';
import tty from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import { O, dupCloexec, open as sysOpen, openPty, pipe } from '../sys/index.js';

/** The shim's side of a process's stdio: the fds the child gets, output streams, stdin, pty master. */
export interface Stdio {
  childFds: [number, number, number];
  outputs: { stream: Readable; name: 'stdout' | 'stderr' }[];
  stdin?: Writable;
  /** The pty master, or -1. */
  master: number;
  slavePath?: string;
}

/** A pty (the slave on 0..2) or pipes (stdin a pipe only when kept open, else /dev/null). */
export function makeStdio(terminal: boolean, openStdin: boolean, size?: { rows: number; cols: number }, bareMaster = false): Stdio {
  if (terminal) {
    const pty = openPty(size);
    // The master goes elsewhere (runc's --console-socket): the shim neither reads nor writes it.
    if (bareMaster) return { childFds: [pty.slave, pty.slave, pty.slave], outputs: [], master: pty.master, slavePath: pty.slavePath };
    return {
      childFds: [pty.slave, pty.slave, pty.slave],
      outputs: [{ stream: new tty.ReadStream(pty.master), name: 'stdout' }],
      stdin: new tty.WriteStream(dupCloexec(pty.master)),
      master: pty.master,
      slavePath: pty.slavePath,
    };
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

