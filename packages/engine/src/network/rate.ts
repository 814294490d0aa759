// Per-container bandwidth limits with tc on the host veth (HostConfig.NetworkRate, `tdock run --network-rate`).
// Traffic into the container leaves the host veth: a tbf qdisc at its root shapes it. Traffic out of the
// container enters the host veth: an ingress qdisc redirects it (u32 match-all + mirred) to an ifb device
// whose root tbf shapes it. (This kernel has no act_police or matchall, so an ingress policer is not an option.)
import { invalidArgument } from '@tdock/core';
import type { CommandRunner } from './types.js';

const UNITS: Record<string, number> = {
  '': 1, bit: 1, k: 1e3, kbit: 1e3, m: 1e6, mbit: 1e6, g: 1e9, gbit: 1e9, t: 1e12, tbit: 1e12,
  bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9, tbps: 8e12,
};

/** Parses a tc-style rate (`10mbit`, `500kbit`, `1gbit`, `2mbps` = bytes) into bits per second. */
export function parseRate(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(s);
  const mult = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || mult === undefined) throw invalidArgument(`invalid network rate ${JSON.stringify(s)}: use a number with bit, kbit, mbit, gbit (or bps, kbps, mbps, gbps for bytes)`);
  const bps = Math.round(Number(m[1]) * mult);
  if (bps < 8000) throw invalidArgument(`invalid network rate ${JSON.stringify(s)}: at least 8kbit`);
  return bps;
}

/** tbf's burst: at least one timer tick's worth of bytes at the rate (HZ 100) and a few full frames. */
export function burstBytes(bps: number, mtu: number): number {
  return Math.max(Math.ceil(bps / 8 / 100), 4 * (mtu + 14));
}

/** Applies the limit on `hostVeth` (both directions), creating the ifb `ifb`. */
export async function applyRate(runner: CommandRunner, hostVeth: string, ifb: string, bps: number, mtu: number): Promise<void> {
  const tbf = ['tbf', 'rate', `${bps}bit`, 'burst', String(burstBytes(bps, mtu)), 'latency', '50ms'];
  await runner.run('tc', ['qdisc', 'replace', 'dev', hostVeth, 'root', ...tbf]);
  await runner.run('ip', ['-batch', '-'], `link add ${ifb} type ifb\nlink set ${ifb} mtu ${mtu}\nlink set ${ifb} up\n`);
  await runner.run('tc', ['qdisc', 'replace', 'dev', ifb, 'root', ...tbf]);
  await runner.run('tc', ['qdisc', 'replace', 'dev', hostVeth, 'handle', 'ffff:', 'ingress']);
  await runner.run('tc', ['filter', 'add', 'dev', hostVeth, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
    'action', 'mirred', 'egress', 'redirect', 'dev', ifb]);
}

/** The rate (bits/s) of the root tbf on `dev`, or undefined when it has none. */
export async function readRate(runner: CommandRunner, dev: string): Promise<number | undefined> {
  const out = await runner.run('tc', ['-j', 'qdisc', 'show', 'dev', dev]).catch(() => '[]');
  const q = (JSON.parse(out || '[]') as Array<{ kind: string; root?: boolean; options?: { rate?: number } }>).find((x) => x.kind === 'tbf' && x.root);
  return q?.options?.rate === undefined ? undefined : q.options.rate * 8;
}
