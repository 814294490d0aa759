import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DockerignoreMatcher, type ParentMatchInfo, cleanSlashPath, compileDockerignore, legacyPatternMatches, readDockerignore,
  TdockError, trimBuildFilesFromExcludes,
} from '../src/index.js';

// Tables ported from moby/patternmatcher (patternmatcher_test.go, ignorefile_test.go).

describe('core/dockerignore: readDockerignore (ignorefile.ReadAll)', () => {
  it('cleans patterns, drops comments and blank lines, keeps ! exceptions', () => {
    const content = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ';
    assert.deepEqual(readDockerignore(content), ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
  });
  it('strips a BOM, CRLF, ./ and trailing slashes; a comment must start the line', () => {
    assert.deepEqual(readDockerignore('\uFEFF./foo/\r\n  # not a comment\r\nbar//baz/../qux\r\n'), ['foo', '# not a comment', 'bar/qux']);
  });
  it('cleans paths like Go path.Clean', () => {
    const cases: Record<string, string> = { '': '.', '/': '/', 'a/../..': '..', '/../a': '/a', './a/./b/': 'a/b', 'a//b': 'a/b' };
    for (const [p, want] of Object.entries(cases)) assert.equal(cleanSlashPath(p), want, p);
  });
});

type Case = [pattern: string, text: string, pass: boolean];
const MATCHES: Case[] = [
  ['**', 'file', true], ['**', 'file/', true], ['**/', 'file', true], ['**/', 'file/', true], ['**', '/', true],
  ['**/', '/', true], ['**', 'dir/file', true], ['**/', 'dir/file', true], ['**', 'dir/file/', true],
  ['**/', 'dir/file/', true], ['**/**', 'dir/file', true], ['**/**', 'dir/file/', true], ['dir/**', 'dir/file', true],
  ['dir/**', 'dir/file/', true], ['dir/**', 'dir/dir2/file', true], ['dir/**', 'dir/dir2/file/', true],
  ['**/dir', 'dir', true], ['**/dir', 'dir/file', true], ['**/dir2/*', 'dir/dir2/file', true],
  ['**/dir2/*', 'dir/dir2/file/', true], ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file/', true], ['**file', 'file', true], ['**file', 'dir/file', true],
  ['**/file', 'dir/file', true], ['**file', 'dir/dir/file', true], ['**/file', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file', true], ['**/file*', 'dir/dir/file.txt', true], ['**/file*txt', 'dir/dir/file.txt', true],
  ['**/file*.txt', 'dir/dir/file.txt', true], ['**/file*.txt*', 'dir/dir/file.txt', true],
  ['**/**/*.txt', 'dir/dir/file.txt', true], ['**/**/*.txt2', 'dir/dir/file.txt', false], ['**/*.txt', 'file.txt', true],
  ['**/**/*.txt', 'file.txt', true], ['a**/*.txt', 'a/file.txt', true], ['a**/*.txt', 'a/dir/file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true], ['a/*.txt', 'a/dir/file.txt', false], ['a/*.txt', 'a/file.txt', true],
  ['a/*.txt**', 'a/file.txt', true], ['a[b-d]e', 'ae', false], ['a[b-d]e', 'ace', true], ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true], ['.*', '.foo', true], ['.*', 'foo', false], ['abc.def', 'abcdef', false],
  ['abc.def', 'abc.def', true], ['abc.def', 'abcZdef', false], ['abc?def', 'abcZdef', true], ['abc?def', 'abcdef', false],
  ['a\\\\', 'a\\', true], ['**/foo/bar', 'foo/bar', true], ['**/foo/bar', 'dir/foo/bar', true],
  ['**/foo/bar', 'dir/dir2/foo/bar', true], ['abc/**', 'abc', false], ['abc/**', 'abc/def', true],
  ['abc/**', 'abc/def/ghi', true], ['**/.foo', '.foo', true], ['**/.foo', 'bar.foo', false],
  ['a(b)c/def', 'a(b)c/def', true], ['a(b)c/def', 'a(b)c/xyz', false], ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true], ['a\\*b', 'a*b', true],
];
const MULTI: Array<[string[], string, boolean]> = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', false],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
  [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['docs', '!docs/README.md'], 'docs/README.md', false],
  [['docs/', '!docs/README.md'], 'docs/README.md', false],
  [['docs/*', '!docs/README.md'], 'docs/README.md', false],
  [['*.go', '!fileutils.go'], 'fileutils.go', false],
  [['!fileutils.go', '*.go'], 'fileutils.go', true],
];

function walkMatch(m: DockerignoreMatcher, text: string): boolean {
  const parent = text.includes('/') ? cleanSlashPath(text.slice(0, text.lastIndexOf('/') + 1)) : '.';
  let info: ParentMatchInfo | undefined;
  if (parent !== '.') {
    const dirs = parent.split('/');
    for (let i = 0; i < dirs.length; i++) info = m.matchWithParent(dirs.slice(0, i + 1).join('/'), info).info;
  }
  return m.matchWithParent(text, info).excluded;
}

describe('core/dockerignore: matching (patternmatcher TestMatches)', () => {
  for (const [pattern, text, pass] of MATCHES) {
    it(`${pattern} ${pass ? 'matches' : 'does not match'} ${text}`, () => {
      const m = new DockerignoreMatcher([pattern]);
      assert.equal(m.matches(text), pass, 'MatchesOrParentMatches');
      assert.equal(walkMatch(m, text), pass, 'MatchesUsingParentResults');
      assert.equal(m.matchWithParent(text).excluded, pass, 'no parent info');
    });
  }
  for (const [patterns, text, pass] of MULTI) {
    it(`${JSON.stringify(patterns)} ${pass ? 'matches' : 'does not match'} ${text}`, () => {
      const m = new DockerignoreMatcher(patterns);
      assert.equal(m.matches(text), pass);
      assert.equal(walkMatch(m, text), pass);
    });
  }
});

describe('core/dockerignore: Go filepath.Match cases (TestMatch)', () => {
  const cases: Array<[string, string, boolean | 'bad']> = [
    ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true],
    ['a*', 'ab/c', true], ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true], ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false], ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false],
    ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true], ['[\\-x]', 'a', false],
    ['[]a]', ']', 'bad'], ['[-]', '-', 'bad'], ['[x-]', 'x', 'bad'], ['[-x]', 'x', 'bad'], ['\\', 'a', 'bad'],
    ['[a-b-c]', 'a', 'bad'], ['[', 'a', 'bad'], ['[^', 'a', 'bad'], ['[^bc', 'a', 'bad'], ['a[', 'a', 'bad'],
    ['a[', 'ab', 'bad'], ['*x', 'xxx', true],
  ];
  for (const [pattern, s, want] of cases) {
    it(`Match(${pattern}, ${s})`, () => {
      if (want === 'bad') assert.throws(() => new DockerignoreMatcher([pattern]), /syntax error in pattern/);
      else assert.equal(new DockerignoreMatcher([pattern]).matches(s), want);
    });
  }
});

