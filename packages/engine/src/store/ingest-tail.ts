import { open, type FileHandle } from 'node:fs/promises';

const READ_CHUNK = 1 << 20;

/**
 * Follows an ingest file while a download appends to it, so the download runs at the network's
 * speed (and its commit, fsync included, happens while the layer is still unpacking) instead of
 * being paced by the unpack. The unpack reads what is already on disk (page cache) in 1 MiB
 * reads; nothing is buffered in memory. The file may be renamed (committed) while it is read: the
 * reader keeps its own descriptor, opened by `IngestTail.open` before the download starts.
 */
export class IngestTail {
  private written: number;
  private done = false;
  private failed = false;
  private error: unknown;
  private wake: (() => void) | undefined;

  private constructor(private readonly fh: FileHandle, written: number) {
    this.written = written;
  }

  /** Follow `path`, which already holds `written` bytes (a resumed prefix). Call `close()` in the end. */
  static async open(path: string, written: number): Promise<IngestTail> {
    return new IngestTail(await open(path, 'r'), written);
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  /** The file now holds `total` bytes. */
  advance(total: number): void {
    this.written = total;
    this.notify();
  }

  /** No more bytes will come; with an error, the reader throws it (at once, even with unread bytes). */
  finish(error?: unknown): void {
    this.done = true;
    if (error !== undefined) {
      this.failed = true;
      this.error = error;
    }
    this.notify();
  }

  /** The file's bytes from the start, as they arrive; ends when `finish()` was called and all is read. */
  async *read(): AsyncGenerator<Buffer> {
    let pos = 0;
    while (true) {
      if (this.failed) throw this.error;
      if (pos < this.written) {
        const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, this.written - pos));
        const { bytesRead } = await this.fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw new Error(`the ingest is shorter than the ${this.written} bytes written`);
        pos += bytesRead;
        yield buf.subarray(0, bytesRead);
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
