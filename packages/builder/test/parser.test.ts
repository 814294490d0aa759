import assert from 'node:assert/strict';
import { DockerfileParseError, dumpAst, parseDockerfile, parseHeredoc, chompHeredocContent } from '../src/index.js';
import { listFixtureDirs, readFixture } from './fixtures.js';

describe('builder/parser: BuildKit golden files', () => {
  for (const dir of listFixtureDirs('buildkit/testfiles')) {
    it(`parses testfiles/${dir} to the same AST dump`, () => {
      const result = parseDockerfile(readFixture(`buildkit/testfiles/${dir}/Dockerfile`));
      assert.equal(dumpAst(result.ast) + '\n', readFixture(`buildkit/testfiles/${dir}/result`));
    });
  }
  for (const dir of listFixtureDirs('buildkit/testfiles-negative')) {
    it(`rejects testfiles-negative/${dir}`, () => {
      assert.throws(() => parseDockerfile(readFixture(`buildkit/testfiles-negative/${dir}/Dockerfile`)), DockerfileParseError);
    });
  }
  it('records start and end lines (testfile-line)', () => {
    const { ast } = parseDockerfile(readFixture('buildkit/testfile-line/Dockerfile'));
    assert.deepEqual([ast.startLine, ast.endLine], [5, 31]);
    assert.deepEqual(ast.children.map((c) => [c.startLine, c.endLine]), [[5, 5], [11, 12], [17, 31]]);
  });
});

describe('builder/parser: lines, directives, warnings', () => {
  it('warns on empty continuation lines but not on comments inside continuations', () => {
    const r = parseDockerfile(`
FROM alpine:3.6

RUN valid \\
    continuation

RUN something \\

    following \\

    more

RUN another \\

    thing

RUN non-indented \\
# this is a comment
   after-comment

RUN indented \\
    # this is an indented comment
    comment
	`);
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0].short, /RUN something {5}following {5}more/);
    assert.match(r.warnings[1].short, /RUN another {5}thing/);
    assert.equal(r.ast.children[4].original, 'RUN non-indented    after-comment');
  });

  it('honours # escape=` and # syntax= only at the top', () => {
    const r = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN a `\n  b\n');
    assert.equal(r.escapeToken, '`');
    assert.deepEqual(r.directives, { syntax: 'docker/dockerfile:1', escape: '`' });
    assert.equal(r.ast.children[1].original, 'RUN a   b');
    const late = parseDockerfile('FROM x\n# escape=`\nRUN a \\\n b\n');
    assert.equal(late.escapeToken, '\\');
    assert.equal(late.ast.children[1].original, 'RUN a  b');
    const afterComment = parseDockerfile('# hello\n# escape=`\nFROM x\n');
    assert.equal(afterComment.escapeToken, '\\');
  });

  it('reads directives case-insensitively and stops at the first non-directive (directives_test.go)', () => {
    assert.deepEqual(parseDockerfile('#escape=\\\n# key = FOO bar\n\n# smth\nFROM x\n').directives, { escape: '\\' });
    assert.deepEqual(parseDockerfile('# EScape=\\\n# KEY = FOO bar\n\n# smth\nFROM x\n').directives, { escape: '\\' });
    assert.deepEqual(parseDockerfile('# key = v\n# escape=`\nFROM x\n').directives, {});
    assert.deepEqual(parseDockerfile('#!/bin/sh\n# syntax = x\nFROM x\n').directives, {});
    assert.deepEqual(parseDockerfile('# syntax = dockerfile:experimental // opts\nFROM busybox\n').directives, { syntax: 'dockerfile:experimental // opts' });
  });

  it('parses name/value pairs in both forms (line_parsers_test.go)', () => {
    assert.equal(dumpAst(parseDockerfile('LABEL foo bar\n').ast), '(label "foo" "bar" "")');
    assert.equal(dumpAst(parseDockerfile('LABEL foo=bar thing=star\n').ast), '(label "foo" "bar" "=" "thing" "star" "=")');
    assert.throws(() => parseDockerfile('ENV foo\n'), /ENV must have two arguments/);
  });

  it('rejects a repeated directive and a bad escape token', () => {
    assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM x\n'), /only one escape parser directive can be used/);
    assert.throws(() => parseDockerfile('# escape=x\nFROM x\n'), /invalid escape token 'x'/);
  });

  it('strips a BOM and keeps the case of the instruction in the node', () => {
    const r = parseDockerfile('\uFEFFfrom x\nRuN echo\n');
    assert.equal(dumpAst(r.ast), '(from "x")\n(run "echo")');
    assert.equal(r.ast.children[1].value, 'RuN');
  });

  it('reports the line of a line-parser error', () => {
    try {
      parseDockerfile('FROM x\n\nENV a=b c\n');
      assert.fail('no error');
    } catch (err) {
      assert.ok(err instanceof DockerfileParseError);
      assert.equal(err.startLine, 3);
      assert.match(err.message, /can't find = in "c"/);
    }
    assert.throws(() => parseDockerfile('FROM x\nRUN ["a", 1]\n'), /arrays must be comprised of strings only/);
    assert.throws(() => parseDockerfile('# just a comment\n'), /file with no instructions/);
    assert.throws(() => parseDockerfile(`FROM x\nLABEL a=${'a'.repeat(65536)}\n`), /dockerfile line greater than max allowed size of 65535/);
  });

  it('parses flags, keeps quoted flag values and stops at --', () => {
    const r = parseDockerfile('FROM x\nCOPY --from=build --chown="a b" --link src /dst\nRUN --mount=type=cache,target=/c --network=none -- echo\n');
    assert.deepEqual(r.ast.children[1].flags, ['--from=build', '--chown=a b', '--link']);
    assert.deepEqual(r.ast.children[2].flags, ['--mount=type=cache,target=/c', '--network=none']);
    assert.equal(dumpAst(r.ast.children[2]), 'run ["--mount=type=cache,target=/c" "--network=none"] "echo"');
  });
});

