import assert from 'node:assert/strict';
import { ShellLex, envFromList, envFromMap, reversePattern, shellPatternToRegex } from '../src/index.js';
import { readFixture } from './fixtures.js';

describe('builder/lexer: BuildKit envVarTest table', () => {
  const env = envFromList(['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL=']);
  const lex = new ShellLex();
  readFixture('buildkit/envVarTest').split('\n').forEach((line, i) => {
    if (line.startsWith('#') || line.trim() === '') return;
    const [platform, source, expected] = line.split('|').map((s) => s.trim());
    if (platform === 'W') return;
    it(`line ${i + 1}: ${source}`, () => {
      if (expected === 'error') assert.throws(() => lex.processWord(source, env));
      else assert.equal(lex.processWord(source, env), expected);
    });
  });
});

describe('builder/lexer: BuildKit wordsTest table', () => {
  const lex = new ShellLex();
  const envs: string[] = [];
  readFixture('buildkit/wordsTest').split('\n').forEach((line, i) => {
    if (line.startsWith('#') || line === '') return;
    if (line.startsWith('ENV ')) {
      envs.push(line.slice(3).replace(/^ +/, ''));
      return;
    }
    const [input, out] = line.split('|');
    const test = input.trim();
    const expected = out.replace(/^ +/, '').split(',');
    const env = envFromList([...envs]);
    it(`line ${i + 1}: ${test}`, () => {
      let result: string[];
      try {
        result = lex.processWords(test, env);
      } catch {
        result = ['error'];
      }
      assert.deepEqual(result, expected);
    });
  });
});