describe('core/dockerignore: matcher details', () => {
  it('rejects a lone ! and trims patterns', () => {
    assert.throws(() => new DockerignoreMatcher(['!']), /illegal exclusion pattern: "!"/);
    const m = new DockerignoreMatcher(['docs', '  !docs/README.md  ', '']);
    assert.equal(m.patterns.length, 2);
    assert.equal(m.hasExclusions, true);
    assert.deepEqual(m.patterns[1], m.patterns[1]);
    assert.equal(m.patterns[1].pattern, 'docs/README.md');
  });

  it('lets a walker skip an excluded directory only when no exception reaches inside it', () => {
    const m = compileDockerignore('node_modules\nbuild\n!build/keep.txt\n');
    assert.equal(m.matches('build'), true);
    assert.equal(m.canSkipExcludedDir('node_modules'), true);
    assert.equal(m.canSkipExcludedDir('build'), false);
    assert.equal(m.matches('build/keep.txt'), false);
    assert.equal(m.matches('build/other.txt'), true);
    assert.equal(new DockerignoreMatcher(['a']).canSkipExcludedDir('a'), true);
  });

  it('re-includes with the last matching pattern winning', () => {
    const m = compileDockerignore('*\n!src\nsrc/*.tmp\n!src/keep.tmp\n');
    assert.deepEqual(['x', 'src', 'src/a.go', 'src/b.tmp', 'src/keep.tmp'].map((p) => m.matches(p)), [true, false, false, true, false]);
  });

  it('keeps the Dockerfile and .dockerignore as docker/cli does', () => {
    assert.deepEqual(trimBuildFilesFromExcludes(['*'], 'Dockerfile'), ['*', '!.dockerignore', '!Dockerfile']);
    assert.deepEqual(trimBuildFilesFromExcludes(['*'], 'Dockerfile', true), ['*', '!.dockerignore']);
    assert.deepEqual(trimBuildFilesFromExcludes(['*.md'], 'Dockerfile'), ['*.md']);
    assert.equal(legacyPatternMatches('.', ['*']), false);
    assert.equal(legacyPatternMatches('docs/README.md', ['docs', '!docs/README.md']), false);
  });
});

