import assert from 'node:assert/strict';
import {
  bytesSize,
  displayablePorts,
  ellipsis,
  exitedStatus,
  formatComposePs,
  LogPrefixer,
  logDisplayName,
  formatGoG,
  goQuote,
  goSprintf,
  goTimeString,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  naturalLess,
  tabwrite,
  timeAgo,
  truncateId,
  upStatus,
} from '../src/index.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('format/units', () => {
  const durations: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [47 * S, '47 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [5 * M, '5 minutes'],
    [59 * M, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [47 * H, '47 hours'],
    [48 * H, '2 days'],
    [3 * D, '3 days'],
    [13 * D, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [90 * D, '3 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
    [3 * 365 * D, '3 years'],
  ];
  for (const [ms, want] of durations) it(`HumanDuration(${ms}ms) = ${want}`, () => assert.equal(humanDuration(ms), want));

  it('X ago, Up X, Exited (n) X ago', () => {
    assert.equal(timeAgo(1000, 1000 * 1000 + 5 * M), '5 minutes ago');
    assert.equal(upStatus(0, 2 * H), 'Up 2 hours');
    assert.equal(exitedStatus(137, 0, 3 * D), 'Exited (137) 3 days ago');
  });

  const sizes: [number, string][] = [
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1234, '1.23kB'],
    [1234567, '1.23MB'],
    [7050000, '7.05MB'],
    [187654321, '188MB'],
    [999500, '1e+03kB'],
    [1e9, '1GB'],
    [1.5e12, '1.5TB'],
  ];
  for (const [n, want] of sizes) it(`HumanSizeWithPrecision(${n}, 3) = ${want}`, () => assert.equal(humanSizeWithPrecision(n, 3), want));

  it('HumanSize (precision 4) and BytesSize (binary)', () => {
    assert.equal(humanSize(187654321), '187.7MB');
    assert.equal(humanSize(1234567890), '1.235GB');
    assert.equal(bytesSize(0), '0B');
    assert.equal(bytesSize(1024), '1KiB');
    assert.equal(bytesSize(1536), '1.5KiB');
    assert.equal(bytesSize(512 * 1024 * 1024), '512MiB');
    assert.equal(bytesSize(2.5 * 1024 ** 3), '2.5GiB');
    assert.equal(bytesSize(123456789), '117.7MiB');
  });

  it("Go's %g", () => {
    assert.equal(formatGoG(1.2, 3), '1.2');
    assert.equal(formatGoG(100, 3), '100');
    assert.equal(formatGoG(999.5, 3), '1e+03');
    assert.equal(formatGoG(0.0001234, 3), '0.000123');
    assert.equal(formatGoG(0.00001234, 3), '1.23e-05');
  });

  it('IDs, ellipsis, quoting', () => {
    assert.equal(truncateId(`sha256:${'ab'.repeat(32)}`), 'abababababab');
    assert.equal(truncateId('short'), 'short');
    assert.equal(ellipsis('docker-entrypoint.sh postgres', 20), 'docker-entrypoint.s…');
    assert.equal(ellipsis('exactly twenty chars', 20), 'exactly twenty chars');
    assert.equal(ellipsis('日本語のコマンドです', 7), '日本語…');
    assert.equal(goQuote('a "b"\n\t\\'), '"a \\"b\\"\\n\\t\\\\"');
    assert.equal(goQuote('\u0001'), '"\\x01"');
  });

  it('ports merge ranges and order like docker ps', () => {
    assert.equal(
      displayablePorts([
        { PrivatePort: 80, PublicPort: 8080, IP: '0.0.0.0', Type: 'tcp' },
        { PrivatePort: 3000, Type: 'tcp' },
        { PrivatePort: 3001, Type: 'tcp' },
        { PrivatePort: 3003, Type: 'tcp' },
        { PrivatePort: 53, PublicPort: 53, IP: '127.0.0.1', Type: 'udp' },
        { PrivatePort: 54, PublicPort: 54, IP: '127.0.0.1', Type: 'udp' },
      ]),
      // Go's order: a group closed early comes first, then open groups in creation order, then host mappings.
      '3000-3001/tcp, 127.0.0.1:53-54->53-54/udp, 3003/tcp, 0.0.0.0:8080->80/tcp',
    );
    assert.equal(displayablePorts([]), '');
  });

  it("Go's Time.String()", () => {
    assert.equal(goTimeString(Date.UTC(2026, 0, 2, 3, 4, 5)), '2026-01-02 03:04:05 +0000 UTC');
    assert.equal(goTimeString(Date.UTC(2026, 0, 2, 3, 4, 5, 120), { offsetMinutes: 60, abbreviation: 'CET' }), '2026-01-02 04:04:05.12 +0100 CET');
  });

  it('natural name order', () => {
    assert.deepEqual(['vol10', 'vol2', 'a', 'vol1', 'b2c', 'b10c'].sort((a, b) => (naturalLess(a, b) ? -1 : 1)), ['a', 'b2c', 'b10c', 'vol1', 'vol2', 'vol10']);
  });
});