describe('builder/lexer: modifiers and matches (lex_test.go)', () => {
  const lex = new ShellLex();
  const cases: Array<[string, Record<string, string>, string | Error, string[]?, string[]?]> = [
    ['x', { DUMMY: 'dummy' }, 'x', [], []],
    ['x ${UNUSED}', { DUMMY: 'dummy' }, 'x ', [], ['UNUSED']],
    ['x ${FOO}', { FOO: 'y' }, 'x y', ['FOO'], []],
    ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx  ccc', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx bbb ccc', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:-}', { FOO: 'xxx', BAR: '' }, 'xxx', ['FOO'], []],
    ['${FOO:-}', {}, '', [], ['FOO']],
    ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa bbb ', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa  ', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO?aaa}', { FOO: 'xxx', BAR: '' }, 'xxx', ['FOO'], []],
    ['${BAR?bbb}', { FOO: 'xxx', BAR: '' }, '', ['BAR'], []],
    ['${BAZ?ccc}', { FOO: 'xxx' }, new Error('BAZ: ccc')],
    ['${BAR:?bbb}', { BAR: '' }, new Error('BAR: bbb')],
    ['${BAZ:?}', {}, new Error('BAZ: is not allowed to be unset')],
    ['${FOO=aaa}', { FOO: 'xxx' }, new Error('unsupported modifier (=) in substitution')],
    ['${FOO=:aaa}', { FOO: 'xxx' }, new Error('unsupported modifier')],
    ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', { FOO: '()[]{}^$.*?|\\x' }, 'x', ['FOO'], []],
    ['${FOO%%\\**}', { FOO: 'xx**' }, 'xx', ['FOO'], []],
    ['${FOO#*x*y}', { FOO: 'xxyy' }, 'y', ['FOO'], []],
    ['${FOO#*}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO#$BAR}', { FOO: 'xxyy', BAR: 'x' }, 'xyy', ['FOO', 'BAR'], []],
    ['${FOO#$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
    ['${FOO#}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO##*x}', { FOO: 'xxyy' }, 'yy', ['FOO'], []],
    ['${FOO##}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO#?\\?}', { FOO: '???y' }, '?y', ['FOO'], []],
    ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.', ['FOO'], ['ABC']],
    ['${FOO%%\\**\\*}', { FOO: 'a***yy*' }, 'a', ['FOO'], []],
    ['${FOO%}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO%%$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
    ['${FOO:#}', {}, new Error('unsupported modifier (:#) in substitution')],
    ['${FOO:##}', {}, new Error('unsupported modifier')],
    ['${FOO:%}', {}, new Error('unsupported modifier')],
    ['${FOO:%%}', {}, new Error('unsupported modifier')],
    ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, '/foo.*/*.txt - /foo..*.txt', ['FOO', 'NEEDLE'], []],
    ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, '/tmp/bar.txt - /bar.txt', ['FOO', 'NEEDLE'], []],
    ['${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, '/foo/b/c.txt - /foo/c.txt'],
    ['${FOO/$NEEDLE/$REPLACEMENT}', { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, 'https://google.de'],
    ['${FOO//\\//\\/}', { FOO: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt', ['FOO'], []],
    ['${FOO/$BAR/ww}', { FOO: 'xxyy', BAR: '' }, 'wwxxyy'],
    ['${FOO//ww}', { FOO: 'xxyy' }, new Error("missing '/' in ${}")],
    ['${FOO//}', { FOO: 'xxyy' }, new Error('syntax error')],
    ['${FOO///}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO///}', {}, '', [], ['FOO']],
    ['something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
      { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' }, 'something-v1.2.3.linux-arm-v7.tar.gz'],
    ['something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
      { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'arm64', TARGETVARIANT: '' }, 'something-v1.2.3.linux-arm64.tar.gz'],
  ];
  for (const [input, envs, expected, matched, unmatched] of cases) {
    it(`${input} with ${JSON.stringify(envs)}`, () => {
      if (expected instanceof Error) {
        assert.throws(() => lex.process(input, envFromMap(envs)), (e: Error) => e.message.includes(expected.message));
        return;
      }
      const r = lex.process(input, envFromMap(envs));
      assert.equal(r.result, expected);
      if (matched) assert.deepEqual([...r.matched].sort(), [...matched].sort());
      if (unmatched) assert.deepEqual([...r.unmatched].sort(), [...unmatched].sort());
    });
  }

  it('reports mandatory variables with the message expanded', () => {
    const w = '${VAR:?message here$ARG}';
    assert.equal(lex.processWord(w, envFromList(['VAR=plain', 'ARG=x'])), 'plain');
    assert.throws(() => lex.processWord(w, envFromList(['VAR=', 'ARG=x'])), /failed to process "\$\{VAR:\?message here\$ARG\}": VAR: message herex/);
    assert.throws(() => lex.processWord(w, envFromList(['ARG=x'])), /message herex/);
    assert.equal(lex.processWord('${VAR?m}', envFromList(['VAR='])), '');
  });

  it('honours the backtick escape token', () => {
    const bt = new ShellLex({ escapeToken: '`' });
    assert.equal(bt.processWord('C:\\dir`$x', envFromList(['x=1'])), 'C:\\dir$x');
    assert.equal(bt.processWord('"a`"b"', envFromList([])), 'a"b');
  });

  it('keeps unset references with skipUnsetEnv', () => {
    const l = new ShellLex({ skipUnsetEnv: true });
    assert.equal(l.processWord('$A ${B} ${C:-x} ${D/a/b} $E', envFromList(['E=e'])), '$A ${B} ${C:-x} ${D/a/b} e');
  });

  it('converts shell patterns and reverses them (TestConvertShellPatternToRegex, TestReversePattern)', () => {
    assert.equal(shellPatternToRegex('*', true, true).source, '^.*');
    assert.equal(shellPatternToRegex('?', true, true).source, '^.');
    assert.equal(shellPatternToRegex('\\*', true, true).source, '^\\*');
    assert.equal(shellPatternToRegex('(()[]{\\}^$.\\*\\?|\\\\', true, true).source, '^\\(\\(\\)\\[\\]\\{\\}\\^\\$\\.\\*\\?\\|\\\\');
    for (const bad of ['\\', '\\x', '\\\\\\']) assert.throws(() => shellPatternToRegex(bad, true, true), bad);
    const cases: Record<string, string> = { 'a\\*c': 'c\\*a', '\\\\\\ab': 'b\\a\\\\', 'ab\\': '\\ba', '👽\\🚀🖖': '🖖\\🚀👽', '\\\\b': 'b\\\\' };
    for (const [p, want] of Object.entries(cases)) assert.equal(reversePattern(p), want);
  });
});
