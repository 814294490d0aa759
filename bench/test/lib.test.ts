import assert from 'node:assert/strict';
import { adjustSpec } from '../benchmarks/lib/oci-bundle.js';
import { descendants, parsePssKb, parseRssKb, parseStat, type ProcInfo } from '../benchmarks/lib/memory.js';

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
});
