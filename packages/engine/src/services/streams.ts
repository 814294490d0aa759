// Attach sessions over a shim attachment (stdin with detach keys, StdinOnce) and the json-file log
// reader behind `docker logs` (tail, since, until, follow).
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { invalidArgument } from '@tdock/core';
import type { Attachment } from '@tdock/runtime';
import type { LogEntry, OutputChunk, StreamSession, StreamSink } from '../api/services.js';

/** moby `term.ToBytes`: `ctrl-p,ctrl-q` → [0x10, 0x11]. */
export function parseDetachKeys(keys: string | undefined): number[] {
  if (keys === undefined || keys === '') return [0x10, 0x11];
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const k = raw.trim();
    if (k.length > 1 && k.startsWith('ctrl-')) {
      const c = k.slice(5).toLowerCase();
      if (c.length !== 1) throw invalidArgument(`Invalid escape keys (${keys}) provided`);
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if (c === '@') out.push(0);
      else if ('[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
      else throw invalidArgument(`Invalid escape keys (${keys}) provided`);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw invalidArgument(`Invalid escape keys (${keys}) provided`);
  }
  return out;
}

/** What an attach session needs from the container service. */
export interface AttachPlan {
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  stdinOnce: boolean;
  detachKeys: number[];
  /** Past output to send first (`logs=1`). */
  replay?: () => AsyncIterable<OutputChunk>;
  /** Whether to follow live output (`stream=1`). */
  stream: boolean;
  /** Connects to the process's stdio; waits for the next start when not running; null: never going to run. */
  connect: (withStdin: boolean, signal: AbortSignal) => Promise<Attachment | null>;
  /** Called when the detach keys were typed. */
  onDetach?: () => void;
}

/** Pumps one attachment until exit, detach, or abort. Exported for exec sessions too. */
export async function pump(att: Attachment, io: { stdin: Readable | null; sink: StreamSink; signal: AbortSignal }, plan: Pick<AttachPlan, 'stdout' | 'stderr' | 'stdinOnce' | 'detachKeys' | 'onDetach'>): Promise<'exit' | 'detach' | 'abort'> {
  let done: ((why: 'detach' | 'abort') => void) | undefined;
  const ended = new Promise<'detach' | 'abort'>((resolve) => (done = resolve));
  const onAbort = (): void => done?.('abort');
  io.signal.addEventListener('abort', onAbort, { once: true });
  const stdin = io.stdin;
  let matched = 0;
  const onData = (chunk: Buffer): void => {
    const keys = plan.detachKeys;
    if (keys.length === 0 || (matched === 0 && !chunk.includes(keys[0]))) {
      att.write(chunk);
      return;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (b === keys[matched]) {
        matched++;
        if (matched === keys.length) {
          if (out.length) att.write(Buffer.from(out));
          plan.onDetach?.();
          done?.('detach');
          return;
        }
        continue;
      }
      if (matched > 0) out.push(...keys.slice(0, matched));
      matched = 0;
      if (b === keys[0]) matched = 1;
      else out.push(b);
    }
    if (out.length) att.write(Buffer.from(out));
  };
  const onEnd = (): void => {
    if (plan.stdinOnce) att.closeStdin();
  };
  if (stdin) {
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.on('error', () => undefined);
  }
  try {
    const output = (async (): Promise<'exit'> => {
      for (;;) {
        const f = await att.next();
        if (f === null || 'exit' in f) return 'exit';
        if ((f.stream === 'stdout' && !plan.stdout) || (f.stream === 'stderr' && !plan.stderr)) continue;
        io.sink.write({ stream: f.stream, data: Buffer.from(f.data, 'base64') });
        await io.sink.drained();
      }
    })();
    return await Promise.race([output, ended]);
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    if (stdin) {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
    }
    att.close();
  }
}

/** An attach session (`POST /containers/{id}/attach`). */
export function attachSession(plan: AttachPlan): StreamSession {
  return {
    tty: plan.tty,
    async run(io): Promise<void> {
      if (plan.replay) {
        for await (const c of plan.replay()) {
          if ((c.stream === 'stdout' && !plan.stdout) || (c.stream === 'stderr' && !plan.stderr)) continue;
          io.sink.write(c);
          await io.sink.drained();
        }
      }
      if (!plan.stream) return;
      const att = await plan.connect(io.stdin !== null, io.signal);
      if (!att) return;
      await pump(att, io, plan);
    },
  };
}

interface JsonLogRecord {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

/** Unix nanoseconds of an RFC 3339 nano timestamp. */
export function timeNs(t: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(t);
  if (!m) return 0n;
  const secs = BigInt(Math.floor(Date.parse(`${m[1]}Z`) / 1000));
  return secs * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
}

function parseLines(text: string): JsonLogRecord[] {
  const out: JsonLogRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as JsonLogRecord);
    } catch {
      // a torn last line (the shim is writing): the follow loop re-reads from its start
    }
  }
  return out;
}

/** Options of {@link readLogs}. */
export interface ReadLogsOptions {
  path: string;
  tail: number | 'all';
  since?: bigint;
  until?: bigint;
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Whether more output may still come (the container runs). */
  live: () => boolean;
  signal: AbortSignal;
  pollMs?: number;
}

/** Reads a json-file log (Docker's `docker logs` semantics). */
export async function* readLogs(o: ReadLogsOptions): AsyncGenerator<LogEntry> {
  const want = (r: JsonLogRecord): boolean => {
    if ((r.stream === 'stdout' && !o.stdout) || (r.stream === 'stderr' && !o.stderr)) return false;
    const t = timeNs(r.time);
    if (o.since !== undefined && o.since > 0n && t < o.since) return false;
    if (o.until !== undefined && o.until > 0n && t > o.until) return false;
    return true;
  };
  const entry = (r: JsonLogRecord): LogEntry => ({ stream: r.stream, data: Buffer.from(r.log), time: r.time });
  let text: string;
  try {
    text = fs.readFileSync(o.path, 'utf8');
  } catch {
    text = '';
  }
  const lastNl = text.lastIndexOf('\n');
  let offset = Buffer.byteLength(text.slice(0, lastNl + 1));
  let records = parseLines(text.slice(0, lastNl + 1)).filter(want);
  if (o.tail !== 'all') records = o.tail <= 0 ? [] : records.slice(-o.tail);
  for (const r of records) yield entry(r);
  if (!o.follow) return;
  const poll = o.pollMs ?? 100;
  while (!o.signal.aborted) {
    const wasLive = o.live();
    let chunk: string;
    try {
      const fd = fs.openSync(o.path, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        if (size < offset) offset = 0; // rotated
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        chunk = buf.toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      chunk = '';
    }
    const nl = chunk.lastIndexOf('\n');
    if (nl >= 0) {
      offset += Buffer.byteLength(chunk.slice(0, nl + 1));
      for (const r of parseLines(chunk.slice(0, nl + 1))) {
        if (o.until !== undefined && o.until > 0n && timeNs(r.time) > o.until) return;
        if (want(r)) yield entry(r);
      }
    }
    if (!wasLive && nl < 0) return;
    if (o.until !== undefined && o.until > 0n && BigInt(Date.now()) * 1_000_000n > o.until) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, poll);
      o.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}
