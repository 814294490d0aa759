import assert from 'node:assert/strict';
import { median, renderTable, runBenchmark, type Benchmark } from '../src/harness.js';

function fakeBench(order: string[], failIn?: 'subject'): Benchmark {
  return {
    name: 'fake',
    description: 'records the order of runs',
    goal: 1,
    runs: 4,
    warmup: 1,
    async prepare() {
      return {
        subjectLabel: 'tdock',
        referenceLabel: 'ref',
        subject: async () => {
          order.push('S');
          if (failIn === 'subject' && order.length > 2) throw new Error('subject failed');
        },
        reference: async () => {
          order.push('R');
          await new Promise((r) => setTimeout(r, 2));
        },
        extras: async () => ({ pss_kb: 123 }),
        teardown: async () => {
          order.push('T');
        },
      };
    },
  };
}

describe('bench harness', () => {
  it('computes medians of odd and even sample counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('warms up, interleaves both sides alternating who goes first, and tears down', async () => {
    const order: string[] = [];
    const result = await runBenchmark(fakeBench(order));
    assert.deepEqual(order, ['S', 'R', 'S', 'R', 'R', 'S', 'S', 'R', 'R', 'S', 'T']);
    assert.equal(result.subject.samples.length, 4);
    assert.equal(result.reference.samples.length, 4);
    assert.ok(result.ratio > 0 && result.ratio < 1, `subject is faster than the 2 ms reference: ${result.ratio}`);
    assert.deepEqual(result.extras, { pss_kb: 123 });
    const table = renderTable([result]);
    assert.match(table, /^benchmark\s+subject median/);
    assert.match(table, /fake\s+tdock .* ref .*x\s+<= 1x met/);
  });

  it('calls beforeEach before every run of each side, warm-up included', async () => {
    const order: string[] = [];
    const bench = fakeBench(order);
    const prepare = bench.prepare.bind(bench);
    bench.prepare = async () => {
      const p = await prepare();
      return {
        ...p,
        beforeEach: async (side) => {
          order.push(side === 'subject' ? 'bs' : 'br');
        },
      };
    };
    await runBenchmark(bench);
    assert.deepEqual(order, ['bs', 'S', 'br', 'R', 'bs', 'S', 'br', 'R', 'br', 'R', 'bs', 'S', 'bs', 'S', 'br', 'R', 'br', 'R', 'bs', 'S', 'T']);
  });

  it('tears down when a run throws', async () => {
    const order: string[] = [];
    await assert.rejects(runBenchmark(fakeBench(order, 'subject')), /subject failed/);
    assert.equal(order.at(-1), 'T');
  });

  it('reports a skip without preparing', async () => {
    const result = await runBenchmark({ name: 'x', description: 'd', skip: async () => 'no dockerd', prepare: () => assert.fail('prepared') });
    assert.equal(result.skipped, 'no dockerd');
    assert.match(renderTable([result]), /skipped: no dockerd/);
  });
});
