// The shim's protocol: JSON lines on a unix socket, one request per connection. Requests carry `op`;
// replies are one JSON line, except `attach` (a stream of output lines, then the exit) and `wait`
// (one line when the process has exited). This file is also what callers import to talk to a shim.
import net from 'node:net';
import { TdockError, type ErrorKind } from '@tdock/core';
import type { ExecPlan } from '../init/plan.cjs';
import { JsonLineReader, writeJsonLine } from './json-lines.js';

/** What the shim knows about its container (OCI statuses). */
export interface ShimState {
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  /** Host pid of the container's process (0 once reaped and unknown). */
  pid: number;
  createdAt: string;
  startedAt?: string;
  exit?: ExitRecord;
  /** The shim's own pid. */
  shimPid: number;
}

/** How the container's process ended; recorded durably in the state dir. */
export interface ExitRecord {
  exitCode: number;
  /** Signal name when killed by a signal. */
  signal?: string;
  exitedAt: string;
  /** Set by the runtime when the container's cgroup saw an OOM kill. */
  oomKilled?: boolean;
  /** Set when the init failed before exec (step name and message). */
  error?: { step: string; message: string };
}

export type ShimRequest =
  | { op: 'state' }
  | { op: 'start' }
  | { op: 'kill'; signal: number | string }
  | { op: 'wait' }
  | { op: 'resize'; rows: number; cols: number }
  | { op: 'attach'; stdin?: boolean }
  | { op: 'stdin'; data: string }
  | { op: 'close-stdin' }
  | { op: 'exec'; plan: Omit<ExecPlan, 'pid'>; stdin?: boolean; consoleSize?: { rows: number; cols: number }; execId?: string }
  | { op: 'exec-state'; execId: string }
  | { op: 'shutdown' };

/** A reply; `error` carries a TdockError kind and message. */
export type ShimReply =
  | { ok: true; state?: ShimState; exit?: ExitRecord; pid?: number; exec?: ExecState }
  | { ok: false; error: { kind: ErrorKind; message: string } };

/** An exec's state as the shim remembers it (by execId) until the shim exits. */
export interface ExecState {
  pid: number;
  running: boolean;
  exit?: ExitRecord;
}

/** One attach frame: output (base64) or the final exit. */
export type AttachFrame = { stream: 'stdout' | 'stderr'; data: string } | { exit: ExitRecord };

function connect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', (err) => reject(new TdockError('unavailable', `shim at ${socketPath} is not reachable: ${err.message}`, { cause: err })));
  });
}

/** Sends one request and returns the reply (throws the reply's error as a TdockError). */
export async function shimRequest(socketPath: string, req: ShimRequest, opts: { unref?: boolean } = {}): Promise<{ state?: ShimState; exit?: ExitRecord; exec?: ExecState }> {
  const sock = await connect(socketPath);
  // A long request (wait) must not keep the caller's process alive on its own (tdockd's shutdown).
  if (opts.unref) sock.unref();
  try {
    const reader = new JsonLineReader<ShimReply>(sock);
    writeJsonLine(sock, req);
    const reply = await reader.next();
    if (reply === null) throw new TdockError('unavailable', `shim at ${socketPath} closed the connection`);
    if (!reply.ok) throw new TdockError(reply.error.kind, reply.error.message);
    return reply;
  } finally {
    sock.destroy();
  }
}

/**
 * Asks the shim to exit. Resolves with true once it agreed: by then it has closed its server and
 * removed its socket, and it exits as soon as the reply is out. With `waitExit`, resolves only once it
 * has exited (it keeps the connection open until then, so the connection's end marks the exit).
 * Resolves with false when the shim is unreachable or refuses.
 */
export async function shimShutdown(socketPath: string, opts: { waitExit?: boolean } = {}): Promise<boolean> {
  let sock: net.Socket;
  try {
    sock = await connect(socketPath);
  } catch {
    return false;
  }
  try {
    const reader = new JsonLineReader<ShimReply>(sock);
    writeJsonLine(sock, { op: 'shutdown' });
    const reply = await reader.next();
    if (reply?.ok && opts.waitExit) await reader.next();
    return reply?.ok === true;
  } finally {
    sock.destroy();
  }
}

/** An attached connection: output frames in, stdin out. */
export interface Attachment {
  /** The next frame; null when the connection ended. */
  next(): Promise<AttachFrame | null>;
  write(data: Buffer | string): void;
  closeStdin(): void;
  close(): void;
}

/** An exec'd process: an attachment that can also be resized and signalled. */
export interface ExecSession extends Attachment {
  /** Host pid of the exec'd process. */
  readonly pid: number;
  resize(rows: number, cols: number): void;
  kill(signal: string | number): void;
}

/** Attaches to the container's stdio. */
export async function shimAttach(socketPath: string, opts: { stdin?: boolean } = {}): Promise<Attachment> {
  return open(socketPath, { op: 'attach', stdin: opts.stdin ?? false });
}

/** Runs a process in the running container (its frames end with `{exit}`). */
export async function shimExec(socketPath: string, req: Extract<ShimRequest, { op: 'exec' }>): Promise<ExecSession> {
  const a = await open(socketPath, req);
  return a as ExecSession;
}

async function open(socketPath: string, req: ShimRequest): Promise<Attachment & ExecSession> {
  const sock = await connect(socketPath);
  const reader = new JsonLineReader<AttachFrame | ShimReply>(sock);
  writeJsonLine(sock, req);
  const first = await reader.next();
  if (first === null || !('ok' in first) || !first.ok) {
    sock.destroy();
    const e = first !== null && 'ok' in first && !first.ok ? first.error : { kind: 'unavailable' as const, message: 'attach refused' };
    throw new TdockError(e.kind, e.message);
  }
  return {
    pid: first.pid ?? 0,
    next: () => reader.next() as Promise<AttachFrame | null>,
    write: (data) => void writeJsonLine(sock, { op: 'stdin', data: Buffer.from(data).toString('base64') }),
    closeStdin: () => void writeJsonLine(sock, { op: 'close-stdin' }),
    close: () => sock.destroy(),
    resize: (rows, cols) => void writeJsonLine(sock, { op: 'resize', rows, cols }),
    kill: (signal) => void writeJsonLine(sock, { op: 'kill', signal }),
  };
}
