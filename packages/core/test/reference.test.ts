// Table tests ported from distribution/reference (reference_test.go, normalize_test.go).
import assert from 'node:assert/strict';
import {
  familiarMatch, familiarName, familiarString, parseDockerRef, parseNormalizedNamed, parseReference, referenceName, referenceString,
  tagNameOnly, TdockError, withDigest, withTag,
} from '../src/index.js';

const F = 'sha256:' + 'f'.repeat(64);

describe('core/reference', () => {
  describe('parseReference (distribution/reference Parse)', () => {
    const ok: Array<[input: string, name: string, domain: string, tag?: string, digest?: string]> = [
      ['test_com', 'test_com', ''],
      ['test.com:tag', 'test.com', '', 'tag'],
      ['test.com:5000', 'test.com', '', '5000'],
      ['test.com/repo:tag', 'test.com/repo', 'test.com', 'tag'],
      ['test:5000/repo', 'test:5000/repo', 'test:5000'],
      ['test:5000/repo:tag', 'test:5000/repo', 'test:5000', 'tag'],
      [`test:5000/repo@${F}`, 'test:5000/repo', 'test:5000', undefined, F],
      [`test:5000/repo:tag@${F}`, 'test:5000/repo', 'test:5000', 'tag', F],
      ['lowercase:Uppercase', 'lowercase', '', 'Uppercase'],
      ['a/'.repeat(127) + 'a:tag-puts-this-over-max', 'a/'.repeat(127) + 'a', 'a', 'tag-puts-this-over-max'],
      ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'some-long-tag'],
      ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io/test.example.com/my-app', 'b.gcr.io', 'test.example.com'],
      [`xn--7o8h.com/myimage:xn--7o8h.com@${F}`, 'xn--7o8h.com/myimage', 'xn--7o8h.com', 'xn--7o8h.com', F],
      ['foo_bar.com:8080', 'foo_bar.com', '', '8080'],
      ['foo/foo_bar.com:8080', 'foo/foo_bar.com', 'foo', '8080'],
      ['192.168.1.1', '192.168.1.1', ''],
      ['192.168.1.1:5000', '192.168.1.1', '', '5000'],
      ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000/repo', '192.168.1.1:5000', '5050'],
      ['[2001:db8::1]/repo', '[2001:db8::1]/repo', '[2001:db8::1]'],
      ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]/repo', '[2001:db8:1:2:3:4:5:6]', 'tag'],
      [`[2001:db8::1]:5000/repo:tag@${F}`, '[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'tag', F],
      ['[::1]:5000/repo', '[::1]:5000/repo', '[::1]:5000'],
      ['example.com/' + 'a'.repeat(255) + ':tag', 'example.com/' + 'a'.repeat(255), 'example.com', 'tag'],
    ];
    for (const [input, name, domain, tag, digest] of ok) {
      it(`parses ${input.slice(0, 60)}`, () => {
        const ref = parseReference(input);
        assert.equal(referenceString(ref), input);
        assert.equal(referenceName(ref), name);
        assert.equal(ref.domain, domain);
        assert.equal(ref.tag, tag);
        assert.equal(ref.digest, digest);
      });
    }
    const bad: Array<[string, string]> = [
      ['', 'repository name must have at least one component'],
      [':justtag', 'invalid reference format'],
      [`@${F}`, 'invalid reference format'],
      ['repo@sha256:ffffffffffffffffffffffffffffffffff', 'invalid checksum digest length'],
      [`validname@invaliddigest:${'f'.repeat(64)}`, 'unsupported digest algorithm'],
      ['Uppercase:tag', 'repository name must be lowercase'],
      ['test:5000/Uppercase/lowercase:tag', 'repository name must be lowercase'],
      ['domain/' + 'a'.repeat(256) + ':tag', 'repository name must not be more than 255 characters'],
      ['aa/asdf$$^/aa', 'invalid reference format'],
      ['[2001:db8::1]', 'invalid reference format'],
      ['[2001:db8::1]:5000', 'invalid reference format'],
      ['[2001:db8::1]:tag', 'invalid reference format'],
      ['[fe80::1%eth0]:5000/repo', 'invalid reference format'],
      ['[fe80::1%@invalidzone]:5000/repo', 'invalid reference format'],
    ];
    for (const [input, message] of bad) {
      it(`rejects ${JSON.stringify(input.slice(0, 60))} with "${message}"`, () => {
        assert.throws(() => parseReference(input), (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument' && e.message === message);
      });
    }
  });

  describe('parseNormalizedNamed', () => {
    const valid = [
      'docker/docker', 'library/debian', 'debian', 'localhost/library/debian', 'localhost/debian', 'LOCALDOMAIN/library/debian',
      'LOCALDOMAIN/debian', 'docker.io/docker/docker', 'docker.io/library/debian', 'docker.io/debian', 'index.docker.io/docker/docker',
      'index.docker.io/library/debian', 'index.docker.io/debian', '127.0.0.1:5000/docker/docker', '127.0.0.1:5000/library/debian',
      '127.0.0.1:5000/debian', '192.168.0.1', '192.168.0.1:80', '192.168.0.1:8/debian', '192.168.0.2:25000/debian',
      'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', '[fc00::1]:5000/docker', '[fc00::1]:5000/docker/docker',
      '[fc00:1:2:3:4:5:6:7]:5000/library/debian', 'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
      'Docker/docker', 'DOCKER/docker', 'docker-rules/docker', 'docker---rules/docker', 'doc/docker', 'd/docker', 'jess/t', 'dock__er/docker',
    ];
    for (const name of valid) it(`accepts ${name}`, () => assert.doesNotThrow(() => parseNormalizedNamed(name)));
    const invalid = [
      'https://github.com/docker/docker', 'docker/Docker', '-docker', '-docker/docker', '-docker.io/docker/docker', 'docker///docker',
      'docker.io/docker/Docker', 'docker.io/docker///docker', '[fc00::1]', '[fc00::1]:5000', 'fc00::1:5000/debian',
      '[fe80::1%eth0]:5000/debian', '[2001:db8:3:4::192.0.2.33]:5000/debian',
      '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'docker-/docker', '-docker-/docker', '____/____',
      '_docker/_docker', 'dock..er/docker', 'dock_.er/docker', 'dock-.er/docker', 'docker/', 'x'.repeat(256) + '/docker',
    ];
    for (const name of invalid) it(`rejects ${name.slice(0, 60)}`, () => assert.throws(() => parseNormalizedNamed(name), TdockError));

    it('uses Docker\'s wording for uppercase and hex names', () => {
      assert.throws(() => parseNormalizedNamed('Foo'), { message: 'invalid reference format: repository name (library/Foo) must be lowercase' });
      assert.throws(() => parseNormalizedNamed('docker.io/docker/Docker:t'), {
        message: 'invalid reference format: repository name (docker/Docker) must be lowercase',
      });
      const hex = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';
      assert.throws(() => parseNormalizedNamed(hex), { message: `invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings` });
      assert.throws(() => parseNormalizedNamed('a b'), { message: 'invalid reference format' });
    });

    // TestParseRepositoryInfo: [path, familiar, full, ambiguous, domain]
    const info: Array<[string, string, string, string, string]> = [
      ['fooo', 'localhost/fooo', 'localhost/fooo', 'localhost/fooo', 'localhost'],
      ['fooo/bar', 'localhost/fooo/bar', 'localhost/fooo/bar', 'localhost/fooo/bar', 'localhost'],
      ['fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN'],
      ['fooo/bar', 'fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io'],
      ['library/ubuntu', 'ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io'],
      ['nonlibrary/ubuntu', 'nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', '', 'docker.io'],
      ['other/library', 'other/library', 'docker.io/other/library', '', 'docker.io'],
      ['private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '', '127.0.0.1:8000'],
      ['private/moonbase', 'example.com:8000/private/moonbase', 'example.com:8000/private/moonbase', '', 'example.com:8000'],
      ['library/ubuntu-12.04-base', 'ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base', 'docker.io'],
      ['library/foo', 'foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io'],
      ['library/foo/bar', 'library/foo/bar', 'docker.io/library/foo/bar', '', 'docker.io'],
      ['store/foo/bar', 'store/foo/bar', 'docker.io/store/foo/bar', '', 'docker.io'],
      ['bar', 'Foo/bar', 'Foo/bar', '', 'Foo'],
      ['bar', 'FOO/bar', 'FOO/bar', '', 'FOO'],
    ];
    for (const [path, familiar, full, ambiguous, domain] of info) {
      for (const s of [familiar, full, ambiguous].filter((x) => x !== '')) {
        it(`normalises ${s}`, () => {
          const ref = parseNormalizedNamed(s);
          assert.equal(familiarName(ref), familiar);
          assert.equal(referenceString(ref), full);
          assert.equal(ref.domain, domain);
          assert.equal(ref.path, path);
        });
      }
    }

    it('keeps tag and digest together', () => {
      const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
      const ref = parseNormalizedNamed(short);
      assert.equal(referenceString(ref), `docker.io/library/${short}`);
      assert.equal(familiarString(ref), short);
    });
  });

  describe('parseDockerRef and helpers', () => {
    const cases: Array<[string, string]> = [
      ['nginx', 'docker.io/library/nginx:latest'],
      [`nginx@${F}`, `docker.io/library/nginx@${F}`],
      [`nginx:latest@${F}`, `docker.io/library/nginx@${F}`],
      ['docker.io/library/nginx:1.0', 'docker.io/library/nginx:1.0'],
      ['localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
      ['user/app', 'docker.io/user/app:latest'],
    ];
    for (const [input, want] of cases) it(`${input} -> ${want}`, () => assert.equal(referenceString(parseDockerRef(input)), want));

    it('formats familiar strings', () => {
      assert.equal(familiarString(parseDockerRef('alpine')), 'alpine:latest');
      assert.equal(familiarString(parseDockerRef('docker.io/user/app:v1')), 'user/app:v1');
      assert.equal(familiarString(parseDockerRef('localhost:5000/a/b:t')), 'localhost:5000/a/b:t');
    });

    it('adds tags and digests with validation', () => {
      const ref = parseNormalizedNamed('busybox');
      assert.equal(referenceString(tagNameOnly(ref)), 'docker.io/library/busybox:latest');
      assert.equal(referenceString(withTag(ref, 'v1')), 'docker.io/library/busybox:v1');
      assert.equal(referenceString(withDigest(withTag(ref, 'v1'), F)), `docker.io/library/busybox:v1@${F}`);
      assert.throws(() => withTag(ref, '-foo'), { message: 'invalid tag format' });
      assert.throws(() => withDigest(ref, 'foo'), TdockError);
      assert.throws(() => parseNormalizedNamed('-foo'), TdockError);
    });
  });
});

describe('core/reference familiarMatch (normalize_test.go TestMatch)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['foo', 'foo/**/ba[rz]', false],
    ['foo/any/bat', 'foo/**/ba[rz]', false],
    ['foo/a/bar', 'foo/**/ba[rz]', true],
    ['foo/b/baz', 'foo/**/ba[rz]', true],
    ['foo/c/baz:tag', 'foo/**/ba[rz]', true],
    ['foo/c/baz:tag', 'foo/*/baz:tag', true],
    ['foo/c/baz:tag', 'foo/c/baz:tag', true],
    ['example.com/foo/c/baz:tag', '*/foo/c/baz', true],
    ['example.com/foo/c/baz:tag', 'example.com/foo/c/baz', true],
    ['alpine:3.19', 'alp*', true],
    ['alpine:3.19', 'alpine:3.1?', true],
    ['alpine:3.19', 'alpine:[!0-9]*', true], // Go negates with ^ only: ! is a member
    ['alpine:3.19', 'alpine:[^a-z]*', true],
    ['alpine:3.19', 'alpine:[^0-9]*', false],
    ['a/b:1', 'a?b:1', false], // ? never matches /
  ];
  for (const [ref, pattern, want] of cases) {
    it(`${pattern} ${want ? 'matches' : 'does not match'} ${ref}`, () => assert.equal(familiarMatch(pattern, parseNormalizedNamed(ref)), want));
  }
  it('rejects bad patterns as Go does', () => {
    assert.throws(() => familiarMatch('[-x]', parseNormalizedNamed('foo')), { message: 'syntax error in pattern' });
    assert.throws(() => familiarMatch('foo[', parseNormalizedNamed('foo')), { message: 'syntax error in pattern' });
  });
});

describe('core/reference parseDockerRef (normalize_test.go TestParseDockerRef)', () => {
  const d = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';
  const cases: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    [`busybox@${d}`, `docker.io/library/busybox@${d}`],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox:latest'],
    [`gcr.io/library/busybox:latest@${d}`, `gcr.io/library/busybox@${d}`],
  ];
  for (const [input, want] of cases) it(input, () => assert.equal(referenceString(parseDockerRef(input)), want));
});
