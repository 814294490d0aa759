// A loopback TCP proxy put in front of the real registry to inject network faults the registry
// never makes itself: a connection cut in the middle of a response body, a flipped byte in a
// body, or a canned error status answered instead of forwarding.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** One fault, applied to the next `times` requests whose request line matches `match`. */
export interface Fault {
  match: RegExp;
  /** Also require (or forbid, with `false`) a Range header in the request. */
  range?: boolean;
  /** reset: close the connection without answering. */
  kind: 'cut' | 'flip' | 'status' | 'reset';
  /** cut: body bytes let through before the cut; flip: body offset of the flipped byte. */
  at?: number;
  /** status: the raw status line and headers, e.g. `503 Service Unavailable` */
  status?: string;
  headers?: Record<string, string>;
  /** status: response body. */
  body?: string;
  times: number;
}

export interface FaultProxy {
  host: string;
  faults: Fault[];
  /** Request lines seen, in order. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startFaultProxy(upstreamHost: string): Promise<FaultProxy> {
  const [uhost, uport] = [upstreamHost.slice(0, upstreamHost.lastIndexOf(':')), Number(upstreamHost.slice(upstreamHost.lastIndexOf(':') + 1))];
  const faults: Fault[] = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(uport, uhost);
    sockets.add(upstream);
    let armed: Fault | undefined;
    let head = Buffer.alloc(0);
    let body = -1; // body bytes seen, -1 while still in the response headers
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', close);
    upstream.on('error', close);
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const line = /^(GET|HEAD|POST|PUT|PATCH|DELETE) \S+ HTTP\/1\.1/m.exec(text)?.[0];
      if (line) {
        requests.push(line);
        const hasRange = /\r\nrange:/i.test(text);
        const fault = faults.find((f) => f.times > 0 && f.match.test(line) && (f.range === undefined || f.range === hasRange));
        if (fault) {
          fault.times--;
          if (fault.kind === 'reset') {
            close();
            return;
          }
          if (fault.kind === 'status') {
            const headers = { 'content-length': String(Buffer.byteLength(fault.body ?? '')), connection: 'close', ...fault.headers };
            client.end(`HTTP/1.1 ${fault.status}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${fault.body ?? ''}`);
            upstream.destroy();
            return;
          }
          armed = fault;
          head = Buffer.alloc(0);
          body = -1;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!armed) {
        client.write(chunk);
        return;
      }
      let data = chunk;
      if (body < 0) {
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.write(head.subarray(0, end + 4));
        data = head.subarray(end + 4);
        body = 0;
      }
      const at = armed.at ?? 0;
      if (armed.kind === 'cut' && body + data.length >= at) {
        client.write(data.subarray(0, at - body), () => close());
        armed = undefined;
        return;
      }
      if (armed.kind === 'flip' && body + data.length > at) {
        data = Buffer.from(data);
        data[at - body] = (data[at - body] ?? 0) ^ 0xff;
        armed = undefined;
      }
      body += data.length;
      client.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    faults,
    requests,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
