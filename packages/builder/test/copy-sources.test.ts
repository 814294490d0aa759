import assert from 'node:assert/strict';
import { checkCopyDestination, containsWildcards, copyTarget, goPathMatch, normalizeCopySource } from '../src/index.js';

// Go's path/filepath match_test.go table.
const MATCH: Array<[string, string, boolean | 'bad']> = [
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true], ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true],
  ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false], ['[]a]', ']', 'bad'], ['[-]', '-', 'bad'], ['[x-]', 'x', 'bad'], ['[x-]', '-', 'bad'], ['[x-]', 'z', 'bad'],
  ['[-x]', 'x', 'bad'], ['[-x]', '-', 'bad'], ['[-x]', 'a', 'bad'], ['\\', 'a', 'bad'], ['[a-b-c]', 'a', 'bad'], ['[', 'a', 'bad'],
  ['[^', 'a', 'bad'], ['[^bc', 'a', 'bad'], ['a[', 'a', 'bad'], ['a[', 'ab', 'bad'], ['a[', 'x', 'bad'], ['a/b[', 'x', 'bad'],
  ['*x', 'xxx', true],
];

describe('builder/copy-sources: Go filepath.Match', () => {
  for (const [pattern, name, want] of MATCH) {
    it(`Match(${pattern}, ${name})`, () => {
      if (want === 'bad') assert.throws(() => goPathMatch(pattern, name), /syntax error in pattern/);
      else assert.equal(goPathMatch(pattern, name), want);
    });
  }
  it('detects wildcards and cleans sources', () => {
    assert.deepEqual(['*.go', 'a?c', 'x[ab]', 'a\\*b', 'plain/dir'].map(containsWildcards), [true, true, true, false, false]);
    assert.deepEqual(['/app/', './src/../lib', '../../etc/passwd', '.', ''].map(normalizeCopySource), ['app', 'lib', 'etc/passwd', '.', '.']);
  });
});

describe('builder/copy-sources: docker directory rules', () => {
  it('requires a directory destination for several sources', () => {
    assert.throws(() => checkCopyDestination('COPY', 2, '/app'), /When using COPY with more than one source file, the destination must be a directory and end with a \//);
    assert.doesNotThrow(() => checkCopyDestination('ADD', 2, '/app/'));
    assert.doesNotThrow(() => checkCopyDestination('COPY', 1, '/app'));
  });
  it('copies directory contents, and files into or onto the destination', () => {
    assert.deepEqual(copyTarget('/app/', { path: 'src', isDir: true }, false), { contentsOf: true, target: '/app' });
    assert.deepEqual(copyTarget('/app/', { path: 'src/main.go', isDir: false }, false), { contentsOf: false, target: '/app/main.go' });
    assert.deepEqual(copyTarget('/app', { path: 'main.go', isDir: false }, true), { contentsOf: false, target: '/app/main.go' });
    assert.deepEqual(copyTarget('/app', { path: 'main.go', isDir: false }, false), { contentsOf: false, target: '/app' });
    assert.deepEqual(copyTarget('/', { path: 'a', isDir: false }, true), { contentsOf: false, target: '/a' });
  });
});
