// Builds every fixture image into a directory (OCI layouts, save archives, raw layers, the busybox
// rootfs) and pushes them into a registry storage there. Called by fixtures() under its lock.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { entriesFromDir } from './layer.js';
import { makeBusyboxRootfs, maliciousSpecs, otherPlatformLayer, IMAGE_PATH_ENV, type MaliciousKind } from './image-contents.js';
import {
  MT_DOCKER_MANIFEST, MT_OCI_INDEX, MT_OCI_MANIFEST, writeBlob, writeImage, writeIndexSaveArchive, writeLayoutIndex,
  writeSaveArchive, type ImageSpec, type Platform, type WrittenImage,
} from './image-writer.js';
import { mergeLayers, multilayerLayers } from './multilayer.js';
import type { PushedReference } from './fixture-types.js';
import { launchRegistry } from './registry.js';
import { run } from './proc.js';

/** Fixture metadata as stored in fixtures.json (no functions). */
export type StoredImage = {
  name: string; repository: string; tag: string; reference: string; ociLayout: string; ociRef: string;
  saveArchive: string; manifestDigest: string; manifestMediaType: string; ociManifestDigest: string;
  saveManifestDigest: string; configDigest: string; layers: WrittenImage['layers']; platform: Platform;
};

/** Maps Node's arch to the OCI architecture. */
export function ociArch(nodeArch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

const MALICIOUS_REPO: Record<MaliciousKind, string> = {
  traversal: 'traversal', absolute: 'absolute', symlinkEscape: 'symlink-escape',
  symlinkEscapeAbsolute: 'symlink-escape-absolute', hardlinkEscape: 'hardlink-escape',
};

async function buildOne(root: string, name: string, repository: string, spec: ImageSpec): Promise<StoredImage> {
  const base = join(root, 'images', name);
  const layout = join(base, 'oci');
  const img = await writeImage(layout, spec, join(base, 'layers'));
  await writeLayoutIndex(layout, [{ ...img.manifest, refName: 'latest' }]);
  const reference = `${repository}:latest`;
  const saveArchive = join(base, 'save.tar');
  const saveManifestDigest = await writeSaveArchive(saveArchive, img, join(layout, 'blobs/sha256', img.config.digest.slice(7)), reference);
  return {
    name, repository, tag: 'latest', reference, ociLayout: layout, ociRef: 'latest', saveArchive,
    manifestDigest: '', manifestMediaType: MT_DOCKER_MANIFEST, ociManifestDigest: img.manifest.digest,
    saveManifestDigest, configDigest: img.config.digest, layers: img.layers, platform: img.platform,
  };
}

/** What {@link buildImages} produced. */
export interface BuiltFixtures {
  busybox: StoredImage & { rootfs: string; ociReference: string };
  debian: StoredImage;
  multilayer: StoredImage & { expectedTree: ReturnType<typeof mergeLayers>; expectedTreeFile: string };
  index: {
    name: string; repository: string; tag: string; reference: string; ociLayout: string; ociRef: string; saveArchive: string;
    indexDigest: string; indexSize: number; mediaType: string;
    manifests: { platform: Platform; manifestDigest: string; manifestSize: number; configDigest: string; layers: WrittenImage['layers'] }[];
  };
  malicious: Record<string, StoredImage & { kind: MaliciousKind; description: string; escapes: string[]; layerTar: string }>;
}

/** Builds every image under `root`; `debianTar` is the cached, stripped debootstrap layer tar. */
export async function buildImages(root: string, debianTar: string): Promise<BuiltFixtures> {
  const arch = ociArch();
  const runConfig = { Env: [IMAGE_PATH_ENV], Cmd: ['sh'] };
  const platform: Platform = { os: 'linux', architecture: arch };

  const rootfs = join(root, 'images/busybox/rootfs');
  await makeBusyboxRootfs(rootfs);
  const bbEntries = await entriesFromDir(rootfs);
  const bbSpec: ImageSpec = { layers: [bbEntries], platform, runConfig, history: ['tdock-testkit: busybox-static with applet links'] };
  const busybox = { ...await buildOne(root, 'busybox', 'kit/busybox', bbSpec), rootfs, ociReference: 'kit/busybox:oci' };

  const debian = await buildOne(root, 'debian', 'kit/debian', {
    layers: [{ tarFile: debianTar }], platform, runConfig: { Env: [IMAGE_PATH_ENV], Cmd: ['bash'] },
    history: ['tdock-testkit: debootstrap --variant=minbase bookworm'],
  });

  const mlLayers = multilayerLayers();
  const ml = await buildOne(root, 'multilayer', 'kit/multilayer', {
    layers: mlLayers, platform, runConfig: { ...runConfig, WorkingDir: '/data', Labels: { 'org.tdock.kit': 'multilayer' } },
  });
  const expectedTree = mergeLayers(mlLayers);
  const expectedTreeFile = join(root, 'images/multilayer/expected-tree.json');
  await writeFile(expectedTreeFile, JSON.stringify(expectedTree, null, 1));
  const multilayer = { ...ml, expectedTree, expectedTreeFile };

  // The index: the real busybox for the host arch, a one-file image for the other.
  const other = arch === 'arm64' ? 'amd64' : 'arm64';
  const ixLayout = join(root, 'images/index/oci');
  const ixRaw = join(root, 'images/index/layers');
  const native = await writeImage(ixLayout, bbSpec, ixRaw);
  const foreign = await writeImage(ixLayout, {
    layers: [otherPlatformLayer(other)], platform: { os: 'linux', architecture: other }, runConfig,
  }, ixRaw);
  const indexJson = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT_OCI_INDEX,
    manifests: [native, foreign].map((m) => ({ mediaType: MT_OCI_MANIFEST, digest: m.manifest.digest, size: m.manifest.size, platform: m.platform })),
  }));
  const indexDesc = await writeBlob(ixLayout, MT_OCI_INDEX, indexJson);
  await writeLayoutIndex(ixLayout, [{ ...indexDesc, refName: 'latest' }]);
  const ixSave = join(root, 'images/index/save.tar');
  const allBlobs = [indexDesc.digest, ...[native, foreign].flatMap((m) => [m.manifest.digest, m.config.digest, ...m.layers.map((l) => l.digest)])];
  await writeIndexSaveArchive(ixSave, ixLayout, indexDesc, native, allBlobs, 'kit/index:latest');
  const index = {
    name: 'index', repository: 'kit/index', tag: 'latest', reference: 'kit/index:latest', ociLayout: ixLayout, ociRef: 'latest',
    saveArchive: ixSave, indexDigest: indexDesc.digest, indexSize: indexDesc.size, mediaType: MT_OCI_INDEX,
    manifests: [native, foreign].map((m) => ({
      platform: m.platform, manifestDigest: m.manifest.digest, manifestSize: m.manifest.size, configDigest: m.config.digest, layers: m.layers,
    })),
  };

  const malicious: BuiltFixtures['malicious'] = {};
  for (const s of maliciousSpecs()) {
    const name = `malicious-${MALICIOUS_REPO[s.kind]}`;
    const img = await buildOne(root, name, `kit/${name}`, { layers: [s.entries], platform, runConfig });
    malicious[s.kind] = { ...img, kind: s.kind, description: s.description, escapes: s.escapes, layerTar: img.layers[0]!.tarPath };
  }
  return { busybox, debian, multilayer, index, malicious };
}