describe('builder/parser: heredocs', () => {
  const df = [
    'FROM alpine:3.6',
    'RUN <<EMPTY', 'EMPTY',
    'RUN 3<<EMPTY2', 'EMPTY2',
    'RUN "<<NOHEREDOC"',
    'RUN <<-UNINDENT2', '\tbaz', '\tquux', '\tUNINDENT2',
    "RUN <<-'NOEXPAND'", "\tdon't expand $NAME", 'NOEXPAND',
    'COPY <<FILE1 <<FILE2 /dest', 'content 1', 'FILE1', 'content 2', 'FILE2',
    'COPY <<X <<Y /dest', 'Y', 'X', 'X', 'Y',
    "RUN <<eo'f'", 'echo foo', 'eof',
    "RUN <<eo\\'f", 'echo foo', "eo'f",
    "RUN <<'one two'", 'echo bar', 'one two',
    'RUN <<  EOF  > foo', 'EOF',
    'RUN ["<<EOF"]',
    'ONBUILD RUN <<EOF', 'inner', 'EOF',
    '',
  ].join('\n');
  const h = (name: string, content: string, extra: Partial<{ fileDescriptor: number; expand: boolean; chomp: boolean }> = {}) => ({
    name, fileDescriptor: 0, expand: true, chomp: false, content, ...extra,
  });
  const expected = [
    [h('EMPTY', '')],
    [h('EMPTY2', '', { fileDescriptor: 3 })],
    [],
    [h('UNINDENT2', '\tbaz\n\tquux\n', { chomp: true })],
    [h('NOEXPAND', "\tdon't expand $NAME\n", { chomp: true, expand: false })],
    [h('FILE1', 'content 1\n'), h('FILE2', 'content 2\n')],
    [h('X', 'Y\n'), h('Y', 'X\n')],
    [h('eof', 'echo foo\n', { expand: false })],
    [h("eo'f", 'echo foo\n')],
    [h('one two', 'echo bar\n', { expand: false })],
    [h('EOF', '')],
    [],
    [h('EOF', 'inner\n')],
  ];
  it('extracts heredocs as BuildKit does (parser_heredoc_test cases)', () => {
    const r = parseDockerfile(df);
    assert.deepEqual(r.ast.children.slice(1).map((c) => c.heredocs), expected);
  });
  it('fails on an unterminated heredoc with its line', () => {
    assert.throws(
      () => parseDockerfile('FROM x\nRUN <<EOF\necho\n'),
      (e: unknown) => e instanceof DockerfileParseError && e.message === 'unterminated heredoc' && e.startLine === 2,
    );
  });
  it('parses heredoc words', () => {
    for (const src of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<-"EOF"', '<<EO"F"', '<< EOF', '<<- EOF']) {
      assert.equal(parseHeredoc(src)?.name, 'EOF', src);
    }
    for (const src of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF', '<<EOF sh']) assert.equal(parseHeredoc(src), undefined, src);
    for (const src of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) assert.throws(() => parseHeredoc(src), src);
    assert.equal(chompHeredocContent('\thello\n\tworld\n'), 'hello\nworld\n');
  });
});
