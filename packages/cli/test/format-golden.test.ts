import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  formatContainers,
  formatImages,
  formatNetworks,
  formatStats,
  formatVolumes,
  statsEntry,
  type ApiStats,
  type ApiContainerSummary,
  type ApiImageSummary,
  type ApiNetwork,
  type ApiVolume,
} from '../src/index.js';

// Goldens were produced by the real docker CLI against a fake daemon serving api.json (see generate.mjs).
const dir = fileURLToPath(new URL('../../test/format-fixtures/', import.meta.url));
const api = JSON.parse(readFileSync(`${dir}api.json`, 'utf8')) as {
  nowMs: number;
  containers: ApiContainerSummary[];
  images: ApiImageSummary[];
  volumes: { Volumes: ApiVolume[] };
  networks: ApiNetwork[];
  stats: Record<string, ApiStats>;
};
interface Case {
  cmd: string;
  format?: string;
  quiet?: boolean;
  noTrunc?: boolean;
  digests?: boolean;
  size?: boolean;
  args?: string[];
  stdout: string;
}
const goldens = JSON.parse(readFileSync(`${dir}goldens.json`, 'utf8')) as { generatedBy: string; shiftSeconds: number; cases: Case[] };
// The generator shifted Created by shiftSeconds so docker's own clock saw the ages api.json intends.
const shift = <T extends { Created: number }>(list: T[]): T[] => list.map((x) => ({ ...x, Created: x.Created + goldens.shiftSeconds }));
const nowMs = api.nowMs + goldens.shiftSeconds * 1000;

function render(c: Case): string {
  const o = { nowMs, trunc: !c.noTrunc, quiet: c.quiet ?? false, ...(c.format !== undefined ? { format: c.format } : {}) };
  switch (c.cmd) {
    case 'ps':
      return formatContainers(shift(api.containers), { ...o, size: c.size ?? false });
    case 'images':
      return formatImages(shift(api.images), { ...o, digests: c.digests ?? false });
    case 'volume ls':
      return formatVolumes(api.volumes.Volumes, o);
    case 'network ls':
      return formatNetworks(api.networks, o);
    case 'stats --no-stream': {
      const entries = (c.args ?? []).map((a) => {
        const id = Object.keys(api.stats).find((k) => k.startsWith(a) || api.stats[k]!.name === `/${a}`)!;
        return statsEntry(a, api.stats[id]!);
      });
      return formatStats(entries, { trunc: !c.noTrunc, ...(c.format !== undefined ? { format: c.format } : {}) });
    }
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

describe(`format/golden tables (${goldens.generatedBy})`, () => {
  for (const c of goldens.cases) {
    const flags = [c.quiet ? '-q' : '', c.noTrunc ? '--no-trunc' : '', c.digests ? '--digests' : '', c.size ? '--size' : ''].filter(Boolean);
    it(`docker ${c.cmd} ${flags.join(' ')}${(c.args ?? []).join(' ')}${c.format !== undefined ? ` --format '${c.format}'` : ''}`, () => {
      assert.equal(render(c), c.stdout);
    });
  }
});
