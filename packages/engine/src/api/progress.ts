import type { ProgressSink } from './services.js';
import type { JsonObject } from './types.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** go-units `HumanSize`: decimal units, 4 significant digits (`1.234kB`, `3.624MB`, `512B`). */
export function humanSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${UNITS[i]}`;
}

/** The `progressDetail` object of a JSONMessage. */
export interface ProgressDetail {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

function goDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h${m}m${r}s`;
  if (m) return `${m}m${r}s`;
  return `${r}s`;
}

/**
 * moby's `JSONProgress.String()` at the daemon's width (no terminal: 200 columns): the bar
 * `[====>     ] ` when a total is known, the numbers box, and the time left when `start` and `nowSec` are given.
 */
export function renderProgress(p: ProgressDetail, nowSec?: number): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
  let pct = Math.floor(Math.floor((current / total) * 100) / 2);
  if (pct > 50) pct = 50;
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  let numbers: string;
  if (p.hidecounts) numbers = '';
  else if (!p.units) numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  let left = '';
  if (nowSec !== undefined && current > 0 && p.start && pct < 50) {
    const perByte = (nowSec - p.start) / current;
    left = ' ' + goDuration((total - current) * perByte);
  }
  return bar + numbers + left;
}

/** A JSONMessage as the CLI, compose and dockerode read it. */
export interface JsonMessage {
  status?: string;
  progressDetail?: ProgressDetail;
  progress?: string;
  id?: string;
  stream?: string;
  aux?: JsonObject;
}

/**
 * A ProgressSink rendering Docker's JSON messages into `emit`: every per-layer update carries
 * `progressDetail` (empty when there are no numbers), so the CLI keeps drawing it on the layer's own line.
 */
export function progressRenderer(emit: (msg: JsonMessage) => void, clock?: () => number): ProgressSink {
  const starts = new Map<string, number>();
  return {
    status(message: string, id?: string): void {
      emit(id ? { status: message, id } : { status: message });
    },
    progress(id: string, action: string, current?: number, total?: number): void {
      if (current === undefined) {
        emit({ status: action, progressDetail: {}, id });
        return;
      }
      const detail: ProgressDetail = { current };
      if (total !== undefined && total > 0) detail.total = total;
      let nowSec: number | undefined;
      if (clock) {
        nowSec = Math.floor(clock() / 1000);
        const key = `${id}\0${action}`;
        if (!starts.has(key)) starts.set(key, nowSec);
        detail.start = starts.get(key);
      }
      // Key order as moby marshals JSONMessage: status, progressDetail, progress, id.
      const msg: JsonMessage = { status: action, progressDetail: detail };
      const bar = renderProgress(detail, nowSec);
      if (bar) msg.progress = bar;
      msg.id = id;
      emit(msg);
    },
    stream(text: string): void {
      emit({ stream: text });
    },
    aux(value: JsonObject): void {
      emit({ progressDetail: {}, aux: value });
    },
  };
}
