import assert from 'node:assert/strict';
import { type Instruction, parseDockerfile, parseDockerfileStages, parseInstruction, suggest } from '../src/index.js';

function one(line: string): ReturnType<typeof parseInstruction> {
  return parseInstruction(parseDockerfile(line).ast.children[0]);
}
function inst<K extends Instruction['kind']>(line: string, kind: K): Extract<Instruction, { kind: K }> {
  const i = one(line);
  assert.equal(i.kind, kind);
  return i as Extract<Instruction, { kind: K }>;
}

describe('builder/instructions: errors (BuildKit parse_test.go)', () => {
  const errors: Array<[string, string]> = [
    ['MAINTAINER', 'MAINTAINER requires exactly one argument'],
    ['WORKDIR', 'WORKDIR requires exactly one argument'],
    ['USER', 'USER requires exactly one argument'],
    ['STOPSIGNAL', 'STOPSIGNAL requires exactly one argument'],
    ['ENV', 'ENV requires at least one argument'],
    ['LABEL', 'LABEL requires at least one argument'],
    ['ONBUILD', 'ONBUILD requires at least one argument'],
    ['HEALTHCHECK', 'HEALTHCHECK requires at least one argument'],
    ['EXPOSE', 'EXPOSE requires at least one argument'],
    ['VOLUME', 'VOLUME requires at least one argument'],
    ['ADD arg1', 'ADD requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY arg1', 'COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY\t\n\t\tquux \\\n      bar', 'COPY requires at least two arguments'],
    ['ONBUILD FROM scratch', "FROM isn't allowed as an ONBUILD trigger"],
    ['ONBUILD MAINTAINER me', "MAINTAINER isn't allowed as an ONBUILD trigger"],
    ['MAINTAINER --boo joe@example.com', 'unknown flag: --boo'],
    ['ONBUILD ONBUILD RUN touch foobar', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
    ['FOO bar', 'unknown instruction: FOO'],
    ['foo bar', 'unknown instruction: foo'],
    ['FORM alpine', 'unknown instruction: FORM (did you mean FROM?)'],
    ['COPY --form=x a b', 'unknown flag: --form (did you mean from?)'],
    ['COPY --from a b', 'missing a value on flag: --from'],
    ['COPY --link=maybe a b', 'expecting boolean value for flag --link, not: maybe'],
    ['COPY --from=a --from=b a b', 'duplicate flag specified: --from'],
    ['HEALTHCHECK --interval=50ns CMD x', 'Interval "interval" cannot be less than 1ms'],
    ['HEALTHCHECK --retries=-1 CMD x', '--retries cannot be negative (-1)'],
    ['HEALTHCHECK NONE x', 'HEALTHCHECK NONE takes no arguments'],
    ['HEALTHCHECK FOO x', 'Unknown type "FOO" in HEALTHCHECK (try CMD)'],
    ['HEALTHCHECK CMD', 'Missing command after HEALTHCHECK CMD'],
    ['SHELL /bin/bash -c', 'SHELL requires the arguments to be in JSON form'],
    ['FROM a b', 'FROM requires either one or three arguments'],
    ['FROM a AS 1st', 'invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ['RUN --network=bridge x', 'invalid network mode "bridge"'],
    ['RUN --mount=from=$X,target=/a x', "'from' doesn't support variable expansion, define alias stage instead"],
    ['ARG =x', 'ARG names can not be blank'],
    ['COPY a <<EOF\nEOF', 'COPY cannot accept a heredoc as a destination'],
  ];
  for (const [line, message] of errors) {
    it(`${line.split('\n')[0]} -> ${message}`, () => {
      assert.throws(() => one(line), (e: Error) => e.message.includes(message));
    });
  }

  it('prefixes stage-level errors with the line, as docker prints them', () => {
    assert.throws(() => parseDockerfileStages('FROM alpine\n\nFORM x\n'), { message: 'dockerfile parse error on line 3: unknown instruction: FORM (did you mean FROM?)' });
    assert.throws(() => parseDockerfileStages('RUN x\n'), { message: 'no build stage in current context' });
    assert.equal(suggest('cmd', ['cmd'], false), undefined);
    assert.equal(suggest('Workdri', ['workdir'], false), 'workdir');
  });
});

describe('builder/instructions: typed forms', () => {
  it('FROM with AS, --platform and args', () => {
    const df = parseDockerfileStages('ARG V=1\nARG R\nFROM --platform=$BUILDPLATFORM alpine:${V} AS Build\nFROM scratch\n');
    assert.deepEqual(df.metaArgs[0].args, [{ key: 'V', value: '1' }]);
    assert.deepEqual(df.metaArgs[1].args, [{ key: 'R' }]);
    assert.equal(df.stages[0].name, 'build');
    assert.equal(df.stages[0].baseName, 'alpine:${V}');
    assert.equal(df.stages[0].platform, '$BUILDPLATFORM');
    assert.equal(df.stages[1].baseName, 'scratch');
    assert.equal(df.stages[1].index, 1);
  });

  it('RUN shell and exec forms, mounts, network', () => {
    const sh = inst('RUN --mount=type=cache,target=/root/.cache --network=none apt-get  install x', 'run');
    assert.deepEqual(sh.cmdLine, ['apt-get  install x']);
    assert.equal(sh.prependShell, true);
    assert.equal(sh.network, 'none');
    assert.deepEqual(sh.mountSpecs, ['type=cache,target=/root/.cache']);
    const ex = inst('RUN ["echo", "a b"]', 'run');
    assert.deepEqual(ex.cmdLine, ['echo', 'a b']);
    assert.equal(ex.prependShell, false);
    const hd = inst('RUN <<EOF\necho hi\nEOF', 'run');
    assert.deepEqual(hd.files, [{ name: 'EOF', data: 'echo hi\n', chomp: false }]);
  });

  it('ENV and LABEL in both forms keep quotes for expansion', () => {
    assert.deepEqual(inst('ENV a b c', 'env').env, [{ key: 'a', value: 'b c', noDelim: true }]);
    assert.deepEqual(inst('ENV a=1 b="x y"', 'env').env, [{ key: 'a', value: '1', noDelim: false }, { key: 'b', value: '"x y"', noDelim: false }]);
    assert.deepEqual(inst('LABEL "com.x"="a b" y=z', 'label').labels, [
      { key: '"com.x"', value: '"a b"', noDelim: false }, { key: 'y', value: 'z', noDelim: false },
    ]);
  });

  it('ADD and COPY flags, sources and destination', () => {
    const add = inst('ADD --chown=1:2 --chmod=644 --checksum=sha256:abc https://x/y.tgz /opt/', 'add');
    assert.deepEqual([add.chown, add.chmod, add.checksum, add.sourcePaths, add.dest], ['1:2', '644', 'sha256:abc', ['https://x/y.tgz'], '/opt/']);
    assert.equal(add.unpack, undefined);
    const cp = inst('COPY --from=build --link *.go ["x"] /src/', 'copy');
    assert.deepEqual([cp.from, cp.link, cp.sourcePaths, cp.dest], ['build', true, ['*.go', '["x"]'], '/src/']);
    const js = inst('COPY ["a b", "/c d/"]', 'copy');
    assert.deepEqual([js.sourcePaths, js.dest], [['a b'], '/c d/']);
    const hd = inst('COPY <<-EOF /etc/x\n\thello $X\n\tEOF', 'copy');
    assert.deepEqual(hd.sourceContents, [{ path: 'EOF', data: 'hello $X\n', expand: true }]);
  });

  it('CMD, ENTRYPOINT, SHELL, VOLUME, EXPOSE, USER, WORKDIR, STOPSIGNAL, ARG, MAINTAINER', () => {
    assert.deepEqual(inst('CMD ["sh"]', 'cmd').cmdLine, ['sh']);
    assert.equal(inst('ENTRYPOINT exec x', 'entrypoint').prependShell, true);
    assert.deepEqual(inst('SHELL ["/bin/bash", "-c"]', 'shell').shell, ['/bin/bash', '-c']);
    assert.deepEqual(inst('VOLUME ["/a", "/b"]', 'volume').volumes, ['/a', '/b']);
    assert.deepEqual(inst('VOLUME /a /b', 'volume').volumes, ['/a', '/b']);
    assert.deepEqual(inst('EXPOSE 8080 80/udp 443', 'expose').ports, ['443', '80/udp', '8080']);
    assert.equal(inst('USER app:app', 'user').user, 'app:app');
    assert.equal(inst('WORKDIR /a b', 'workdir').path, '/a b');
    assert.equal(inst('STOPSIGNAL SIGKILL', 'stopsignal').signal, 'SIGKILL');
    assert.deepEqual(inst('ARG a b=2 c=', 'arg').args, [{ key: 'a' }, { key: 'b', value: '2' }, { key: 'c', value: '' }]);
    assert.equal(inst('MAINTAINER Jane <j@x>', 'maintainer').maintainer, 'Jane <j@x>');
  });

  it('HEALTHCHECK NONE and CMD with durations in nanoseconds', () => {
    assert.deepEqual(inst('HEALTHCHECK NONE', 'healthcheck').health.test, ['NONE']);
    const h = inst('HEALTHCHECK --interval=30s --timeout=3s --start-period=1m --start-interval=2s --retries=3 CMD curl -f http://x/', 'healthcheck');
    assert.deepEqual(h.health, { test: ['CMD-SHELL', 'curl -f http://x/'], interval: 30e9, timeout: 3e9, startPeriod: 60e9, startInterval: 2e9, retries: 3 });
    assert.deepEqual(inst('HEALTHCHECK CMD ["true"]', 'healthcheck').health.test, ['CMD', 'true']);
  });

  it('ONBUILD keeps the expression and parses the trigger', () => {
    const o = inst('onbuild   RUN --network=none echo "$X"', 'onbuild');
    assert.equal(o.expression, 'RUN --network=none echo "$X"');
    assert.equal(o.trigger?.kind, 'run');
    const c = inst('ONBUILD COPY . /app', 'onbuild');
    assert.equal(c.trigger?.kind === 'copy' && c.trigger.dest, '/app');
  });
});

describe('builder/instructions: heredocs (BuildKit parse_heredoc_test.go)', () => {
  const copies: Array<[string, { dest: string; sourcePaths: string[]; sourceContents: Array<{ path: string; data: string; expand: boolean }> }]> = [
    ['COPY /foo /bar', { dest: '/bar', sourcePaths: ['/foo'], sourceContents: [] }],
    ['COPY <<EOF /bar\nEOF', { dest: '/bar', sourcePaths: [], sourceContents: [{ path: 'EOF', data: '', expand: true }] }],
    ['COPY <<EOF /bar\nTESTING\nEOF', { dest: '/bar', sourcePaths: [], sourceContents: [{ path: 'EOF', data: 'TESTING\n', expand: true }] }],
    ['COPY <<-EOF /bar\n\tTESTING\nEOF', { dest: '/bar', sourcePaths: [], sourceContents: [{ path: 'EOF', data: 'TESTING\n', expand: true }] }],
    ["COPY <<'EOF' /bar\nTESTING\nEOF", { dest: '/bar', sourcePaths: [], sourceContents: [{ path: 'EOF', data: 'TESTING\n', expand: false }] }],
    ['COPY <<EOF1 <<EOF2 /bar\nthis is the first file\nEOF1\nthis is the second file\nEOF2', {
      dest: '/bar', sourcePaths: [],
      sourceContents: [{ path: 'EOF1', data: 'this is the first file\n', expand: true }, { path: 'EOF2', data: 'this is the second file\n', expand: true }],
    }],
    ['COPY <<EOF foo.txt /bar\nthis is inline\nEOF', { dest: '/bar', sourcePaths: ['foo.txt'], sourceContents: [{ path: 'EOF', data: 'this is inline\n', expand: true }] }],
    ['COPY <<EOF /quotes\n"quotes"\nEOF', { dest: '/quotes', sourcePaths: [], sourceContents: [{ path: 'EOF', data: '"quotes"\n', expand: true }] }],
  ];
  for (const [df, want] of copies) {
    it(df.split('\n')[0], () => {
      const c = inst(df, 'copy');
      assert.deepEqual({ dest: c.dest, sourcePaths: c.sourcePaths, sourceContents: c.sourceContents }, want);
    });
  }
  const runs: Array<[string, boolean, string[], Array<{ name: string; data: string; chomp: boolean }>]> = [
    ['RUN ["ls", "/"]', false, ['ls', '/'], []],
    ['RUN ["<<EOF"]', false, ['<<EOF'], []],
    ['RUN ls /', true, ['ls /'], []],
    ['RUN <<EOF\nls /\nwhoami\nEOF', true, ['<<EOF'], [{ name: 'EOF', data: 'ls /\nwhoami\n', chomp: false }]],
    ["RUN <<'EOF' | python\nprint(\"hello\")\nprint(\"world\")\nEOF", true, ["<<'EOF' | python"],
      [{ name: 'EOF', data: 'print("hello")\nprint("world")\n', chomp: false }]],
    ['RUN <<-EOF\n\techo test\nEOF', true, ['<<-EOF'], [{ name: 'EOF', data: '\techo test\n', chomp: true }]],
  ];
  for (const [df, shell, command, files] of runs) {
    it(df.split('\n')[0], () => {
      const r = inst(df, 'run');
      assert.deepEqual([r.prependShell, r.cmdLine, r.files], [shell, command, files]);
    });
  }
});
