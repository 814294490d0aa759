import assert from 'node:assert/strict';
import { formatGoDuration, fromHumanSize, parseGoDuration, ramInBytes } from '../src/index.js';

describe('core/units', () => {
  it('parses sizes as go-units does', () => {
    const cases: [string, number][] = [['32m', 32 * 1024 ** 2], ['1g', 1024 ** 3], ['512', 512], ['1.5k', 1536], ['64MiB', 64 * 1024 ** 2], ['10mb', 10 * 1024 ** 2]];
    for (const [text, n] of cases) assert.equal(ramInBytes(text), n, text);
    assert.equal(fromHumanSize('10MB'), 10_000_000);
    assert.throws(() => ramInBytes('abc'), /invalid size: 'abc'/);
    assert.throws(() => ramInBytes('-1m'), /invalid size/);
  });

  it('parses and prints Go durations', () => {
    const cases: [string, number][] = [['30s', 30e9], ['1m30s', 90e9], ['500ms', 5e8], ['1.5h', 5400e9], ['0', 0], ['2h3m4s', 7384e9], ['-1s', -1e9], ['10us', 1e4]];
    for (const [text, ns] of cases) assert.equal(parseGoDuration(text), ns, text);
    assert.throws(() => parseGoDuration('10'), /time: invalid duration "10"/);
    assert.throws(() => parseGoDuration('1x'), /invalid duration/);
    assert.equal(formatGoDuration(90e9), '1m30s');
    assert.equal(formatGoDuration(30e9), '30s');
    assert.equal(formatGoDuration(5e8), '500ms');
    assert.equal(formatGoDuration(3600e9), '1h0m0s');
    assert.equal(formatGoDuration(0), '0s');
  });
});
