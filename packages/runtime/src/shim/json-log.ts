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

/** Appends json-file records to a log file. Writes are synchronous so a record is never half-lost on exit. */
export class JsonFileLog {
  private readonly fd: number;
  private readonly splitters = new Map<string, LineSplitter>();

  constructor(path: string) {
    this.fd = fs.openSync(path, 'a', 0o640);
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
    fs.writeSync(this.fd, `${JSON.stringify({ log: line, stream, time: logTimestamp() })}\n`);
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