/** Pushes every built image into the registry storage `storage` with skopeo; fills in manifest digests. */
export async function pushImages(built: BuiltFixtures, storage: string, scratch: string): Promise<PushedReference[]> {
  await mkdir(storage, { recursive: true });
  const reg = await launchRegistry({ storageInPlace: storage });
  const pushed: PushedReference[] = [];
  try {
    const copy = async (layout: string, ref: string, format: 'v2s2' | 'oci', all: boolean): Promise<string> => {
      const digestFile = join(scratch, `digest-${pushed.length}`);
      await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', '--format', format,
        ...(format === 'oci' ? ['--preserve-digests'] : []), ...(all ? ['--all'] : []),
        '--digestfile', digestFile, `oci:${layout}:latest`, `docker://${reg.host}/${ref}`]);
      const digest = (await readFile(digestFile, 'utf8')).trim();
      pushed.push({ reference: ref, digest, mediaType: all ? MT_OCI_INDEX : format === 'oci' ? MT_OCI_MANIFEST : MT_DOCKER_MANIFEST });
      return digest;
    };
    const singles = [built.busybox, built.debian, built.multilayer, ...Object.values(built.malicious)];
    for (const img of singles) img.manifestDigest = await copy(img.ociLayout, img.reference, 'v2s2', false);
    const ociDigest = await copy(built.busybox.ociLayout, built.busybox.ociReference, 'oci', false);
    if (ociDigest !== built.busybox.ociManifestDigest) throw new Error(`skopeo changed the OCI manifest of busybox: ${ociDigest}`);
    const ixDigest = await copy(built.index.ociLayout, built.index.reference, 'oci', true);
    if (ixDigest !== built.index.indexDigest) throw new Error(`skopeo changed the index digest: ${ixDigest} != ${built.index.indexDigest}`);
  } finally {
    await reg.stop();
  }
  return pushed;
}
