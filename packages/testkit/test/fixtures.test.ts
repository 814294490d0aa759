import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, lstatSync, readlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { join } from 'node:path';
import {
  entriesFromDir, fixtures, multilayerLayers, startRegistry, writeLayer, type Fixtures, type RegistryHandle, MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST,
} from '../src/index.js';

const ACCEPT = [MT_DOCKER_MANIFEST, MT_OCI_MANIFEST, MT_OCI_INDEX, 'application/vnd.docker.distribution.manifest.list.v2+json'].join(', ');
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Manifest {
  mediaType?: string;
  config?: { digest: string; size: number };
  layers?: { digest: string; size: number; mediaType: string }[];
  manifests?: { digest: string; size: number; mediaType: string; platform?: { architecture: string; os: string } }[];
}

describe('testkit fixtures served by the registry', function () {
  this.timeout(300_000); // the first run on a machine builds the cache (debootstrap)
  let f: Fixtures;
  let reg: RegistryHandle;
  before(async () => {
    f = await fixtures();
    reg = await startRegistry();
  });
  after(async () => { await reg?.stop(); });

  async function getManifest(repo: string, ref: string): Promise<{ body: Buffer; type: string; json: Manifest }> {
    const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT } });
    assert.equal(res.status, 200, `${repo}:${ref}`);
    const body = Buffer.from(await res.arrayBuffer());
    return { body, type: res.headers.get('content-type') ?? '', json: JSON.parse(body.toString()) as Manifest };
  }

  async function verifyBlob(repo: string, digest: string, size: number): Promise<void> {
    const res = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`);
    assert.equal(res.status, 200, `${repo}@${digest}`);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, size, `size of ${digest}`);
    assert.equal(sha(body), digest);
  }

  async function verifyImage(repo: string, m: Manifest): Promise<void> {
    assert.ok(m.config && m.layers);
    await verifyBlob(repo, m.config.digest, m.config.size);
    for (const l of m.layers) await verifyBlob(repo, l.digest, l.size);
  }

  it('every pushed tag: manifest and blobs verify against their digests', async () => {
    assert.ok(f.pushed.length >= 10);
    for (const p of f.pushed) {
      const [repo, tag] = [p.reference.slice(0, p.reference.lastIndexOf(':')), p.reference.slice(p.reference.lastIndexOf(':') + 1)];
      const got = await getManifest(repo, tag);
      assert.equal(sha(got.body), p.digest, p.reference);
      assert.equal(got.type, p.mediaType, p.reference);
      if (got.json.manifests) {
        for (const d of got.json.manifests) {
          const child = await getManifest(repo, d.digest);
          assert.equal(sha(child.body), d.digest);
          assert.equal(child.body.length, d.size);
          await verifyImage(repo, child.json);
        }
      } else {
        await verifyImage(repo, got.json);
      }
    }
  });

  it('fixture descriptions match what the registry serves', async () => {
    for (const img of [f.busybox, f.debian, f.multilayer, ...Object.values(f.malicious)]) {
      assert.equal(img.refIn(reg.host), `${reg.host}/${img.reference}`);
      const got = await getManifest(img.repository, img.tag);
      assert.equal(sha(got.body), img.manifestDigest, img.name);
      assert.equal(got.json.config?.digest, img.configDigest, img.name);
      assert.deepEqual(got.json.layers?.map((l) => l.digest), img.layers.map((l) => l.digest), img.name);
      for (const l of img.layers) {
        assert.equal(sha(readFileSync(l.tarPath)), l.diffId);
        assert.equal(sha(readFileSync(l.blobPath)), l.digest);
      }
      const config = JSON.parse((await (await fetch(`${reg.url}/v2/${img.repository}/blobs/${img.configDigest}`)).text())) as { rootfs: { diff_ids: string[] } };
      assert.deepEqual(config.rootfs.diff_ids, img.layers.map((l) => l.diffId));
    }
    const oci = await getManifest('kit/busybox', 'oci');
    assert.equal(sha(oci.body), f.busybox.ociManifestDigest);
    const ix = await getManifest(f.index.repository, f.index.tag);
    assert.equal(sha(ix.body), f.index.indexDigest);
    assert.deepEqual(ix.json.manifests?.map((m) => m.platform?.architecture), f.index.manifests.map((m) => m.platform.architecture));
    assert.deepEqual(new Set(f.index.manifests.map((m) => m.platform.architecture)), new Set(['amd64', 'arm64']));
  });

  it('OCI layouts and save archives hold what they claim', () => {
    for (const img of [f.busybox, f.debian, f.multilayer, ...Object.values(f.malicious)]) {
      const index = JSON.parse(readFileSync(join(img.ociLayout, 'index.json'), 'utf8')) as Manifest;
      assert.equal(index.manifests?.[0]?.digest, img.ociManifestDigest);
      const manifestBytes = readFileSync(join(img.ociLayout, 'blobs/sha256', img.ociManifestDigest.slice(7)));
      assert.equal(sha(manifestBytes), img.ociManifestDigest);
      const names = execFileSync('tar', ['tf', img.saveArchive]).toString().split('\n');
      for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories', `blobs/sha256/${img.configDigest.slice(7)}`]) {
        assert.ok(names.includes(n), `${img.name} save archive lacks ${n}`);
      }
      const mj = JSON.parse(execFileSync('tar', ['xOf', img.saveArchive, 'manifest.json']).toString()) as { RepoTags: string[]; Layers: string[] }[];
      assert.deepEqual(mj[0]?.RepoTags, [img.reference]);
      assert.deepEqual(mj[0]?.Layers, img.layers.map((l) => `blobs/sha256/${l.diffId.slice(7)}`));
    }
  });

  it('the index layout and save archive name the index and both platforms', () => {
    const ix = f.index;
    const layoutIndex = JSON.parse(readFileSync(join(ix.ociLayout, 'index.json'), 'utf8')) as Manifest;
    assert.equal(layoutIndex.manifests?.[0]?.digest, ix.indexDigest);
    const blob = JSON.parse(readFileSync(join(ix.ociLayout, 'blobs/sha256', ix.indexDigest.slice(7)), 'utf8')) as Manifest;
    assert.deepEqual(blob.manifests?.map((m) => m.digest), ix.manifests.map((m) => m.manifestDigest));
    assert.equal(ix.manifests[0]?.manifestDigest, f.busybox.ociManifestDigest, 'host platform entry is the busybox image');
    const saved = JSON.parse(execFileSync('tar', ['xOf', ix.saveArchive, 'index.json']).toString()) as Manifest;
    assert.equal(saved.manifests?.[0]?.digest, ix.indexDigest);
    const names = execFileSync('tar', ['tf', ix.saveArchive]).toString().split('\n');
    for (const m of ix.manifests) assert.ok(names.includes(`blobs/sha256/${m.manifestDigest.slice(7)}`));
  });

  it('busybox rootfs runs and has its users; debian carries no mirror or host files', () => {
    const out = execFileSync('chroot', [f.busybox.rootfs, '/bin/sh', '-c', 'echo hi; id -u tdtest; ls -d /tmp']).toString();
    assert.equal(out, 'hi\n1000\n/tmp\n');
    assert.equal(lstatSync(join(f.busybox.rootfs, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(readlinkSync(join(f.busybox.rootfs, 'bin/sh')), '/bin/busybox');
    const names = new Set(execFileSync('tar', ['tf', f.debian.layers[0]!.tarPath], { maxBuffer: 64 << 20 }).toString().split('\n'));
    for (const gone of ['etc/apt/sources.list', 'etc/resolv.conf', 'etc/hostname', 'dev/null', 'var/log/bootstrap.log']) {
      assert.ok(!names.has(gone), `debian layer contains ${gone}`);
    }
    assert.ok(names.has('usr/bin/bash') && names.has('usr/bin/apt-get'));
  });

  it('multilayer has >= 8 layers, one >= 20 MiB, and the expected merged tree', () => {
    const m = f.multilayer;
    assert.ok(m.layers.length >= 8);
    assert.ok(m.layers.some((l) => l.size >= 20 * 1024 * 1024), 'a >= 20 MiB compressed layer');
    const byPath = new Map(m.expectedTree.map((e) => [e.path, e]));
    assert.ok(!byPath.has('data/to-delete.txt') && !byPath.has('data/gone-dir') && !byPath.has('data/gone-dir/inner.txt'));
    assert.ok(!byPath.has('data/replaced/old1.txt') && byPath.has('data/replaced/new.txt'));
    assert.equal(byPath.get('data/replaced')?.mode, 0o750);
    assert.equal(byPath.get('usr/bin/suid-tool')?.mode, 0o4755);
    assert.deepEqual(byPath.get('data/xattr-file')?.xattrs, { 'user.tdock': 'hello-xattr', 'user.second': '2' });
    assert.equal(byPath.get('etc/swap')?.type, 'directory');
    assert.equal(byPath.get('links/b')?.hardlinkGroup, 'links/a');
    assert.equal(byPath.get('data/hl-a')?.hardlinkGroup, undefined);
    assert.ok([...byPath.keys()].some((p) => p.length > 255));
    assert.deepEqual(JSON.parse(readFileSync(m.expectedTreeFile, 'utf8')), m.expectedTree);
  });

  it('multilayer layer tars carry PAX xattrs and long names, Docker-style headers', async () => {
    const headers: tarStream.Header[] = [];
    for (const l of f.multilayer.layers) {
      const ex = tarStream.extract();
      ex.on('entry', (h, stream, next) => { headers.push(h); stream.on('end', next); stream.resume(); });
      await pipeline(createReadStream(l.tarPath), ex);
    }
    const x = headers.find((h) => h.name === 'data/xattr-file');
    assert.equal((x?.pax as Record<string, string> | undefined)?.['SCHILY.xattr.user.tdock'], 'hello-xattr');
    assert.ok(headers.some((h) => h.name.length > 255 && h.type === 'file'));
    assert.ok(headers.some((h) => h.type === 'link' && h.linkname === 'links/a'));
    assert.ok(headers.some((h) => h.name === 'data/replaced/.wh..wh..opq'));
    for (const h of headers) {
      assert.ok(!h.name.startsWith('./') && !h.name.startsWith('/'), h.name);
      assert.equal(h.mtime?.getTime(), Date.parse('2024-01-01T00:00:00Z'));
    }
  });

  it('malicious images expose their raw layer tars and escape targets', () => {
    const kinds = Object.keys(f.malicious).sort();
    assert.deepEqual(kinds, ['absolute', 'hardlinkEscape', 'symlinkEscape', 'symlinkEscapeAbsolute', 'traversal']);
    for (const mal of Object.values(f.malicious)) {
      assert.ok(mal.escapes.length > 0);
      assert.equal(mal.layerTar, mal.layers[0]!.tarPath);
    }
    const names = execFileSync('tar', ['tf', f.malicious.traversal.layerTar], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    assert.match(names, /^\.\.\/.*tdock-kit-escape-traversal$/m);
  });
});

describe('testkit layers are deterministic', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tdk-det-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('rebuilding busybox and multilayer layers gives the cached digests', async () => {
    const f = await fixtures();
    const bb = await writeLayer(await entriesFromDir(f.busybox.rootfs), join(dir, 'bb.tar'), join(dir, 'bb.tgz'));
    assert.equal(bb.digest, f.busybox.layers[0]!.digest);
    assert.equal(bb.diffId, f.busybox.layers[0]!.diffId);
    const layers = multilayerLayers();
    for (const [i, entries] of layers.entries()) {
      const w = await writeLayer(entries, join(dir, `${i}.tar`), join(dir, `${i}.tgz`));
      assert.equal(w.digest, f.multilayer.layers[i]!.digest, `layer ${i}`);
    }
  });
});
