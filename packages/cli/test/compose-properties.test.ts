import assert from 'node:assert/strict';
import fc from 'fast-check';
import { interpolate, parseDotenv, resolveDotenv, splitShellWords, tabwrite } from '../src/index.js';

// Properties over generated input: escaping, quoting and alignment hold for any text, not just the tables.
describe('compose/format properties', () => {
  it('$$-escaping any string interpolates back to it, whatever the environment', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,5}$/), fc.string()), (s, env) => {
        assert.equal(interpolate(s.replace(/\$/g, '$$$$'), (k) => env[k]), s);
      }),
    );
  });

  it('a single-quoted dotenv value is read back verbatim', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes("'") && !s.includes('\\')), (v) => {
        assert.deepEqual(resolveDotenv(parseDotenv(`K='${v}'\n`)), { K: v });
      }),
    );
  });

  it('shell words survive single-quoting', () => {
    fc.assert(
      fc.property(fc.array(fc.string().filter((s) => !s.includes("'")), { maxLength: 6 }), (words) => {
        assert.deepEqual(splitShellWords(words.map((w) => `'${w}'`).join(' ')), words);
      }),
    );
  });

  it('tabwrite starts every column at the same offset on every line', () => {
    const cell = fc.stringMatching(/^[a-z0-9 .:-]{0,14}$/);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 6 }), (cols, rows) => {
        const lines = rows.map((r) => r.slice(0, cols));
        const out = tabwrite(`${lines.map((l) => l.join('\t')).join('\n')}\n`).split('\n').slice(0, -1);
        // Column j+1 starts where the widest cell of column j plus 3 spaces of padding (at least 10) ends.
        let offset = 0;
        for (let j = 0; j < cols - 1; j++) {
          offset += Math.max(10, ...lines.map((l) => l[j]!.length + 3));
          for (let i = 0; i < lines.length; i++) assert.equal(out[i]!.slice(0, offset).length, offset, `line ${i} shorter than column ${j}`);
          for (let i = 0; i < lines.length; i++) assert.equal(out[i]!.slice(offset).startsWith(lines[i]![j + 1]!), true);
        }
      }),
    );
  });
});
