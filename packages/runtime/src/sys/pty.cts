// Pseudo-terminals: a master for the shim, a slave for the container's stdio (DESIGN §4 TTY streams).
import { check, raw } from './libc.cjs';
import { O } from './fs.cjs';

/** ioctl(2) requests used with terminals. */
export const TIOC = { SCTTY: 0x540e, GWINSZ: 0x5413, SWINSZ: 0x5414, NOTTY: 0x5422, GPTN: 0x80045430, SPTLCK: 0x40045431, GPTPEER: 0x5441 } as const;

/** A pty pair: the master fd, the slave's path, and (when opened) the slave fd. */
export interface Pty {
  master: number;
  slavePath: string;
  slave: number;
}

/** posix_openpt(2). */
export function posixOpenpt(flags: number = O.RDWR | O.NOCTTY | O.CLOEXEC): number {
  return check(raw.posix_openpt(flags), 'posix_openpt');
}

/** grantpt(3). */
export function grantpt(fd: number): void {
  check(raw.grantpt(fd), 'grantpt');
}

/** unlockpt(3). */
export function unlockpt(fd: number): void {
  check(raw.unlockpt(fd), 'unlockpt');
}

/** ptsname_r(3): the slave's path for a master fd. */
export function ptsname(fd: number): string {
  const buf = Buffer.alloc(128);
  const ret = raw.ptsname_r(fd, buf, buf.length);
  if (ret !== 0) check(-1, 'ptsname_r');
  return buf.subarray(0, buf.indexOf(0)).toString('utf8');
}

/** Opens a new pty pair (master and slave both close-on-exec, slave not made the controlling tty). */
export function openPty(size?: { rows: number; cols: number }): Pty {
  const master = posixOpenpt();
  try {
    grantpt(master);
    unlockpt(master);
    const slavePath = ptsname(master);
    const slave = check(raw.open(slavePath, O.RDWR | O.NOCTTY | O.CLOEXEC, 0), 'open', slavePath);
    if (size) setWinsize(master, size.rows, size.cols);
    return { master, slavePath, slave };
  } catch (err) {
    raw.close(master);
    throw err;
  }
}

/**
 * Opens a pty in the devpts instance behind `ptmx` (the container's `/dev/ptmx` once its root is in place,
 * as runc does): the master, the slave opened through TIOCGPTPEER, and the slave's path in that instance.
 */
export function openPtyAt(ptmx: string, size?: { rows: number; cols: number }): Pty {
  const master = check(raw.open(ptmx, O.RDWR | O.NOCTTY | O.CLOEXEC, 0), 'open', ptmx);
  try {
    check(raw.ioctlPtr(master, TIOC.SPTLCK, Buffer.alloc(4)), 'ioctl TIOCSPTLCK');
    const n = Buffer.alloc(4);
    check(raw.ioctlPtr(master, TIOC.GPTN, n), 'ioctl TIOCGPTN');
    const slave = check(raw.ioctlInt(master, TIOC.GPTPEER, O.RDWR | O.NOCTTY | O.CLOEXEC), 'ioctl TIOCGPTPEER');
    if (size) setWinsize(master, size.rows, size.cols);
    return { master, slavePath: `/dev/pts/${n.readUInt32LE(0)}`, slave };
  } catch (err) {
    raw.close(master);
    throw err;
  }
}

/** ioctl(fd, TIOCSWINSZ): sets the terminal size. */
export function setWinsize(fd: number, rows: number, cols: number): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(rows, 0);
  ws.writeUInt16LE(cols, 2);
  check(raw.ioctlPtr(fd, TIOC.SWINSZ, ws), 'ioctl TIOCSWINSZ');
}

/** ioctl(fd, TIOCGWINSZ): the terminal size. */
export function getWinsize(fd: number): { rows: number; cols: number } {
  const ws = Buffer.alloc(8);
  check(raw.ioctlPtr(fd, TIOC.GWINSZ, ws), 'ioctl TIOCGWINSZ');
  return { rows: ws.readUInt16LE(0), cols: ws.readUInt16LE(2) };
}

/** ioctl(fd, TIOCSCTTY, 0): makes the terminal on `fd` the session's controlling terminal. */
export function setControllingTerminal(fd: number): void {
  check(raw.ioctlInt(fd, TIOC.SCTTY, 0), 'ioctl TIOCSCTTY');
}
