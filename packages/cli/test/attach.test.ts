import assert from 'node:assert/strict';
import { DetachScanner, parseDetachKeys } from '../src/attach.js';

describe('cli/attach detach keys', () => {
  it('parses docker --detach-keys specs', () => {
    assert.deepEqual([...parseDetachKeys(undefined)], [0x10, 0x11]);
    assert.deepEqual([...parseDetachKeys('ctrl-a,x')], [1, 0x78]);
    assert.deepEqual([...parseDetachKeys('ctrl-@')], [0]);
    assert.throws(() => parseDetachKeys('ctrl-ab'), /Invalid detach keys/);
  });

  it('swallows the sequence, holds a possible start, and passes everything else', () => {
    const s = new DetachScanner(parseDetachKeys(undefined));
    assert.deepEqual(s.push(Buffer.from('ab')), { forward: Buffer.from('ab'), detached: false });
    assert.deepEqual(s.push(Buffer.from([0x61, 0x10])), { forward: Buffer.from('a'), detached: false });
    assert.deepEqual(s.push(Buffer.from([0x62])), { forward: Buffer.from([0x10, 0x62]), detached: false });
    assert.deepEqual(s.push(Buffer.from([0x10, 0x10])), { forward: Buffer.from([0x10]), detached: false });
    assert.deepEqual(s.push(Buffer.from([0x11])), { forward: Buffer.from([]), detached: true });
  });
});
