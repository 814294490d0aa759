import { humanSize } from './format/index.js';

/**
 * Renders the Engine API's JSON progress stream (pull, push, build) as docker's jsonmessage does:
 * on a terminal, one line per layer id redrawn in place with a bar; otherwise plain lines, with the
 * byte-count updates left out.
 */

export interface JsonMessage {
  id?: string;
  status?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: Record<string, unknown>;
}

/** An error carried in the stream (`errorDetail`), with the code the CLI exits with. */
export class StreamError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** docker's progress bar: `[=====>      ]  1.234MB/3.624MB`, 50 columns. */
export function renderBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((width * current) / total));
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

export class ProgressRenderer {
  private readonly lines = new Map<string, number>();
  private count = 0;
  readonly aux: Record<string, unknown>[] = [];

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly isTerminal: boolean,
  ) {}

  /** Writes one message; throws StreamError for an in-stream error. */
  write(msg: JsonMessage): void {
    if (msg.errorDetail || msg.error) {
      throw new StreamError(msg.errorDetail?.message ?? msg.error ?? 'unknown error', msg.errorDetail?.code ?? 1);
    }
    if (msg.aux) {
      this.aux.push(msg.aux);
      return;
    }
    if (msg.stream !== undefined) {
      this.out.write(msg.stream);
      return;
    }
    const hasDetail = msg.progressDetail !== undefined || msg.progress !== undefined;
    const detail = msg.progressDetail;
    const bar = detail?.total ? renderBar(detail.current ?? 0, detail.total) : (msg.progress ?? '');
    const text = `${msg.id ? `${msg.id}: ` : ''}${msg.status ?? ''}${bar ? ` ${bar}` : ''}`;
    if (!this.isTerminal) {
      if (detail?.total || msg.progress) return;
      this.out.write(`${text}\n`);
      return;
    }
    if (!msg.id || !hasDetail) {
      this.lines.clear();
      this.count = 0;
      this.out.write(`${text}\n`);
      return;
    }
    let line = this.lines.get(msg.id);
    if (line === undefined) {
      line = this.count++;
      this.lines.set(msg.id, line);
      this.out.write(`${text}\n`);
      return;
    }
    const up = this.count - line;
    this.out.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`);
  }
}

/** Reads an NDJSON stream, rendering each message; resolves with the aux messages. */
export async function followProgress(stream: NodeJS.ReadableStream, renderer: ProgressRenderer): Promise<Record<string, unknown>[]> {
  let buf = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) renderer.write(JSON.parse(line) as JsonMessage);
    }
  }
  if (buf.trim()) renderer.write(JSON.parse(buf) as JsonMessage);
  return renderer.aux;
}
