import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { readTar, type TarHeader } from '../../src/store/tar-reader.js';
import { buildTar, type TarWriteHeader } from '../../src/store/tar-writer.js';
import { sysFsOps } from '../../src/store/sys-ops.js';

async function* chunked(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function entries(b: Buffer, size = 977): Promise<Array<{ h: TarHeader; data: Buffer }>> {
  const out: Array<{ h: TarHeader; data: Buffer }> = [];
  for await (const e of readTar(chunked(b, size))) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    out.push({ h: e.header, data: Buffer.concat(parts) });
  }
  return out;
}

describe('store: tar reader and writer', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tdock-tar-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('round-trips names, ids, modes, link names, devices and binary xattrs (property)', async () => {
    const seg = fc.stringMatching(/^[a-zA-Z0-9._\- é]{1,40}$/).filter((s) => s !== '.' && s !== '..');
    const entry = fc.record({
      name: fc.array(seg, { minLength: 1, maxLength: 8 }).map((a) => a.join('/')),
      type: fc.constantFrom('file', 'dir', 'symlink', 'link', 'char', 'fifo') as fc.Arbitrary<TarWriteHeader['type']>,
      mode: fc.integer({ min: 0, max: 0o7777 }),
      uid: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      gid: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      mtime: fc.integer({ min: 0, max: 2 ** 33 - 1 }),
      linkname: fc.array(seg, { minLength: 1, maxLength: 8 }).map((a) => a.join('/')),
      devmajor: fc.integer({ min: 0, max: 4095 }),
      devminor: fc.integer({ min: 0, max: 65535 }),
      data: fc.uint8Array({ maxLength: 3000 }),
      xattrs: fc.dictionary(fc.stringMatching(/^user\.[a-z]{1,10}$/), fc.uint8Array({ maxLength: 40 }), { maxKeys: 3 }),
    });
    await fc.assert(fc.asyncProperty(fc.array(entry, { maxLength: 6 }), fc.integer({ min: 1, max: 5000 }), async (es, chunk) => {
      const input = es.map((e) => ({ ...e, size: 0, data: e.type === 'file' ? Buffer.from(e.data) : undefined, xattrs: new Map(Object.entries(e.xattrs).map(([k, v]) => [k, Buffer.from(v)])) }));
      const got = await entries(buildTar(input), chunk);
      assert.equal(got.length, input.length);
      got.forEach(({ h, data }, i) => {
        const e = input[i]!;
        assert.equal(h.name.replace(/\/$/, ''), e.name);
        assert.equal(h.type, e.type);
        assert.equal(h.mode, e.mode);
        assert.equal(h.uid, e.uid);
        assert.equal(h.gid, e.gid);
        assert.equal(h.mtime, e.mtime);
        if (e.type === 'symlink' || e.type === 'link') assert.equal(h.linkname, e.linkname);
        if (e.type === 'char') assert.deepEqual([h.devmajor, h.devminor], [e.devmajor, e.devminor]);
        assert.deepEqual(data, e.data ?? Buffer.alloc(0));
        assert.deepEqual(h.xattrs, e.xattrs);
      });
    }), { numRuns: 150 });
  });

  it('reads what GNU tar writes in gnu and posix formats (long names, xattrs)', async () => {
    const src = join(tmp, 'src');
    const long = `${'x'.repeat(120)}/${'y'.repeat(120)}`;
    await mkdir(join(src, long), { recursive: true });
    await writeFile(join(src, long, 'file.txt'), 'deep');
    await symlink(`../${'z'.repeat(150)}`, join(src, 'longlink'));
    sysFsOps().lsetxattr(join(src, long, 'file.txt'), 'user.k', Buffer.from([0xff, 0x00, 0xff]));
    for (const format of ['gnu', 'posix']) {
      const tar = execFileSync('tar', [`--format=${format}`, ...(format === 'posix' ? ['--xattrs'] : []), '-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 26 });
      const got = await entries(tar);
      const f = got.find((e) => e.h.name.endsWith('file.txt'))!;
      assert.equal(f.h.name, `./${long}/file.txt`);
      assert.equal(f.data.toString(), 'deep');
      if (format === 'posix') assert.deepEqual(f.h.xattrs.get('user.k'), Buffer.from([0xff, 0x00, 0xff]));
      assert.equal(got.find((e) => e.h.name === './longlink')!.h.linkname, `../${'z'.repeat(150)}`);
    }
  });
});
