import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TdockError } from '@tdock/core';
import { ShellLex, buildStageGraph, envFromList, parseDockerfileStages } from '../src/index.js';

// Arbitrary input must either parse or fail with a typed error, never crash.

const dockerfileChars = fc.constantFrom(
  'FROM ', 'RUN ', 'COPY ', 'ENV ', 'ARG ', 'LABEL ', 'ONBUILD ', 'HEALTHCHECK ', 'EXPOSE ', 'WORKDIR ', 'USER ', 'SHELL ', 'x', 'a=b', ' ',
  '\\', '\n', '#', '"', "'", '$', '{', '}', '[', ']', ',', '<<EOF', 'EOF', '<<-', '\t', '--from=', '--mount=', 'AS ', '0', ':', '`', '# escape=`\n',
);
const dockerfiles = fc.array(dockerfileChars, { maxLength: 60 }).map((parts) => parts.join(''));
const words = fc.array(fc.constantFrom('a', 'B', '_', '1', ' ', '$', '{', '}', ':', '-', '+', '?', '#', '%', '/', '*', "'", '"', '\\', '`', '<'), { maxLength: 30 })
  .map((p) => p.join(''));

function typed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof TdockError)) throw err;
  }
}

describe('builder/robustness (fast-check)', function () {
  this.timeout(60000);
  it('parses or rejects any Dockerfile-ish text with a typed error', () => {
    fc.assert(fc.property(dockerfiles, (text) => {
      typed(() => {
        const df = parseDockerfileStages(text);
        if (df.stages.length > 0) buildStageGraph(df);
      });
    }), { numRuns: 800 });
  });

  it('expands or rejects any word with a typed error, in every lexer mode', () => {
    const env = envFromList(['a=1', 'B=two words', 'EMPTY=']);
    const lexers = [new ShellLex(), new ShellLex({ escapeToken: '`' }), new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true })];
    fc.assert(fc.property(words, (w) => {
      for (const lex of lexers) {
        typed(() => lex.processWord(w, env));
        typed(() => lex.processWords(w, env));
      }
    }), { numRuns: 800 });
  });

  it('leaves words without special characters unchanged', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-zA-Z0-9_./-]*$/), (w) => {
      assert.equal(new ShellLex().processWord(w, envFromList([])), w);
    }));
  });
});
