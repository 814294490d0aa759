import assert from 'node:assert/strict';
import { interpolate, interpolateTree, parseDotenv, resolveDotenv, splitShellWords, parseDuration, parseBytes } from '../src/index.js';

const ENV: Record<string, string> = { SET: 'value', EMPTY: '', B: 'bee', NESTED: 'n' };
const lookup = (k: string): string | undefined => ENV[k];

describe('compose/interpolate', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['$SET', 'value'],
    ['${SET}', 'value'],
    ['a${SET}b', 'avalueb'],
    ['$SET-x', 'value-x'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${SET:-d}', 'value'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${B}}', 'bee'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-$B}', 'bee'],
    ['$$', '$'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['echo $$HOME', 'echo $HOME'],
    ['cost $5', 'cost $5'],
    ['trailing $', 'trailing $'],
    ['${UNSET:-a:b}', 'a:b'],
    ['${UNSET:-}', ''],
  ];
  for (const [input, want] of cases) {
    it(`${input} → ${JSON.stringify(want)}`, () => assert.equal(interpolate(input, lookup), want));
  }

  it('warns and substitutes empty for an unset variable without default', () => {
    const warnings: string[] = [];
    assert.equal(interpolate('x${NOPE}y', lookup, { onWarning: (w) => warnings.push(w) }), 'xy');
    assert.deepEqual(warnings, ['The "NOPE" variable is not set. Defaulting to a blank string.']);
  });

  it('fails on :? with the message', () => {
    assert.throws(() => interpolate('${EMPTY:?must be set}', lookup), /required variable EMPTY is missing a value: must be set/);
    assert.throws(() => interpolate('${UNSET?}', lookup), /^TdockError: required variable UNSET is missing a value$/);
    assert.equal(interpolate('${EMPTY?boom}', lookup), '');
  });

  it('rejects unsupported bash syntax', () => {
    assert.throws(() => interpolate('${SET/a/b}', lookup), /Invalid template/);
    assert.throws(() => interpolate('${SET', lookup), /Invalid template/);
  });

  it('interpolates values, not keys, and names the path on error', () => {
    const tree = { services: { web: { image: 'x:${SET}', labels: { $SET: '$B' }, ports: ['${SET}'] } } };
    assert.deepEqual(interpolateTree(tree, lookup), { services: { web: { image: 'x:value', labels: { $SET: 'bee' }, ports: ['value'] } } });
    assert.throws(
      () => interpolateTree({ services: { web: { ports: ['${X:?no port}'] } } }, lookup),
      /error while interpolating services\.web\.ports\[0\]: required variable X is missing a value: no port/,
    );
  });
});

describe('compose/dotenv', () => {
  const parse = (src: string, env: Record<string, string> = {}): Record<string, string> =>
    resolveDotenv(parseDotenv(src, { lookup: (k) => env[k] }), (k) => env[k]);

  it('parses the spec examples', () => {
    const src = [
      '# comment',
      '',
      'A=VAL',
      'B="VAL"',
      "C='VAL'",
      'D=VAL # comment',
      'E=VAL# not a comment',
      'F="VAL # not a comment"',
      'G="VAL" # comment',
      "H='$OTHER'",
      "I='Let\\'s go!'",
      'J="{\\"hello\\": \\"json\\"}"',
      'K="some\\tvalue"',
      "L='some\\tvalue'",
      'M=some\\tvalue',
      'N=',
      'export O=exported',
      '  P = spaced  ',
    ].join('\n');
    assert.deepEqual(parse(src), {
      A: 'VAL',
      B: 'VAL',
      C: 'VAL',
      D: 'VAL',
      E: 'VAL# not a comment',
      F: 'VAL # not a comment',
      G: 'VAL',
      H: '$OTHER',
      I: "Let's go!",
      J: '{"hello": "json"}',
      K: 'some\tvalue',
      L: 'some\\tvalue',
      M: 'some\\tvalue',
      N: '',
      O: 'exported',
      P: 'spaced',
    });
  });

  it('supports multi-line double-quoted values', () => {
    assert.deepEqual(parse('KEY="line1\nline2"\nNEXT=1\n'), { KEY: 'line1\nline2', NEXT: '1' });
    assert.deepEqual(parse("CERT='a\nb'\n"), { CERT: 'a\nb' });
  });

  it('interpolates from the shell first, then earlier entries', () => {
    assert.deepEqual(parse('A=one\nB=${A}-two\nC="$SHELLVAR"\nD=\'$A\'', { SHELLVAR: 'sh', A: 'shell-a' }), {
      A: 'one',
      B: 'shell-a-two',
      C: 'sh',
      D: '$A',
    });
    assert.deepEqual(parse('A=one\nB=${A:-x}'), { A: 'one', B: 'one' });
  });

  it('treats a bare key as taken from the environment', () => {
    assert.deepEqual(parse('FROM_ENV\nMISSING', { FROM_ENV: 'yes' }), { FROM_ENV: 'yes' });
  });

  it('raw format keeps values verbatim', () => {
    assert.deepEqual(resolveDotenv(parseDotenv('A="$X"\n', { raw: true })), { A: '"$X"' });
  });

  it('rejects bad keys and unterminated quotes', () => {
    assert.throws(() => parse('BAD KEY=1'), /unexpected character/);
    assert.throws(() => parse('A="open'), /unterminated/);
  });
});

describe('compose/shellwords, durations, sizes', () => {
  const words: [string, string[]][] = [
    ['echo hello', ['echo', 'hello']],
    ["sh -c 'echo $HOME && ls'", ['sh', '-c', 'echo $HOME && ls']],
    ['a "b c" d', ['a', 'b c', 'd']],
    ['a\\ b', ['a b']],
    ['"say \\"hi\\""', ['say "hi"']],
    ["''", ['']],
    ['  spaced   out  ', ['spaced', 'out']],
    ['', []],
  ];
  for (const [s, want] of words) it(`splits ${JSON.stringify(s)}`, () => assert.deepEqual(splitShellWords(s), want));
  it('rejects an unterminated quote', () => assert.throws(() => splitShellWords('a "b'), /unterminated/));

  const durations: [string | number, number][] = [
    ['1m30s', 90e9],
    ['10s', 10e9],
    ['500ms', 5e8],
    ['1h', 3600e9],
    ['1.5s', 1.5e9],
    ['2us', 2000],
    [30, 30e9],
    ['1d', 86400e9],
  ];
  for (const [s, ns] of durations) it(`duration ${s} = ${ns}ns`, () => assert.equal(parseDuration(s), ns));
  it('rejects a bad duration', () => assert.throws(() => parseDuration('10 parsecs'), /invalid duration/));

  const sizes: [string | number, number][] = [
    ['512m', 536870912],
    ['1g', 1073741824],
    ['1gb', 1073741824],
    ['100k', 102400],
    ['2048', 2048],
    [1000, 1000],
    ['1.5m', 1572864],
  ];
  for (const [s, b] of sizes) it(`size ${s} = ${b}`, () => assert.equal(parseBytes(s), b));
});
