/**
 * TCP transfers for the network benchmarks: the host sends N MiB to a sink (`cat > /dev/null` behind
 * busybox `nc -ll -e`) and waits until the far side has read them all and closed, or reads from a
 * source until it closes and checks the byte count. The far side closing is what ends the timing, so a
 * relay in between (dockerd's docker-proxy) is included until it has delivered the last byte.
 */
import net from 'node:net';

export const MiB = 1 << 20;

/** Sends `bytes` zero bytes to host:port, half-closes, and resolves once the peer has closed too. */
export function sendBytes(host: string, port: number, bytes: number, chunkSize = MiB): Promise<void> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(Math.min(chunkSize, Math.max(bytes, 1)));
    const sock = net.connect({ host, port });
    let left = bytes;
    let failed = false;
    const pump = (): void => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!sock.write(piece)) {
          sock.once('drain', pump);
          return;
        }
      }
      sock.end();
    };
    sock.once('connect', pump);
    // The sink writes nothing; anything read is drained so the 'end' from its close arrives.
    sock.on('data', () => undefined);
    sock.on('error', (e) => {
      failed = true;
      reject(e);
    });
    sock.on('close', () => {
      if (failed) return;
      if (left > 0) reject(new Error(`${host}:${port} closed with ${left} of ${bytes} bytes unsent`));
      else resolve();
    });
  });
}

/** Reads from host:port until the peer closes; rejects unless exactly `bytes` arrived. */
export function receiveBytes(host: string, port: number, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let got = 0;
    let failed = false;
    sock.on('data', (d: Buffer) => {
      got += d.length;
    });
    sock.on('error', (e) => {
      failed = true;
      reject(e);
    });
    sock.on('close', () => {
      if (failed) return;
      if (got !== bytes) reject(new Error(`${host}:${port} sent ${got} bytes, expected ${bytes}`));
      else resolve();
    });
  });
}

/** Retries `attempt` (e.g. a first transfer while the server starts) up to `n` times, `ms` apart. */
export async function retried<T>(attempt: () => Promise<T>, n = 40, ms = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= n) throw err;
      await new Promise((r) => setTimeout(r, ms));
    }
  }
}

/** MiB/s of `bytes` moved in `ms` milliseconds, to one decimal. */
export function mibPerSecond(bytes: number, ms: number): number {
  return Math.round((bytes / MiB / (ms / 1000)) * 10) / 10;
}

/** Mbit/s (10^6 bits) of `bytes` moved in `ms` milliseconds, to one decimal. */
export function mbitPerSecond(bytes: number, ms: number): number {
  return Math.round(((bytes * 8) / 1e6 / (ms / 1000)) * 10) / 10;
}

