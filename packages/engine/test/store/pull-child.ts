// Child process for the kill -9 test: pulls an image whose second layer stalls mid-download,
// prints STALLED once the first layer is committed and the second is partly written.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStore } from '../../src/store/image-store.js';
import { digestHex } from '../../src/store/digest.js';
import { sysFsOps } from '../../src/store/sys-ops.js';
import { fakeImage, fileLayer, noise, type FakeLayerHooks } from './fake-image.js';

export function killImage(hooks: FakeLayerHooks = {}): ReturnType<typeof fakeImage> {
  return fakeImage('kill:1', [fileLayer({ first: 'one' }), fileLayer({ big: noise(7, 2_000_000) })], hooks);
}

async function main(dataRoot: string): Promise<void> {
  const probe = killImage();
  const second = probe.layers[1]!;
  const stallAt = Math.floor(second.size / 2);
  const img = killImage({ stallAfter: new Map([[second.digest, stallAt]]) });
  const store = await ImageStore.open({ dataRoot, fsOps: sysFsOps() });
  store.pull(img, { concurrency: 1 }).then(
    () => fail('the pull finished although its second layer stalls'),
    (err: unknown) => fail(`the pull failed: ${err instanceof Error ? err.stack : String(err)}`),
  );
  const ingest = join(dataRoot, 'content', 'ingest', `layer-${digestHex(second.digest)}`, 'data');
  const deadline = Date.now() + 30_000;
  while (true) {
    const first = await store.snapshots.has(probe.config.rootfs.diff_ids[0]!);
    const st = await stat(ingest).catch(() => undefined);
    if (first && st && st.size >= stallAt) break;
    if (Date.now() > deadline) fail(`no stall after 30 s: first layer ${first ? '' : 'not '}committed, ingest ${st?.size ?? 'missing'} of ${stallAt} bytes`);
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write('STALLED\n');
}

function fail(why: string): never {
  process.stdout.write(`FAILED ${why}\n`);
  process.exit(2);
}

if (process.argv[1]?.endsWith('pull-child.js') && process.argv[2]) void main(process.argv[2]);
