import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptMirror, mergeLayers, sleep, withBuildLock, type LayerEntry } from '../src/index.js';

describe('testkit helpers', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tdk-help-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('aptMirror reads deb822 URIs, skipping security and disabled stanzas', async () => {
    mkdirSync(join(dir, 'sources.list.d'));
    writeFileSync(join(dir, 'sources.list.d', 'debian.sources'), [
      'Types: deb', 'URIs: http://mirror.invalid/security', 'Suites: bookworm-security', 'Components: main', '',
      'Types: deb', 'URIs: http://disabled.invalid/debian', 'Suites: bookworm', 'Enabled: no', '',
      'Types: deb-src', 'URIs: http://src.invalid/debian', 'Suites: bookworm', '',
      '# a comment', 'Types: deb', 'URIs: http://mirror.invalid/debian', 'Suites: bookworm bookworm-updates', 'Components: main', '',
    ].join('\n'));
    assert.equal(await aptMirror(dir), 'http://mirror.invalid/debian');
  });

  it('aptMirror falls back to a classic sources.list', async () => {
    writeFileSync(join(dir, 'sources.list'), '# c\ndeb-src http://x.invalid/debian bookworm main\ndeb [arch=amd64] http://classic.invalid/debian bookworm main\n');
    assert.equal(await aptMirror(dir), 'http://classic.invalid/debian');
    rmSync(join(dir, 'sources.list'));
    await assert.rejects(aptMirror(dir), /no Debian mirror/);
  });

  it('withBuildLock builds once for concurrent callers and takes over a dead holder', async () => {
    const lock = join(dir, 'x.lock');
    const marker = join(dir, 'built');
    let builds = 0;
    const build = async (): Promise<void> => { builds++; await sleep(200); writeFileSync(marker, 'ok'); };
    await Promise.all([1, 2, 3].map(() => withBuildLock(lock, () => existsSync(marker), build)));
    assert.equal(builds, 1);
    assert.equal(existsSync(lock), false);
    const dead = spawnSync('true').pid;
    writeFileSync(lock, `${dead}\n`);
    rmSync(marker);
    await withBuildLock(lock, () => existsSync(marker), build, 5000);
    assert.equal(builds, 2);
  });

  it('mergeLayers applies whiteouts, opaque dirs and type changes', () => {
    const f = (name: string, content = name): LayerEntry => ({ name, type: 'file', content: Buffer.from(content) });
    const d = (name: string, mode?: number): LayerEntry => ({ name, type: 'directory', ...(mode ? { mode } : {}) });
    const tree = mergeLayers([
      [d('a'), f('a/1'), d('a/sub'), f('a/sub/2'), f('b'), f('c'), d('e'), f('e/x')],
      [d('a', 0o700), f('a/.wh..wh..opq'), f('a/new'), f('.wh.b'), d('c'), f('c/in'), f('e/.wh.x')],
    ]);
    assert.deepEqual(tree.map((t) => `${t.path}:${t.type}`), ['a:directory', 'a/new:file', 'c:directory', 'c/in:file', 'e:directory']);
    assert.equal(tree[0]?.mode, 0o700);
  });
});
