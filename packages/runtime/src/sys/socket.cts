// Unix sockets with SCM_RIGHTS: passing a file descriptor (a pty master for runc's --console-socket).
import { SysError, check, raw } from './libc.cjs';
import { O } from './fs.cjs';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path);
  if (bytes.length > 107) throw new SysError(36, 'sockaddr_un', path); // ENAMETOOLONG
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return addr;
}

/** Sends `fd` with SCM_RIGHTS on the connected socket `sock`, `name` as the payload (blocking). */
export function sendFdOn(sock: number, fd: number, name = 'console', path?: string): void {
  const control = Buffer.alloc(24); // CMSG_SPACE(sizeof(int))
  control.writeBigUInt64LE(20n, 0); // cmsg_len = CMSG_LEN(sizeof(int))
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, 16);
  const payload = Buffer.from(name);
  const msg = { name: null, namelen: 0, iov: [{ base: payload, len: payload.length }], iovlen: 1, control, controllen: control.length, flags: 0 };
  check(raw.sendmsg(sock, msg, 0), 'sendmsg', path);
}

/** Connects to the unix socket at `path` and sends `fd` with SCM_RIGHTS, `name` as the payload. */
export function sendFd(path: string, fd: number, name = 'console'): void {
  const sock = check(raw.socket(AF_UNIX, SOCK_STREAM | O.CLOEXEC, 0), 'socket');
  try {
    check(raw.connect(sock, sockaddrUn(path), 110), 'connect', path);
    sendFdOn(sock, fd, name, path);
  } finally {
    raw.close(sock);
  }
}

/** socketpair(AF_UNIX, SOCK_STREAM): two connected sockets, close-on-exec unless flags say otherwise. */
export function socketpair(flags: number = O.CLOEXEC): [number, number] {
  const fds = [0, 0];
  check(raw.socketpair(AF_UNIX, SOCK_STREAM | flags, 0, fds), 'socketpair');
  return [fds[0] as number, fds[1] as number];
}

/** Receives one fd sent with SCM_RIGHTS on the connected socket `sock` (blocking; close-on-exec). */
export function recvFd(sock: number): { fd: number; name: string } {
  const control = Buffer.alloc(24);
  const payload = Buffer.alloc(256);
  const msg = { name: null, namelen: 0, iov: [{ base: payload, len: payload.length }], iovlen: 1, control, controllen: control.length, flags: 0 };
  const n = check(raw.recvmsg(sock, msg, 0x40000000), 'recvmsg'); // MSG_CMSG_CLOEXEC
  if (control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) throw new SysError(22, 'recvmsg (no SCM_RIGHTS)');
  return { fd: control.readInt32LE(16), name: payload.subarray(0, n).toString() };
}

/** A listening unix socket (blocking), for receiving fds in tests and tools. Returns its fd. */
export function listenUnix(path: string): number {
  const sock = check(raw.socket(AF_UNIX, SOCK_STREAM | O.CLOEXEC, 0), 'socket');
  try {
    check(raw.bind(sock, sockaddrUn(path), 110), 'bind', path);
    check(raw.listen(sock, 4), 'listen', path);
    return sock;
  } catch (err) {
    raw.close(sock);
    throw err;
  }
}

/** Accepts one connection on `listenFd` (blocking) and receives one fd sent with SCM_RIGHTS. */
export function acceptFd(listenFd: number): { fd: number; name: string } {
  const conn = check(raw.accept4(listenFd, null, null, O.CLOEXEC), 'accept4');
  try {
    return recvFd(conn);
  } finally {
    raw.close(conn);
  }
}
