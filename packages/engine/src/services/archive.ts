// `docker cp`: stat, tar out and tar in run inside the container's root, with the image's own `stat`
// and `tar`: exec'd in a running container (its root and mount namespace), or under `chroot` of the
// rootfs overlay mounted in scratch space for a stopped one. Paths therefore resolve in the
// container's root, and `..` or symlinks cannot reach the host.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { invalidArgument, notFound } from '@tdock/core';
import type { ExecSession, Runtime } from '@tdock/runtime';
import type { PathStat } from '../api/services.js';
import type { MountOps } from '../store/fs-ops.js';
import type { Mount } from '../store/snapshots.js';

// Go's os.FileMode type bits.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHARDEV = 2 ** 21;
const MODE_STICKY = 2 ** 20;

/** Go FileMode from a unix st_mode. */
export function goFileMode(st: number): number {
  let m = st & 0o777;
  const fmt = st & 0o170000;
  if (fmt === 0o040000) m += MODE_DIR;
  else if (fmt === 0o120000) m += MODE_SYMLINK;
  else if (fmt === 0o060000) m += MODE_DEVICE;
  else if (fmt === 0o020000) m += MODE_DEVICE + MODE_CHARDEV;
  else if (fmt === 0o010000) m += MODE_PIPE;
  else if (fmt === 0o140000) m += MODE_SOCKET;
  if (st & 0o4000) m += MODE_SETUID;
  if (st & 0o2000) m += MODE_SETGID;
  if (st & 0o1000) m += MODE_STICKY;
  return m;
}

async function drain(s: ExecSession, out?: PassThrough): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  for (;;) {
    const f = await s.next();
    if (f === null) return { code: -1, stdout, stderr };
    if ('exit' in f) return { code: f.exit.exitCode, stdout, stderr };
    const data = Buffer.from(f.data, 'base64');
    if (f.stream === 'stdout') {
      if (out) {
        if (!out.write(data)) await new Promise((r) => out.once('drain', r));
      } else stdout += data.toString();
    } else stderr += data.toString();
  }
}

/** How a command runs in the container's root. */
interface RootRunner {
  /** Starts `args`; stdout goes to `out` when given (else collected); `input` is piped to stdin. */
  run(args: string[], io?: { out?: PassThrough; input?: Readable }): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): void;
}

/** Where a container is: running (exec) or stopped (its rootfs Mount and a scratch directory). */
export type ArchiveTarget = { id: string; running: true } | { id: string; running: false; rootfs: Mount; scratch: string };

/** `docker cp` in a container's root. */
export class ContainerArchive {
  constructor(private readonly runtime: Runtime, private readonly target: (ref: string) => ArchiveTarget, private readonly mounts: MountOps) {}

  private async runner(ref: string): Promise<RootRunner> {
    const t = this.target(ref);
    if (t.running) {
      return {
        run: async (args, io = {}) => {
          const s = await this.runtime.exec(t.id, { args, tty: false, stdin: io.input !== undefined });
          try {
            const done = drain(s, io.out);
            if (io.input) {
              for await (const c of io.input) s.write(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
              s.closeStdin();
            }
            return await done;
          } finally {
            s.close();
          }
        },
        close: () => undefined,
      };
    }
    const mnt = path.join(t.scratch, `cp-${process.hrtime.bigint()}`);
    fs.mkdirSync(mnt, { recursive: true });
    this.mounts.mountOverlay(t.rootfs, mnt);
    return {
      run: (args, io = {}) => new Promise((resolve, reject) => {
        const child = spawn('chroot', [mnt, ...args], { stdio: [io.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
        let stdout = '';
        let stderr = '';
        const so = child.stdout as Readable;
        if (io.out) so.pipe(io.out, { end: false });
        else so.on('data', (d: Buffer) => (stdout += d.toString()));
        (child.stderr as Readable).on('data', (d: Buffer) => (stderr += d.toString()));
        if (io.input && child.stdin) io.input.pipe(child.stdin).on('error', () => undefined);
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      }),
      close: () => {
        this.mounts.unmount(mnt);
        fs.rmSync(mnt, { recursive: true, force: true });
      },
    };
  }

  private async statWith(r: RootRunner, ref: string, p: string): Promise<PathStat> {
    if (!p.startsWith('/')) throw invalidArgument(`the path must be absolute: ${p}`);
    const res = await r.run(['stat', '-c', '%f %s %Y', p]);
    if (res.code !== 0) throw notFound(`Could not find the file ${p} in container ${ref}`);
    const [modeHex, size, mtime] = res.stdout.trim().split(' ');
    const mode = goFileMode(parseInt(modeHex, 16));
    let linkTarget = '';
    if (mode & MODE_SYMLINK) linkTarget = (await r.run(['readlink', p])).stdout.trim();
    return { name: path.posix.basename(p) || '/', size: Number(size), mode, mtime: new Date(Number(mtime) * 1000).toISOString(), linkTarget };
  }

  async stat(ref: string, p: string): Promise<PathStat> {
    const r = await this.runner(ref);
    try {
      return await this.statWith(r, ref, p);
    } finally {
      r.close();
    }
  }

  async get(ref: string, p: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> {
    const r = await this.runner(ref);
    let stat: PathStat;
    try {
      stat = await this.statWith(r, ref, p);
    } catch (err) {
      r.close();
      throw err;
    }
    const clean = path.posix.normalize(p);
    const out = new PassThrough();
    signal.addEventListener('abort', () => out.destroy(), { once: true });
    void r.run(['tar', '-c', '-f', '-', '-C', path.posix.dirname(clean), path.posix.basename(clean) || '.'], { out }).then((res) => {
      if (res.code !== 0) out.destroy(new Error(`tar in the container failed: ${res.stderr.trim()}`));
      else out.end();
    }, (err: Error) => out.destroy(err)).finally(() => r.close());
    return { stat, tar: out };
  }

  async put(ref: string, p: string, tar: Readable): Promise<void> {
    const r = await this.runner(ref);
    try {
      const st = await this.statWith(r, ref, p);
      if (!(st.mode & MODE_DIR)) throw invalidArgument('extraction point is not a directory');
      const res = await r.run(['tar', '-x', '-f', '-', '-C', p], { input: tar });
      if (res.code !== 0) throw invalidArgument(`extracting the archive failed: ${res.stderr.trim()}`);
    } finally {
      r.close();
    }
  }
}
