import assert from 'node:assert/strict';
import { digestError, digestHex, isDigest, parseDigest, shortId } from '../src/index.js';

describe('core/digest', () => {
  const hex = 'a'.repeat(64);
  const table: Array<[string, string | undefined]> = [
    [`sha256:${hex}`, undefined],
    [`sha512:${'b'.repeat(128)}`, undefined],
    [`sha256:${hex.slice(1)}`, 'invalid checksum digest length'],
    [`sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`md5:${hex}`, 'unsupported digest algorithm'],
    ['sha256:', 'invalid checksum digest format'],
    [':abc', 'invalid checksum digest format'],
    ['nocolon', 'invalid checksum digest format'],
    [`SHA256:${hex}`, 'invalid checksum digest format'],
  ];
  for (const [s, err] of table) it(`${s.slice(0, 20)} -> ${err ?? 'ok'}`, () => assert.equal(digestError(s), err));

  it('parses and shortens', () => {
    assert.deepEqual(parseDigest(`sha256:${hex}`), { algorithm: 'sha256', encoded: hex });
    assert.equal(digestHex(`sha256:${hex}`), hex);
    assert.equal(shortId(`sha256:${hex}`), 'aaaaaaaaaaaa');
    assert.equal(isDigest('x'), false);
    assert.throws(() => parseDigest('x'), { kind: 'invalid-argument' });
  });
});
