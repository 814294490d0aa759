// JSON-lines framing over a stream: one JSON value per line, read as an async queue.
import type { Readable, Writable } from 'node:stream';

/** Reads JSON values, one per line, from a stream. `next()` resolves null at end of stream. */
export class JsonLineReader<T> {
  private buf = '';
  private readonly queue: (T | null)[] = [];
  private readonly waiters: ((v: T | null) => void)[] = [];
  private ended = false;

  constructor(stream: Readable, private readonly onError?: (err: Error) => void) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
    stream.on('end', () => this.end());
    stream.on('close', () => this.end());
    stream.on('error', (err) => {
      this.onError?.(err);
      this.end();
    });
  }

  private push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line === '') continue;
      let value: T;
      try {
        value = JSON.parse(line) as T;
      } catch (err) {
        this.onError?.(err as Error);
        continue;
      }
      this.deliver(value);
    }
  }

  private deliver(v: T | null): void {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.queue.push(v);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.deliver(null);
    while (this.waiters.length > 0) this.waiters.shift()?.(null);
  }

  /** The next value, or null once the stream has ended. */
  next(): Promise<T | null> {
    if (this.queue.length > 0) {
      const v = this.queue.shift() as T | null;
      if (v === null) this.queue.unshift(null); // keep reporting the end
      return Promise.resolve(v);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Writes one JSON value as a line; false when the stream is not writable anymore. */
export function writeJsonLine(stream: Writable, value: unknown): boolean {
  if (stream.destroyed || !stream.writable) return false;
  stream.write(`${JSON.stringify(value)}\n`);
  return true;
}
