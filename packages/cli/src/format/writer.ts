import type { ApiContainerSummary, ApiImageSummary, ApiNetwork, ApiVolume } from './api-types.js';
import { CONTAINER_HEADERS, ContainerContext, DEFAULT_CONTAINER_TABLE_FORMAT, type RowOptions } from './containers.js';
import { DEFAULT_IMAGE_TABLE_FORMAT, DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST, IMAGE_HEADERS, imageRows } from './images.js';
import {
  DEFAULT_NETWORK_TABLE_FORMAT,
  DEFAULT_VOLUME_TABLE_FORMAT,
  NETWORK_HEADERS,
  NetworkContext,
  sortByNameNatural,
  VOLUME_HEADERS,
  VolumeContext,
} from './resources.js';
import { DEFAULT_STATS_TABLE_FORMAT, STATS_HEADERS, StatsContext, type StatsEntry } from './stats.js';
import { tabwrite } from './tabwriter.js';
import { COMPOSE_PS_HEADERS, ComposeContainerContext, DEFAULT_COMPOSE_PS_TABLE_FORMAT, type ComposePsInput } from './compose.js';
import { GoTemplate, HEADER_FUNCS, type GoStruct } from './template.js';

/**
 * The header object a table's first line is rendered from: field name → column title, plus docker's
 * `Label` method (`{{.Label "com.x.y"}}` → `y`).
 */
export function headerContext(headers: Readonly<Record<string, string>>): Record<string, unknown> {
  return {
    ...headers,
    Label: (name: unknown) => String(name).split('.').pop()!.replace(/[-_]/g, ' '),
  };
}

/** True for `table`-prefixed formats. */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/** True when the format mentions `{{.Field}}` (docker adds `size=1` to `ps` when `.Size` is used). */
export function formatUsesField(format: string, field: string): boolean {
  return new RegExp(`\\.${field}\\b`).test(format);
}

/**
 * Renders rows exactly as docker's `formatter.Context.Write`: strip the `table` prefix (or expand `json`
 * to `{{json .}}`), turn literal `\t` and `\n` into tab and newline, run the template per row (each
 * followed by a newline), and for tables prepend the header (rendered with the header functions) and
 * align everything with docker's tabwriter settings.
 */
export function renderRows(format: string, rows: readonly GoStruct[], headers: Readonly<Record<string, string>>): string {
  const table = isTableFormat(format);
  let f = format;
  if (table) f = f.slice('table'.length);
  else if (f === 'json') f = '{{json .}}';
  f = f.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const tpl = new GoTemplate(f);
  let body = '';
  for (const r of rows) body += `${tpl.execute(r)}\n`;
  if (!table) return body;
  let header: string;
  try {
    header = tpl.execute(headerContext(headers), HEADER_FUNCS);
  } catch {
    header = '';
  }
  return tabwrite(`${header}\n${body}`);
}

/** What every list command shares: `--format`, `-q`, `--no-trunc`, the clock. */
export interface ListFormatOptions extends Partial<RowOptions> {
  /** `--format` value; empty or `table` for the default table. */
  format?: string;
  quiet?: boolean;
}

function rowOptions(o: ListFormatOptions): RowOptions {
  return { trunc: o.trunc ?? true, nowMs: o.nowMs ?? 0, ...(o.zone ? { zone: o.zone } : {}) };
}

/** `docker ps` output for Engine API `GET /containers/json` results. */
export function formatContainers(list: readonly ApiContainerSummary[], o: ListFormatOptions & { size?: boolean } = {}): string {
  const src = o.format ?? '';
  let format: string;
  if (o.quiet) format = '{{.ID}}';
  else if (src === '' || src === 'table') format = DEFAULT_CONTAINER_TABLE_FORMAT + (o.size ? '\t{{.Size}}' : '');
  else if (src === 'raw') {
    format = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';
    if (o.size) format += 'size: {{.Size}}\\n';
  } else format = src;
  const ro = rowOptions(o);
  return renderRows(format, list.map((c) => new ContainerContext(c, ro)), CONTAINER_HEADERS);
}

/** `docker images` output for `GET /images/json` results. */
export function formatImages(list: readonly ApiImageSummary[], o: ListFormatOptions & { digests?: boolean } = {}): string {
  const src = o.format ?? '';
  let format: string;
  if (o.quiet) format = '{{.ID}}';
  else if (src === '' || src === 'table') format = o.digests ? DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST : DEFAULT_IMAGE_TABLE_FORMAT;
  else {
    format = src;
    if (isTableFormat(format) && o.digests && !format.includes('{{.Digest}}')) format += '\t{{.Digest}}';
  }
  const rows = imageRows(list, { ...rowOptions(o), digests: o.digests ?? false, formatUsesDigest: format.includes('{{.Digest}}') });
  return renderRows(format, rows, IMAGE_HEADERS);
}

/** `docker volume ls` output for `GET /volumes` `.Volumes` (sorted by name, naturally). */
export function formatVolumes(list: readonly ApiVolume[], o: ListFormatOptions = {}): string {
  const src = o.format ?? '';
  const format = o.quiet ? '{{.Name}}' : src === '' || src === 'table' ? DEFAULT_VOLUME_TABLE_FORMAT : src;
  return renderRows(format, sortByNameNatural(list).map((v) => new VolumeContext(v)), VOLUME_HEADERS);
}

/** `docker network ls` output for `GET /networks` results (sorted by name, naturally). */
export function formatNetworks(list: readonly ApiNetwork[], o: ListFormatOptions = {}): string {
  const src = o.format ?? '';
  const format = o.quiet ? '{{.ID}}' : src === '' || src === 'table' ? DEFAULT_NETWORK_TABLE_FORMAT : src;
  const ro = rowOptions(o);
  return renderRows(format, sortByNameNatural(list).map((n) => new NetworkContext(n, ro)), NETWORK_HEADERS);
}

/** One `docker stats` frame for computed rows (see `statsEntry`); the caller redraws it on a terminal. */
export function formatStats(entries: readonly StatsEntry[], o: { format?: string; trunc?: boolean } = {}): string {
  const src = o.format ?? '';
  const format = src === '' || src === 'table' ? DEFAULT_STATS_TABLE_FORMAT : src;
  return renderRows(format, entries.map((e) => new StatsContext(e, o.trunc ?? true)), STATS_HEADERS);
}

/**
 * `docker compose ps` output: rows sorted by container name, compose's default columns
 * (`NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS`), `-q` → IDs, `json` → one object per line.
 */
export function formatComposePs(list: readonly ComposePsInput[], o: ListFormatOptions = {}): string {
  const src = o.format ?? '';
  const format = o.quiet ? '{{.ID}}' : src === '' || src === 'table' ? DEFAULT_COMPOSE_PS_TABLE_FORMAT : src;
  const ro = rowOptions(o);
  const name = (c: ComposePsInput): string => (c.Names?.[0] ?? '').replace(/^\//, '');
  const sorted = [...list].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  return renderRows(format, sorted.map((c) => new ComposeContainerContext(c, ro)), COMPOSE_PS_HEADERS);
}
