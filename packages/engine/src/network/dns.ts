// The embedded DNS server of user-defined networks: UDP on each network's gateway address. It answers A
// (and, on networks with an IPv6 pool, AAAA) queries for the names of the containers attached to that network (container name, aliases, compose
// service name, short id) from the live records, so it is always current; other names are forwarded to
// the host's resolvers when forwarding is on (production), else answered NXDOMAIN (tests).
import { createSocket, type Socket } from 'node:dgram';
import { isV6, parseIp6 } from './ipv6.js';

/**
 * Answers a name asked by `source` (the querying container's address): addresses (IPv4 and IPv6), or
 * undefined when the name is not a container on a network the asker shares.
 */
export type NameLookup = (name: string, source?: string) => string[] | undefined;

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;

/** A parsed question (only the first is used, as every resolver sends one). */
interface Question { name: string; type: number; cls: number; end: number }

function readQuestion(msg: Buffer): Question | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    const len = msg[off];
    if (len === undefined || len > 63) return undefined;
    off++;
    if (len === 0) break;
    if (off + len > msg.length) return undefined;
    labels.push(msg.subarray(off, off + len).toString('latin1'));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  return { name: labels.join('.'), type: msg.readUInt16BE(off), cls: msg.readUInt16BE(off + 2), end: off + 4 };
}

/** The addresses that answer a question of `type`: IPv4 ones for A, IPv6 ones for AAAA, none otherwise. */
export function answersFor(type: number, ips: string[]): string[] {
  return type === TYPE_A ? ips.filter((ip) => !isV6(ip)) : type === TYPE_AAAA ? ips.filter(isV6) : [];
}

/** A response echoing the question, with `ips` as A or AAAA records (TTL 600, as Docker's). */
export function buildAnswer(query: Buffer, q: Question, rcode: number, ips: string[]): Buffer {
  const head = Buffer.alloc(12);
  query.copy(head, 0, 0, 2);
  const rd = query[2]! & 0x01;
  head[2] = 0x80 | (query[2]! & 0x78) | 0x04 | rd; // QR, opcode, AA, RD
  head[3] = 0x80 | (rcode & 0x0f); // RA, RCODE
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(ips.length, 6);
  const answers = ips.map((ip) => {
    const v6 = isV6(ip);
    const rr = Buffer.alloc(v6 ? 28 : 16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(v6 ? TYPE_AAAA : TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(600, 6);
    rr.writeUInt16BE(v6 ? 16 : 4, 10);
    if (v6) {
      const n = parseIp6(ip) ?? 0n;
      for (let i = 0; i < 16; i++) rr[12 + i] = Number((n >> BigInt(120 - 8 * i)) & 0xffn);
    } else {
      ip.split('.').forEach((p, i) => { rr[12 + i] = Number(p); });
    }
    return rr;
  });
  return Buffer.concat([head, query.subarray(12, q.end), ...answers]);
}

export interface DnsServerOptions {
  address: string;
  port: number;
  lookup: NameLookup;
  /** Upstream resolvers to forward unknown names to; empty = never forward. */
  upstream: string[];
}

/** One listening server; `close()` stops it. */
export class EmbeddedDns {
  private constructor(private readonly sock: Socket) {}

  static async listen(o: DnsServerOptions): Promise<EmbeddedDns> {
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: o.address, port: o.port }, () => { sock.off('error', reject); resolve(); });
    });
    sock.on('error', () => undefined);
    sock.on('message', (msg, rinfo) => {
      const reply = (b: Buffer): void => sock.send(b, rinfo.port, rinfo.address);
      const q = readQuestion(msg);
      if (!q || (msg[2]! & 0x80) !== 0) return;
      const ips = q.cls === CLASS_IN ? o.lookup(q.name.toLowerCase().replace(/\.$/, ''), rinfo.address) : undefined;
      if (ips) reply(buildAnswer(msg, q, 0, answersFor(q.type, ips)));
      else if (o.upstream.length) void forward(msg, o.upstream).then((r) => reply(r ?? buildAnswer(msg, q, 2, [])));
      else reply(buildAnswer(msg, q, 3, []));
    });
    return new EmbeddedDns(sock);
  }

  close(): Promise<void> {
    return new Promise((resolve) => { try { this.sock.close(() => resolve()); } catch { resolve(); } });
  }
}

/** Sends `msg` to each upstream in turn (2 s each); resolves with the first reply, or undefined. */
async function forward(msg: Buffer, upstream: string[]): Promise<Buffer | undefined> {
  for (const server of upstream) {
    const r = await new Promise<Buffer | undefined>((resolve) => {
      const s = createSocket('udp4');
      const done = (b?: Buffer): void => { clearTimeout(t); s.close(); resolve(b); };
      const t = setTimeout(() => done(), 2000);
      s.on('error', () => done());
      s.on('message', (b) => { if (b.readUInt16BE(0) === msg.readUInt16BE(0)) done(b); });
      s.send(msg, 53, server);
    });
    if (r) return r;
  }
  return undefined;
}
