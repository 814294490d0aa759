import assert from 'node:assert/strict';
import net from 'node:net';
import { adjustSpec } from '../benchmarks/lib/oci-bundle.js';
import { descendants, parsePssKb, parseRssKb, parseStat, type ProcInfo } from '../benchmarks/lib/memory.js';
import { rateBytes } from '../benchmarks/network-transfer.js';
import { mbitPerSecond, mibPerSecond, MiB, receiveBytes, sendBytes } from '../benchmarks/lib/tcp.js';

/** A server on 127.0.0.1 that runs `handle` per connection; returns its port and a close function. */
async function server(handle: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer(handle);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

describe('bench helpers', () => {
  it('adjusts runc spec: no terminal, the args, a new network namespace, no ambient caps', () => {
    const spec = {
      process: { terminal: true, args: ['sh'], capabilities: { bounding: ['CAP_KILL'], ambient: ['CAP_KILL'] } },
      root: { path: 'rootfs', readonly: true },
      linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'mount' }] },
    };
    const out = adjustSpec(spec, ['true']);
    assert.equal(out.process?.terminal, false);
    assert.deepEqual(out.process?.args, ['true']);
    assert.deepEqual(out.process?.capabilities, { bounding: ['CAP_KILL'] });
    assert.deepEqual(out.linux?.namespaces, [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }]);
    assert.deepEqual(spec.process.args, ['sh'], 'the input is not modified');
    assert.deepEqual(adjustSpec({}, ['x']).linux?.namespaces, [{ type: 'network' }]);
  });

  it('parses PSS, RSS and stat lines', () => {
    assert.equal(parsePssKb('Rss:                9000 kB\nPss:                4321 kB\nPss_Anon:  12 kB\n'), 4321);
    assert.equal(parsePssKb(''), 0);
    assert.equal(parseRssKb('Name:\tnode\nVmRSS:\t   46600 kB\n'), 46600);
    assert.deepEqual(parseStat('123 (tdock shim (x)) S 45 123 123 0'), { ppid: 45, comm: 'tdock shim (x)' });
  });

  it('finds a process tree', () => {
    const p = (pid: number, ppid: number): ProcInfo => ({ pid, ppid, comm: `p${pid}`, cmdline: '' });
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(13, 10)];
    assert.deepEqual(descendants(all, 10).map((x) => x.pid).sort(), [10, 11, 12, 13]);
    assert.deepEqual(descendants(all, 99), []);
  });

  it('sends to a sink until it has read everything and closed; reads a source and checks the count', async () => {
    let got = 0;
    const sink = await server((s) => {
      s.on('data', (d: Buffer) => (got += d.length));
      s.on('end', () => s.end());
    });
    const source = await server((s) => s.end(Buffer.alloc(3 * MiB + 5)));
    try {
      await sendBytes('127.0.0.1', sink.port, 3 * MiB + 5);
      assert.equal(got, 3 * MiB + 5, 'the sink read every byte before the send resolved');
      await receiveBytes('127.0.0.1', source.port, 3 * MiB + 5);
      await assert.rejects(receiveBytes('127.0.0.1', source.port, 4 * MiB), /sent 3145733 bytes, expected 4194304/);
    } finally {
      await sink.close();
      await source.close();
    }
    const closed = await server((s) => s.destroy());
    await closed.close();
    await assert.rejects(sendBytes('127.0.0.1', closed.port, 10), /ECONNREFUSED/);
  });

  it('computes rates and the rate benchmarks\' transfer sizes', () => {
    assert.equal(mibPerSecond(256 * MiB, 500), 512);
    assert.equal(mbitPerSecond(1_250_000, 1000), 10);
    assert.equal(rateBytes(10), 38 * 65536, 'about 2 s at 10 Mbit/s in 64 KiB blocks');
    assert.equal(rateBytes(0.01), 65536, 'at least one block');
  });
});
