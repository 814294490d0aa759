// Docker's json-file log format: one `{"log","stream","time"}` object per line of output.
import fs from 'node:fs';

/** RFC 3339 with nanoseconds, as Docker writes it (the sub-millisecond digits come from hrtime). */
export function logTimestamp(now: Date = new Date(), hr: bigint = process.hrtime.bigint()): string {
  const iso = now.toISOString(); // 2024-01-01T00:00:00.123Z
  const nanos = String(hr % 1_000_000n).padStart(6, '0');
  return `${iso.slice(0, 23)}${nanos}Z`;
}

/** Splits a stream's chunks into lines (a line keeps its '\n'); a partial line waits for the rest, up to 16 KiB. */
export class LineSplitter {
  private partial = '';
  constructor(private readonly emit: (line: string) => void, private readonly maxPartial = 16 * 1024) {}

  push(chunk: string): void {
    let text = this.partial + chunk;
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      this.emit(text.slice(0, nl + 1));
      text = text.slice(nl + 1);
    }
    if (text.length >= this.maxPartial) {
      this.emit(text);
      text = '';
    }
    this.partial = text;
  }

  flush(): void {
    if (this.partial !== '') this.emit(this.partial);
    this.partial = '';
  }
}

/** Docker's json-file `max-size` and `max-file`: rotate to `<log>.1` ... `<log>.<maxFiles-1>`. */
export interface LogRotation {
  /** Bytes; 0 or absent: never rotate. */
  maxSize?: number;
  /** Files kept including the current one (default 1: the log is truncated). */
  maxFiles?: number;
}

/** Appends json-file records to a log file. Writes are synchronous so a record is never half-lost on exit. */
export class JsonFileLog {
  private fd: number;
  private size: number;
  private readonly splitters = new Map<string, LineSplitter>();

  constructor(private readonly path: string, private readonly rotation: LogRotation = {}) {
    this.fd = fs.openSync(path, 'a', 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    const keep = Math.max(1, this.rotation.maxFiles ?? 1);
    if (keep === 1) {
      this.fd = fs.openSync(this.path, 'w', 0o640);
    } else {
      for (let i = keep - 1; i >= 1; i--) {
        const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
        try {
          fs.renameSync(from, `${this.path}.${i}`);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      this.fd = fs.openSync(this.path, 'a', 0o640);
    }
    this.size = 0;
  }

  write(stream: 'stdout' | 'stderr', chunk: string): void {
    let s = this.splitters.get(stream);
    if (!s) {
      s = new LineSplitter((line) => this.record(stream, line));
      this.splitters.set(stream, s);
    }
    s.push(chunk);
  }

  private record(stream: string, line: string): void {
    const rec = Buffer.from(`${JSON.stringify({ log: line, stream, time: logTimestamp() })}\n`);
    const max = this.rotation.maxSize ?? 0;
    if (max > 0 && this.size > 0 && this.size + rec.length > max) this.rotate();
    fs.writeSync(this.fd, rec);
    this.size += rec.length;
  }

  close(): void {
    for (const s of this.splitters.values()) s.flush();
    fs.closeSync(this.fd);
  }
}

/** Reads a json-file log back: the records in order. */
export function readJsonFileLog(path: string): { log: string; stream: string; time: string }[] {
  return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
}
