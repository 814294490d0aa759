// Our one nftables table (family ip): published ports as DNAT (prerouting for traffic arriving at the
// host, output for the host's own connections, including to 127.0.0.1), the loopback hairpin's
// masquerade, outbound masquerade of non-internal networks, and forwarding isolation between bridges
// and for internal networks. The whole table is rendered from the records and replaced in one nft
// transaction; when nothing needs a rule the table is deleted.
import type { CommandRunner, PortMapping } from './types.js';

/** One bridge network as the ruleset sees it. */
export interface RuleBridge {
  bridge: string;
  subnet: string;
  internal: boolean;
  /** Masquerade traffic from this subnet leaving through other interfaces (not for internal networks). */
  masquerade: boolean;
  /** Published ports of the containers attached to it, with their container addresses. */
  ports: Array<PortMapping & { containerIp: string }>;
}

/** The ruleset text for `table` (without the table wrapper's replace logic); empty when no rule is needed. */
export function renderRules(table: string, bridges: RuleBridge[], opts: { ipMasq: boolean }): string {
  const q = (s: string): string => JSON.stringify(s);
  const dnat: string[] = [];
  const post: string[] = [];
  const fwd: string[] = [];
  const names = bridges.map((b) => b.bridge);
  for (const b of bridges) {
    for (const p of b.ports) {
      const match = p.hostIp && p.hostIp !== '0.0.0.0' ? `ip daddr ${p.hostIp}` : 'fib daddr type local';
      dnat.push(`${match} ${p.proto} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`);
    }
    if (b.ports.length) post.push(`ip saddr 127.0.0.0/8 oifname ${q(b.bridge)} masquerade`);
    if (b.internal) {
      fwd.push(`iifname ${q(b.bridge)} oifname != ${q(b.bridge)} drop`, `oifname ${q(b.bridge)} iifname != ${q(b.bridge)} drop`);
    } else {
      if (opts.ipMasq && b.masquerade) post.push(`ip saddr ${b.subnet} oifname != ${q(b.bridge)} masquerade`);
      const others = names.filter((n) => n !== b.bridge);
      if (others.length) fwd.push(`iifname ${q(b.bridge)} oifname { ${others.map(q).join(', ')} } drop`);
    }
  }
  if (!dnat.length && !post.length && !fwd.length) return '';
  const chain = (name: string, hook: string, prio: string, rules: string[], type = 'nat'): string =>
    `  chain ${name} {\n    type ${type} hook ${hook} priority ${prio}; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  return `table ip ${table} {\n`
    + chain('prerouting', 'prerouting', 'dstnat', dnat)
    + chain('output', 'output', '-100', dnat)
    + chain('postrouting', 'postrouting', 'srcnat', post)
    + chain('forward', 'forward', 'filter', fwd, 'filter')
    + '}\n';
}

/** Replaces the table atomically with `rules` (or deletes it when `rules` is empty). */
export async function applyRules(runner: CommandRunner, table: string, rules: string): Promise<void> {
  // `table` then `delete table` makes the delete valid whether or not the table exists, in one transaction.
  await runner.run('nft', ['-f', '-'], `table ip ${table}\ndelete table ip ${table}\n${rules}`);
}
