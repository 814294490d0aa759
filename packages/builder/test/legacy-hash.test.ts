import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import {
  type TarsumHeader, contextEntryHeader, legacyDirHash, legacyEntrySum, legacyFileHash, legacyHistoryHash, tarsumV1Header,
} from '../src/index.js';
import { FIXTURES } from './fixtures.js';

const TYPEFLAGS: Record<string, string> = { file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6' };

/** A PAX record's value as bytes (tar-stream decodes values as UTF-8, which binary xattrs do not survive). */
function rawPaxValue(tarBytes: Buffer, key: string): Uint8Array {
  const at = tarBytes.indexOf(Buffer.from(' ' + key + '='));
  let start = at;
  while (start > 0 && tarBytes[start - 1] >= 0x30 && tarBytes[start - 1] <= 0x39) start--;
  const length = Number(tarBytes.subarray(start, at).toString());
  return tarBytes.subarray(at + key.length + 2, start + length - 1);
}

/** moby's tarsum.dev of a tar archive plus its json (the test's `Sum(extra)`), computed with this module's per-entry sums. */
async function tarsumDev(file: string, json: string): Promise<string> {
  const raw = readFileSync(file);
  const extract = tar.extract();
  const sums: string[] = [];
  extract.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const xattrs: Record<string, Uint8Array> = {};
      for (const k of Object.keys(h.pax ?? {})) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice('SCHILY.xattr.'.length)] = rawPaxValue(raw, k);
      const header: TarsumHeader = {
        name: h.name, mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, size: h.size ?? 0, typeflag: TYPEFLAGS[h.type ?? 'file'],
        linkname: h.linkname ?? '', devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0, xattrs,
      };
      sums.push(legacyEntrySum(header, chunks));
      next();
    });
  });
  const done = new Promise<void>((res, rej) => {
    extract.on('finish', () => res());
    extract.on('error', rej);
  });
  Readable.from([raw]).pipe(extract);
  await done;
  sums.sort();
  return 'tarsum.dev+sha256:' + createHash('sha256').update(readFileSync(json)).update(sums.join('')).digest('hex');
}

describe('builder/legacy-hash: tarsum v1 headers against moby test vectors', () => {
  it('reproduces tarsum.dev of moby testdata layers (plain and with xattrs)', async () => {
    assert.equal(await tarsumDev(FIXTURES + 'tarsum/46af0962-layer.tar', FIXTURES + 'tarsum/46af0962-json'), 'tarsum.dev+sha256:db56e35eec6ce65ba1588c20ba6b1ea23743b59e81fb6b7f358ccbde5580345c');
    assert.equal(await tarsumDev(FIXTURES + 'tarsum/xattr-layer.tar', FIXTURES + 'tarsum/xattr-json'), 'tarsum.dev+sha256:6c58917892d77b3b357b0f9ad1e28e1f4ae4de3a8006bd3beb8beda214d8fd16');
  });

  it('builds context headers as go-archive does and never hashes the mtime', () => {
    const h = contextEntryHeader({ relPath: 'src', type: 'dir', mode: 0o40755 & 0o7777, uid: 0, gid: 0, size: 4096 });
    assert.equal(tarsumV1Header(h).toString(), 'namesrc/mode493uid0gid0size0typeflag5linknameunamegnamedevmajor0devminor0');
    const f = contextEntryHeader({ relPath: 'a.sh', type: 'file', mode: 0o4755, uid: 1000, gid: 1000, size: 3, securityCapability: Buffer.from([0xc0]) });
    assert.deepEqual(tarsumV1Header(f), Buffer.concat([
      Buffer.from('namea.shmode2541uid1000gid1000size3typeflag0linknameunamegnamedevmajor0devminor0security.capability'), Buffer.from([0xc0]),
    ]));
    const sum = legacyEntrySum(f, [Buffer.from('hi\n')]);
    assert.equal(sum, createHash('sha256').update(tarsumV1Header(f)).update('hi\n').digest('hex'));
    assert.equal(legacyFileHash(sum), 'file:' + sum);
  });

  it('combines directory and multi-source hashes with comma-joined sha256', () => {
    const d = legacyDirHash(['a', 'b']);
    assert.equal(d, 'dir:' + createHash('sha256').update('a,b').digest('hex'));
    assert.equal(legacyHistoryHash(['file:x']), 'file:x');
    assert.equal(legacyHistoryHash(['file:x', d]), 'multi:' + createHash('sha256').update('file:x,' + d).digest('hex'));
  });
});
