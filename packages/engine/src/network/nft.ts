// Our one nftables table (family ip): published ports as DNAT (prerouting for traffic arriving at the
// host, output for the host's own connections, including to 127.0.0.1), the masquerade of the loopback
// and container hairpins, outbound masquerade of non-internal networks, and forwarding isolation between
// bridges and for internal networks. The whole table is rendered from the records and replaced in one nft
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
  const isolate: string[] = [];
  const names = bridges.map((b) => b.bridge);
  const published = bridges.filter((b) => b.ports.length && !b.internal).map((b) => q(b.bridge));
  for (const b of bridges) {
    for (const p of b.ports) {
      const match = p.hostIp && p.hostIp !== '0.0.0.0' ? `ip daddr ${p.hostIp}` : 'fib daddr type local';
      dnat.push(`${match} ${p.proto} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`);
    }
    if (b.ports.length) {
      post.push(`ip saddr 127.0.0.0/8 oifname ${q(b.bridge)} masquerade`);
      // Hairpin: a container reaching a published port (its own or a sibling's) through the host's or
      // the gateway's address comes back into the same bridge; masquerade it to the gateway, so the
      // reply goes back through the host (its own address as a source would be a martian to it).
      post.push(`ip saddr ${b.subnet} oifname ${q(b.bridge)} ct status dnat masquerade`);
    }
    if (b.internal) {
      fwd.push(`iifname ${q(b.bridge)} oifname != ${q(b.bridge)} drop`, `oifname ${q(b.bridge)} iifname != ${q(b.bridge)} drop`);
    } else {
      if (opts.ipMasq && b.masquerade) post.push(`ip saddr ${b.subnet} oifname != ${q(b.bridge)} masquerade`);
      const others = names.filter((n) => n !== b.bridge);
      if (others.length) isolate.push(`iifname ${q(b.bridge)} oifname { ${others.map(q).join(', ')} } drop`);
    }
  }
  // Published ports are reachable from every network through the host's addresses (they are published
  // to the host), so a DNATed connection to them and its replies pass the isolation between bridges.
  if (published.length && isolate.length) fwd.push(`ct status dnat oifname { ${published.join(', ')} } accept`, `ct status dnat iifname { ${published.join(', ')} } accept`);
  fwd.push(...isolate);
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

/**
 * The `ip6` table of the same name, for networks with an IPv6 pool: only the forwarding isolation (an
 * internal network talks to nothing else, a bridge to none of our other bridges); no NAT and no published
 * IPv6 ports. Empty when no attached network has an IPv6 pool.
 */
export function renderRules6(table: string, bridges: RuleBridge[], v6: ReadonlySet<string>): string {
  const q = (s: string): string => JSON.stringify(s);
  const fwd: string[] = [];
  const names = bridges.map((b) => b.bridge);
  for (const b of bridges.filter((x) => v6.has(x.bridge))) {
    if (b.internal) {
      fwd.push(`iifname ${q(b.bridge)} oifname != ${q(b.bridge)} drop`, `oifname ${q(b.bridge)} iifname != ${q(b.bridge)} drop`);
    } else {
      const others = names.filter((n) => n !== b.bridge);
      if (others.length) fwd.push(`iifname ${q(b.bridge)} oifname { ${others.map(q).join(', ')} } drop`, `oifname ${q(b.bridge)} iifname { ${others.map(q).join(', ')} } drop`);
    }
  }
  if (!fwd.length) return '';
  return `table ip6 ${table} {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n${fwd.map((r) => `    ${r}\n`).join('')}  }\n}\n`;
}

/** Replaces the table of `family` atomically with `rules` (or deletes it when `rules` is empty). */
export async function applyRules(runner: CommandRunner, table: string, rules: string, family: 'ip' | 'ip6' = 'ip'): Promise<void> {
  // `table` then `delete table` makes the delete valid whether or not the table exists, in one transaction.
  await runner.run('nft', ['-f', '-'], `table ${family} ${table}\ndelete table ${family} ${table}\n${rules}`);
}