describe('format/tabwriter', () => {
  it('aligns with minwidth 10, padding 3, last cell unpadded', () => {
    assert.equal(tabwrite('A\tBB\tC\nlonger value\tx\tlast\n'), 'A              BB        C\nlonger value   x         last\n');
  });
  it('treats columns as contiguous blocks (elastic tabstops)', () => {
    assert.equal(tabwrite('a\tb\nno tabs here at all\nccc\td\n'), 'a         b\nno tabs here at all\nccc       d\n');
  });
  it('counts wide characters as two columns', () => {
    assert.equal(tabwrite('日本\tx\nab\ty\n'), '日本      x\nab        y\n');
  });
  it('handles rows with fewer cells', () => {
    assert.equal(tabwrite('h1\th2\th3\nv1\tv2\n'), 'h1        h2        h3\nv1        v2\n');
  });
});

describe('format/printf', () => {
  const cases: [string, unknown[], string][] = [
    ['%s|%v', ['a', 1], 'a|1'],
    ['%5s|%-5s|', ['ab', 'cd'], '   ab|cd   |'],
    ['%05d|%+d|%x|%X|%o|%b', [42, 3, 255, 255, 8, 5], '00042|+3|ff|FF|10|101'],
    ['%.2f|%8.3f|%e', [3.14159, 2.5, 1234.5], '3.14|   2.500|1.234500e+03'],
    ['%q|%t|%c|%%', ['hi "x"', true, 65], '"hi \\"x\\""|true|A|%'],
    ['%d', ['str'], '%!d(string=str)'],
    ['%s %s', ['one'], 'one %!s(MISSING)'],
    ['%s', ['a', 'b'], 'a%!(EXTRA string=b)'],
    ['%v', [[1, 'a']], '[1 a]'],
    ['%v', [{ b: 2, a: 1 }], 'map[a:1 b:2]'],
    ['%.3s', ['abcdef'], 'abc'],
  ];
  for (const [f, args, want] of cases) it(`${f} ${JSON.stringify(args)}`, () => assert.equal(goSprintf(f, args), want));
});

describe('format/compose ps', () => {
  it('prints compose v2 columns, sorted by name, with the service from its label', () => {
    const base = { Created: 0, Image: 'nginx', Command: 'nginx -g daemon off;', State: 'running', Status: 'Up 2 minutes' };
    const out = formatComposePs(
      [
        { ...base, Id: 'b'.repeat(64), Names: ['/p-web-2'], Labels: { 'com.docker.compose.service': 'web' }, Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8081, Type: 'tcp' }] },
        { ...base, Id: 'a'.repeat(64), Names: ['/p-db-1'], Image: 'postgres', Command: 'postgres', Labels: { 'com.docker.compose.service': 'db' } },
      ],
      { nowMs: 150_000 },
    );
    assert.equal(
      out,
      'NAME      IMAGE      COMMAND                  SERVICE   CREATED         STATUS         PORTS\n' +
        'p-db-1    postgres   "postgres"               db        2 minutes ago   Up 2 minutes   \n' +
        'p-web-2   nginx      "nginx -g daemon off;"   web       2 minutes ago   Up 2 minutes   0.0.0.0:8081->80/tcp\n',
    );
    assert.equal(formatComposePs([{ ...base, Id: 'c'.repeat(64), Names: ['/x'] }], { quiet: true }), `${'c'.repeat(12)}\n`);
    assert.match(formatComposePs([{ ...base, Id: 'c'.repeat(64), Names: ['/x'], ExitCode: 3 }], { format: 'json' }), /"ExitCode":3,"Health":"","ID":"cccccccccccc"/);
  });
});

describe('format/compose log prefixes', () => {
  it('pads every name to the longest + 1 and colours in compose rainbow order', () => {
    const plain = new LogPrefixer({ color: false, prefix: true });
    assert.equal(plain.format('web-1', 'hello'), 'web-1  | hello\n');
    plain.register('database-1');
    assert.equal(plain.format('web-1', 'a\nb'), 'web-1       | a\nweb-1       | b\n');
    assert.equal(plain.format('web-1', 'x', '2026-01-01T00:00:00.000000000Z'), 'web-1       | 2026-01-01T00:00:00.000000000Z x\n');
    const colored = new LogPrefixer({ color: true, prefix: true });
    assert.equal(colored.prefix('a'), '\x1b[36ma  | \x1b[0m');
    assert.equal(colored.prefix('b'), '\x1b[33mb  | \x1b[0m');
    assert.equal(colored.status('a', 'exited with code 0'), '\x1b[36ma exited with code 0\x1b[0m\n');
    assert.equal(new LogPrefixer({ color: false, prefix: false }).format('web-1', 'm'), 'm\n');
  });
  it('shows container names without the project prefix', () => {
    assert.equal(logDisplayName('/myapp-web-1', 'myapp'), 'web-1');
    assert.equal(logDisplayName('myapp_web_1', 'myapp'), 'web_1');
    assert.equal(logDisplayName('custom-name', 'myapp'), 'custom-name');
  });
});
