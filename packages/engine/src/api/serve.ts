import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { invalidArgument, TdockError } from '@tdock/core';

/** A parsed `-H` address. */
export type HostAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** TLS material for tcp listeners (`--tlsverify` checks client certificates against `ca`). */
export interface TlsFiles {
  verify: boolean;
  ca?: string;
  cert: string;
  key: string;
}

/** Parses `unix:///path`, `tcp://host:port` (dockerd's `-H` forms; `fd://` is not supported). */
export function parseHost(spec: string): HostAddress {
  if (spec.startsWith('unix://')) {
    const p = spec.slice('unix://'.length);
    if (!p.startsWith('/')) throw invalidArgument(`invalid unix socket path: ${spec}`);
    return { kind: 'unix', path: p };
  }
  if (spec.startsWith('/')) return { kind: 'unix', path: spec };
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(spec);
  if (m) {
    const host = (m[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
    return { kind: 'tcp', host, port: m[2] ? Number(m[2]) : 2376 };
  }
  throw invalidArgument(`invalid bind address format: ${spec}`);
}

/** Resolves when `path` answers a connect (another daemon is there), false when nothing listens. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** The open listeners; `close` stops accepting and, after `graceMs`, destroys the connections left. */
export interface Listeners {
  /** Where each listener is bound (a socket path, or host and port: useful with port 0). */
  addresses(): Array<string | net.AddressInfo | null>;
  close(graceMs: number): Promise<void>;
}

function groupId(name: string): number | undefined {
  try {
    const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith(name + ':'));
    return line ? Number(line.split(':')[2]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the app's http server on every address: each listener hands its connections to the one
 * http.Server (so the upgrade router sees them too). Unix sockets get mode 0660 and group `tdock`
 * when it exists; a stale socket file is replaced, a live one is an error.
 */
export async function listenOn(app: FastifyInstance, hosts: HostAddress[], tlsFiles: TlsFiles | undefined): Promise<Listeners> {
  await app.ready();
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (sock: net.Socket): void => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    app.server.emit('connection', sock);
  };
  const gid = groupId('tdock');
  try {
    for (const h of hosts) {
      let server: net.Server;
      if (h.kind === 'tcp' && tlsFiles) {
        server = tls.createServer(
          {
            cert: fs.readFileSync(tlsFiles.cert),
            key: fs.readFileSync(tlsFiles.key),
            ...(tlsFiles.ca ? { ca: fs.readFileSync(tlsFiles.ca) } : {}),
            requestCert: tlsFiles.verify,
            rejectUnauthorized: tlsFiles.verify,
          },
          track,
        );
      } else {
        server = net.createServer({ allowHalfOpen: true }, track);
      }
      if (h.kind === 'unix') {
        if (fs.existsSync(h.path)) {
          if (await socketInUse(h.path)) throw new TdockError('conflict', `${h.path} is in use by another daemon`);
          fs.rmSync(h.path, { force: true });
        }
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(h.path, () => resolve()));
        fs.chmodSync(h.path, 0o660);
        if (gid !== undefined) fs.chownSync(h.path, -1, gid);
      } else {
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(h.port, h.host, () => resolve()));
      }
      servers.push(server);
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return {
    addresses: () => servers.map((s) => s.address()),
    async close(graceMs: number): Promise<void> {
      // Stop accepting now; a server's close callback waits for its connections, so it is awaited last.
      const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      app.server.closeIdleConnections();
      const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([app.close(), timer]);
      for (const s of sockets) s.destroy();
      await Promise.all(closed);
      for (const h of hosts) if (h.kind === 'unix') fs.rmSync(h.path, { force: true });
    },
  };
}
