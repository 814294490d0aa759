import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { CORPUS_DIR, corpusNames, corpusResult } from './corpus.js';

describe('builder/corpus: golden builds (history, config, steps)', () => {
  for (const name of corpusNames()) {
    it(name, async () => {
      const file = CORPUS_DIR + name + '.golden.json';
      assert.ok(existsSync(file), `missing ${file}`);
      assert.deepEqual(JSON.parse(JSON.stringify(await corpusResult(name))), JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});
