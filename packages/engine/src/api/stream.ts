import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { OutputChunk, StreamSink } from './services.js';

/** Content types of attach/logs/exec streams (api-surface §1.4). */
export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** stdcopy stream ids: 0 stdin, 1 stdout, 2 stderr, 3 systemerr. */
export type StdStream = 0 | 1 | 2 | 3;

/** One stdcopy frame: `[stream,0,0,0,len(uint32 BE)]` then the payload. */
export function frame(stream: StdStream, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + data.length);
  out.writeUInt32BE(0, 0);
  out[0] = stream;
  out.writeUInt32BE(data.length, 4);
  data.copy(out, 8);
  return out;
}

/** Incremental stdcopy demuxer (for tests and clients): push bytes, take whole frames. */
export class StdcopyDemuxer {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every frame completed by them. */
  push(bytes: Buffer): Array<{ stream: StdStream; data: Buffer }> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, bytes]) : bytes;
    const out: Array<{ stream: StdStream; data: Buffer }> = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      out.push({ stream: this.buf[0] as StdStream, data: this.buf.subarray(8, 8 + len) });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }

  /** Bytes of an incomplete frame still held. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Demuxes a whole multiplexed body into stdout and stderr strings. */
export function demuxAll(body: Buffer): { stdout: string; stderr: string; frames: number } {
  const frames = new StdcopyDemuxer().push(body);
  let stdout = '';
  let stderr = '';
  for (const f of frames) {
    if (f.stream === 2) stderr += f.data.toString('utf8');
    else stdout += f.data.toString('utf8');
  }
  return { stdout, stderr, frames: frames.length };
}

/** A sink that frames (no TTY) or copies raw (TTY) into a writable. */
export function streamSink(out: NodeJS.WritableStream & { writableNeedDrain?: boolean }, tty: boolean): StreamSink {
  return {
    write(chunk: OutputChunk): void {
      if (chunk.data.length === 0) return;
      out.write(tty ? chunk.data : frame(chunk.stream === 'stderr' ? 2 : 1, chunk.data));
    },
    drained(): Promise<void> {
      if (!out.writableNeedDrain) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          out.removeListener('drain', done);
          out.removeListener('close', done);
          resolve();
        };
        out.once('drain', done);
        out.once('close', done);
      });
    },
  };
}

/** An AbortSignal that fires when the client closes the connection before the response finished. */
export function clientGone(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) ac.abort(new Error('client disconnected'));
  };
  // 'close' on the response fires when it finished or when its connection went away; listening on the
  // (keep-alive, shared) socket instead would add a listener per request.
  res.once('close', onClose);
  return ac.signal;
}

/**
 * A streaming 200 response taken over from Fastify: headers go out (and are flushed) on `open()` or on
 * the first write, so an error before that can still be a proper HTTP status. Chunked encoding (no
 * Content-Length), as docker-py's stream helper requires.
 */
export class HttpStream {
  private res: ServerResponse | undefined;

  constructor(
    private readonly reply: FastifyReply,
    private readonly contentType: string,
  ) {}

  /** True once headers went out: later errors must be written in-stream. */
  get started(): boolean {
    return this.res !== undefined;
  }

  /** Sends the status line and headers now (wait, events, attach: clients block on them). */
  open(): ServerResponse {
    if (this.res) return this.res;
    const reply = this.reply;
    reply.hijack();
    const res = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string | number | string[];
    headers['content-type'] = this.contentType;
    res.writeHead(200, headers);
    res.flushHeaders();
    this.res = res;
    return res;
  }

  private corked = false;

  /** Writes now; what is written in the same tick goes out in one syscall (a build's steps print many short lines). */
  write(data: Buffer | string): void {
    const res = this.open();
    if (!this.corked) {
      this.corked = true;
      res.cork();
      process.nextTick(() => {
        this.corked = false;
        res.uncork();
      });
    }
    res.write(data);
  }

  /** Resolves when the socket can take more (backpressure). */
  drained(): Promise<void> {
    const res = this.open();
    if (!res.writableNeedDrain || res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        res.removeListener('drain', done);
        res.removeListener('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  }

  end(): void {
    const res = this.open();
    if (!res.writableEnded) res.end();
  }
}

/** `\r\n`-terminated compact JSON, as moby's streamformatter writes it. */
export function ndjsonLine(obj: unknown): string {
  return JSON.stringify(obj) + '\r\n';
}

/** moby `FormatError`: `{"errorDetail":{"code"?,"message"},"error"}`. */
export function errorLine(err: unknown, code?: number): string {
  const message = err instanceof Error ? err.message : String(err);
  const detail: { code?: number; message: string } = { message };
  if (code !== undefined) detail.code = code;
  return ndjsonLine({ errorDetail: detail, error: message });
}

/** NDJSON over an {@link HttpStream}, with moby's in-stream error once streaming has begun. */
export class NdjsonStream {
  readonly http: HttpStream;

  constructor(reply: FastifyReply) {
    this.http = new HttpStream(reply, 'application/json');
  }

  get started(): boolean {
    return this.http.started;
  }

  send(obj: unknown): void {
    this.http.write(ndjsonLine(obj));
  }

  /**
   * Finishes the stream after `work` settles. If it fails before anything was written the error is
   * rethrown (a normal HTTP error); afterwards it is written in-stream and the stream ends.
   */
  async run(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (!this.started) throw err;
      const code = (err as { exitCode?: unknown }).exitCode;
      this.http.write(errorLine(err, typeof code === 'number' ? code : undefined));
    }
    this.http.end();
  }
}