describe('core/dockerignore: properties (fast-check)', function () {
  this.timeout(60000);
  const seg = fc.constantFrom('a', 'b', 'ab', '*', '?', '**', '[ab]', '[^a]', '.', '..', 'a\\*', '[', '\\');
  const pattern = fc.tuple(fc.boolean(), fc.array(seg, { minLength: 1, maxLength: 4 })).map(([neg, s]) => (neg ? '!' : '') + s.join('/'));
  const path = fc.array(fc.constantFrom('a', 'b', 'ab', 'ba', '.a', 'a*'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

  it('compiles or rejects with a typed error, and matching never throws', () => {
    fc.assert(fc.property(fc.array(pattern, { maxLength: 5 }), path, (patterns, p) => {
      let m: DockerignoreMatcher;
      try {
        m = new DockerignoreMatcher(patterns);
      } catch (err) {
        assert.ok(err instanceof TdockError);
        return;
      }
      m.matches(p);
      m.matchWithParent(p);
    }), { numRuns: 800 });
  });

  it('agrees with the walker form when there are no exceptions', () => {
    fc.assert(fc.property(fc.array(pattern.filter((p) => !p.startsWith('!')), { maxLength: 4 }), path, (patterns, p) => {
      let m: DockerignoreMatcher;
      try {
        m = new DockerignoreMatcher(patterns);
      } catch {
        return;
      }
      assert.equal(walkMatch(m, p), m.matches(p));
    }), { numRuns: 800 });
  });

  it('reads its own output back unchanged', () => {
    fc.assert(fc.property(fc.array(pattern, { maxLength: 6 }), (patterns) => {
      const once = readDockerignore(patterns.join('\n'));
      assert.deepEqual(readDockerignore(once.join('\n')), once);
    }));
  });
});

/**
 * What `docker build` ends up with: the CLI walks the context as go-archive does (lexical order, parent match info,
 * excluded directories skipped unless an exception reaches inside), always sending the Dockerfile and
 * .dockerignore; the daemon then deletes those two when the original patterns exclude them.
 */
function contextAfterBuild(files: string[], dockerignore: string, dockerfile = 'Dockerfile'): string[] {
  const excludes = readDockerignore(dockerignore);
  const m = new DockerignoreMatcher(trimBuildFilesFromExcludes(excludes, dockerfile));
  const all = [...files, dockerfile, '.dockerignore'];
  const dirs = new Set<string>();
  for (const f of all) for (let i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
  const entries = [...new Set([...all, ...dirs])].sort();
  const sent: string[] = [];
  const info = new Map<string, ParentMatchInfo>();
  const skipped: string[] = [];
  for (const p of entries) {
    if (skipped.some((d) => p.startsWith(d + '/'))) continue;
    const parent = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
    const r = m.matchWithParent(p, parent ? info.get(parent) : undefined);
    const isDir = dirs.has(p);
    if (isDir) info.set(p, r.info);
    if (r.excluded) {
      if (isDir && m.canSkipExcludedDir(p)) skipped.push(p);
      continue;
    }
    if (!isDir) sent.push(p);
  }
  const original = new DockerignoreMatcher(excludes);
  return sent.filter((f) => !((f === dockerfile || f === '.dockerignore') && original.matches(f)));
}

describe('core/dockerignore: moby integration-cli build contexts', () => {
  it('TestBuildDockerignore', () => {
    const files = ['Makefile', '.git/HEAD', 'src/x.go', 'src/_vendor/v.go', 'src/_vendor/v.cc', 'src/v.cc', 'v.cc', 'dir/foo', '.gitignore', 'README.md'];
    assert.deepEqual(contextAfterBuild(files, '\n.git\npkg\n.gitignore\nsrc/_vendor\n*.md\n**/*.cc\ndir'), ['.dockerignore', 'Dockerfile', 'Makefile', 'src/x.go']);
  });
  it('TestBuildDockerignoreCleanPaths', () => {
    assert.deepEqual(contextAfterBuild(['foo', 'foo2', 'dir1/foo'], './foo\ndir1//foo\n./dir1/../foo2'), ['.dockerignore', 'Dockerfile']);
  });
  it('TestBuildDockerignoreExceptions', () => {
    const files = ['Makefile', '.git/HEAD', 'src/x.go', 'src/_vendor/v.go', 'dir/foo', 'dir/foo1', 'dir/dir/f1', 'dir/dir/foo', 'dir/e', 'dir/e-dir/foo',
      '.gitignore', 'README.md', 'dir/a.cc'];
    const di = '\n.git\npkg\n.gitignore\nsrc/_vendor\n*.md\ndir\n!dir/e*\n!dir/dir/foo\n**/*.cc\n!**/*.cc';
    assert.deepEqual(contextAfterBuild(files, di), ['.dockerignore', 'Dockerfile', 'Makefile', 'dir/a.cc', 'dir/dir/foo', 'dir/e', 'dir/e-dir/foo', 'src/x.go']);
  });
  it('TestBuildDockerignoringDockerfile, RenamedDockerfile and Dockerignore', () => {
    assert.deepEqual(contextAfterBuild([], 'Dockerfile\n'), ['.dockerignore']);
    assert.deepEqual(contextAfterBuild([], './Dockerfile\n'), ['.dockerignore']);
    assert.deepEqual(contextAfterBuild(['Dockerfile'], 'MyDockerfile\n', 'MyDockerfile'), ['.dockerignore', 'Dockerfile']);
    assert.deepEqual(contextAfterBuild([], '.dockerignore\n'), ['Dockerfile']);
  });
  it('TestBuildDockerignoringWholeDir, OnlyDotfiles and WildTopDir', () => {
    assert.deepEqual(contextAfterBuild(['Makefile', '.gitignore'], '*\n'), []);
    assert.deepEqual(contextAfterBuild(['Makefile', '.gitignore'], '.*'), ['Dockerfile', 'Makefile']);
    for (const variant of ['**', '**/', '**/**', '*']) assert.deepEqual(contextAfterBuild(['file1', 'dir/file1'], variant), [], variant);
  });
  it('TestBuildDockerignoringBadExclusion', () => {
    assert.throws(() => contextAfterBuild(['Makefile'], '!\n'), /illegal exclusion pattern: "!"/);
  });
  it('TestBuildDockerignoringWildDirs', () => {
    const files = ['dir1/file0', 'dir1/dir2/file0', 'file1', 'dir1/file1', 'dir1/dir2/file1', 'dir1/file2', 'dir1/dir2/file2', 'dir1/dir2/file4',
      'dir1/dir2/file5', 'dir1/dir2/file6', 'dir1/dir3/file7', 'dir1/dir3/file8', 'dir1/dir4/file9', 'dir1/dir5/fileAA', 'dir1/dir5/fileAB',
      'dir1/dir5/fileB'];
    const di = '\n**/file0\n**/*file1\n**/dir1/file2\ndir1/**/file4\n**/dir2/file5\n**/dir1/dir2/file6\ndir1/dir3/**\n**/dir4/**\n**/file?A\n**/file\\?B\n**/dir5/file.\n';
    assert.deepEqual(contextAfterBuild(files, di), ['.dockerignore', 'Dockerfile', 'dir1/dir2/file2', 'dir1/dir5/fileAB', 'dir1/dir5/fileB']);
    const m = compileDockerignore(di);
    assert.equal(m.matches('dir1/dir3'), false);
    assert.equal(m.matches('dir1/dir4'), false);
  });
  it('TestBuildDockerignoreComment', () => {
    const files = ['foo', 'foo2', 'dir1/foo', '#1', '#2'];
    const di = '# Visual C++ cache files\n# because we have git ;-)\n# The above comment is from #20083\nfoo\n#dir1/foo\nfoo2\n' +
      '# The following is considered as comment as # is at the beginning\n#1\n' +
      '# The following is not considered as comment as # is not at the beginning\n  #2\n';
    assert.deepEqual(contextAfterBuild(files, di), ['#1', '.dockerignore', 'Dockerfile', 'dir1/foo']);
  });
});
