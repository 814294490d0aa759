// @tdock/runtime/sys on the real kernel: overlay through the new mount API, whiteouts, xattrs, openat2.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sys from '@tdock/runtime/sys';
import { SYSCALLS_X86_64 } from '../src/seccomp/syscall-table.js';

describe('sys', () => {
  let dir: string;
  const mounted: string[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-sys-'));
  });
  afterEach(() => {
    for (const m of mounted.splice(0).reverse()) sys.umountIfMounted(m, sys.MNT.DETACH);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("calls syscall(2) with the numbers of the committed x86_64 table", () => {
    for (const [name, nr] of Object.entries(sys.SYS)) assert.equal(nr, SYSCALLS_X86_64[name], name);
  });

  it('throws SysError with errno name, syscall, path and kind', () => {
    const err = (() => {
      try {
        sys.umount(path.join(dir, 'missing'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof sys.SysError);
    assert.equal(err.code, 'ENOENT');
    assert.equal(err.syscall, 'umount2');
    assert.equal(err.path, path.join(dir, 'missing'));
    assert.equal(err.kind, 'not-found');
  });

  /** `n` lower directories with names long enough that the classic option string overflows a page; newest first. */
  function longNamedLowers(n: number): string[] {
    const lowers: string[] = [];
    for (let i = 0; i < n; i++) {
      const l = path.join(dir, `layer-with-a-long-name-to-overflow-the-page-${String(i).padStart(4, '0')}`);
      fs.mkdirSync(l);
      fs.writeFileSync(path.join(l, `f${i}`), String(i));
      fs.writeFileSync(path.join(l, 'top'), String(i));
      lowers.unshift(l); // newest first: the last created is the top
    }
    assert.ok(sys.overlayOptions({ lowers }).length > 4096, 'the classic option string would not fit');
    return lowers;
  }

  it('mounts an overlay of 130 lowers through the new mount API and unmounts it', function () {
    if (!sys.supportsLowerdirPlus()) this.skip();
    const lowers = longNamedLowers(130);
    const upper = path.join(dir, 'upper');
    const work = path.join(dir, 'work');
    const merged = path.join(dir, 'merged');
    for (const d of [upper, work, merged]) fs.mkdirSync(d);
    sys.mountOverlay({ lowers, upper, work }, merged);
    mounted.push(merged);
    assert.equal(fs.readFileSync(path.join(merged, 'top'), 'utf8'), '129');
    assert.equal(fs.readFileSync(path.join(merged, 'f0'), 'utf8'), '0');
    fs.writeFileSync(path.join(merged, 'new'), 'x');
    assert.equal(fs.readFileSync(path.join(upper, 'new'), 'utf8'), 'x');
    sys.umount(merged);
    mounted.pop();
    assert.deepEqual(fs.readdirSync(merged), []);
  });

  it('without lowerdir+ (kernels before 6.8), mounts 130 long-named lowers through short links and removes them', () => {
    const lowers = longNamedLowers(130);
    const base = path.join(dir, 'c');
    const [upper, work, merged] = ['upper', 'work', 'merged'].map((n) => path.join(base, n)) as [string, string, string];
    for (const d of [upper, work, merged]) fs.mkdirSync(d, { recursive: true });
    const cwd = process.cwd();
    sys.mountOverlay({ lowers, upper, work }, merged, { useNewApi: false });
    mounted.push(merged);
    assert.equal(process.cwd(), cwd);
    assert.equal(fs.readFileSync(path.join(merged, 'top'), 'utf8'), '129');
    for (const i of [0, 64, 129]) assert.equal(fs.readFileSync(path.join(merged, `f${i}`), 'utf8'), String(i));
    fs.writeFileSync(path.join(merged, 'new'), 'x');
    assert.equal(fs.readFileSync(path.join(upper, 'new'), 'utf8'), 'x');
    // The link directory is gone, and the mount table names the short links.
    assert.deepEqual(fs.readdirSync(base).sort(), ['merged', 'upper', 'work']);
    const entry = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === merged);
    assert.match(entry ?? '', /lowerdir=0:1:2:/);
    sys.umount(merged);
    mounted.pop();
  });

  it('falls back to the classic option string when asked (older kernels)', () => {
    const lo = path.join(dir, 'lo:1,x');
    const lo2 = path.join(dir, 'lo2');
    const merged = path.join(dir, 'm');
    for (const d of [lo, lo2, merged]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(lo, 'a:b'), 'colon');
    sys.mountOverlay({ lowers: [lo, lo2] }, merged, { useNewApi: false });
    mounted.push(merged);
    assert.equal(fs.readFileSync(path.join(merged, 'a:b'), 'utf8'), 'colon');
    assert.throws(() => fs.writeFileSync(path.join(merged, 'x'), 'y'), /EROFS/);
  });

  it('makes whiteouts (0:0 char devices) that hide lower entries, and opaque dirs through xattrs', () => {
    const lower = path.join(dir, 'lower');
    const upperLayer = path.join(dir, 'upper-layer');
    const merged = path.join(dir, 'merged');
    fs.mkdirSync(path.join(lower, 'd'), { recursive: true });
    fs.writeFileSync(path.join(lower, 'gone'), 'x');
    fs.writeFileSync(path.join(lower, 'd', 'old'), 'x');
    fs.mkdirSync(path.join(upperLayer, 'd'), { recursive: true });
    fs.writeFileSync(path.join(upperLayer, 'd', 'new'), 'x');
    fs.mkdirSync(merged);
    sys.makeWhiteout(path.join(upperLayer, 'gone'));
    const st = fs.lstatSync(path.join(upperLayer, 'gone'));
    assert.ok(st.isCharacterDevice());
    assert.equal(st.rdev, 0);
    assert.equal(st.mode & 0o7777, 0);
    sys.lsetxattr(path.join(upperLayer, 'd'), 'trusted.overlay.opaque', 'y');
    assert.equal(sys.lgetxattr(path.join(upperLayer, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');
    sys.mountOverlay({ lowers: [upperLayer, lower] }, merged);
    mounted.push(merged);
    assert.ok(!fs.existsSync(path.join(merged, 'gone')));
    assert.deepEqual(fs.readdirSync(path.join(merged, 'd')), ['new']);
  });

  it('addInodeFlags sets chattr +T on an ext4 directory, once, and the flag is not inherited', function () {
    if (execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim() !== 'ext2/ext3') this.skip();
    const attrs = (p: string): string => execFileSync('lsattr', ['-d', p], { encoding: 'utf8' }).split(' ')[0]!;
    assert.doesNotMatch(attrs(dir), /T/);
    assert.equal(sys.addInodeFlags(dir, sys.FS_FL.TOPDIR), true);
    assert.match(attrs(dir), /T/);
    assert.equal(sys.addInodeFlags(dir, sys.FS_FL.TOPDIR), true);
    fs.mkdirSync(path.join(dir, 'sub'));
    assert.doesNotMatch(attrs(path.join(dir, 'sub')), /T/);
  });

  it('addInodeFlags says false where the filesystem has no inode flags (tmpfs), and throws for a missing path', function () {
    let shm: string;
    try {
      shm = fs.mkdtempSync('/dev/shm/tdock-sys-');
    } catch {
      this.skip();
    }
    try {
      if (execFileSync('stat', ['-f', '-c', '%T', shm], { encoding: 'utf8' }).trim() !== 'tmpfs') this.skip();
      assert.equal(sys.addInodeFlags(shm, sys.FS_FL.TOPDIR), false);
    } finally {
      fs.rmSync(shm, { recursive: true, force: true });
    }
    assert.throws(() => sys.addInodeFlags(path.join(dir, 'missing'), sys.FS_FL.TOPDIR), { code: 'ENOENT' });
  });

  it('mknod keeps the exact mode despite the umask', () => {
    const old = process.umask(0o077);
    try {
      sys.mknod(path.join(dir, 'null'), sys.S_IF.CHR, 0o666, 1, 3);
      sys.mknod(path.join(dir, 'fifo'), sys.S_IF.FIFO, 0o640);
    } finally {
      process.umask(old);
    }
    const st = fs.lstatSync(path.join(dir, 'null'));
    assert.equal(st.mode & 0o7777, 0o666);
    assert.equal(st.rdev, 0x103);
    assert.ok(fs.lstatSync(path.join(dir, 'fifo')).isFIFO());
    assert.equal(fs.lstatSync(path.join(dir, 'fifo')).mode & 0o7777, 0o640);
  });

  it('sets, lists and removes xattrs on a symlink itself; lchown and lutimes do not follow it', () => {
    const target = path.join(dir, 'target');
    const link = path.join(dir, 'link');
    fs.writeFileSync(target, 'x');
    fs.symlinkSync('target', link);
    sys.lsetxattr(link, 'trusted.tdock', Buffer.from([0, 1, 2]));
    assert.deepEqual(sys.llistxattr(link).filter((n) => n.startsWith('trusted.tdock')), ['trusted.tdock']);
    assert.deepEqual(sys.lgetxattr(link, 'trusted.tdock'), Buffer.from([0, 1, 2]));
    assert.equal(sys.lgetxattr(target, 'trusted.tdock'), undefined);
    sys.lremovexattr(link, 'trusted.tdock');
    assert.equal(sys.lgetxattr(link, 'trusted.tdock'), undefined);
    sys.lchown(link, 1234, 5678);
    assert.equal(fs.lstatSync(link).uid, 1234);
    assert.equal(fs.statSync(target).uid, 0);
    sys.lutimes(link, { sec: 1000, nsec: 5 }, { sec: 2000, nsec: 123456789 });
    const st = fs.lstatSync(link, { bigint: true });
    assert.equal(st.mtimeNs, 2000_123456789n);
    assert.notEqual(fs.statSync(target).mtimeMs, 2000123.456789);
  });

  it('openat2 RESOLVE_IN_ROOT keeps .. and absolute symlinks inside the root; BENEATH refuses', () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'inside');
    fs.symlinkSync('/etc/passwd', path.join(root, 'abs'));
    fs.symlinkSync('../../../../../../etc/passwd', path.join(root, 'rel'));
    for (const p of ['abs', 'rel', '../../../etc/passwd', '/etc/passwd']) {
      const fd = sys.openInRoot(root, p);
      try {
        assert.equal(fs.readFileSync(fd, 'utf8'), 'inside', p);
      } finally {
        fs.closeSync(fd);
      }
    }
    const rootFd = sys.open(root, sys.O.PATH | sys.O.DIRECTORY | sys.O.CLOEXEC);
    try {
      assert.throws(() => sys.openat2(rootFd, 'abs', { flags: sys.O.RDONLY, resolve: sys.RESOLVE.BENEATH }), { code: 'EXDEV' });
      assert.throws(() => sys.openat2(rootFd, 'rel', { flags: sys.O.RDONLY, resolve: sys.RESOLVE.BENEATH }), { code: 'EXDEV' });
    } finally {
      sys.close(rootFd);
    }
  });

  it('opens a pty pair and resizes it', () => {
    const pty = sys.openPty({ rows: 24, cols: 80 });
    try {
      assert.match(pty.slavePath, /^\/dev\/pts\/\d+$/);
      sys.setWinsize(pty.master, 50, 132);
      assert.deepEqual(sys.getWinsize(pty.slave), { rows: 50, cols: 132 });
    } finally {
      sys.close(pty.slave);
      sys.close(pty.master);
    }
  });

  it('reads rlimits and capabilities', () => {
    const nofile = sys.getrlimit(sys.RLIMIT.RLIMIT_NOFILE);
    assert.ok(nofile.soft <= nofile.hard);
    const caps = sys.capget();
    assert.equal(caps.effective & 1n, 1n); // CAP_CHOWN as root
  });
});
