// `docker cp` for running containers: stat, tar out and tar in run as exec'd processes inside the
// container (`stat`, `tar`), so every path resolves in the container's own root and mount namespace
// and `..` or symlinks cannot reach the host. Stopped containers are not supported yet.
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { conflict, invalidArgument, notFound } from '@tdock/core';
import type { ExecSession, Runtime } from '@tdock/runtime';
import type { PathStat } from '../api/services.js';

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
    if ('exit' in f) {
      out?.end();
      return { code: f.exit.exitCode, stdout, stderr };
    }
    const data = Buffer.from(f.data, 'base64');
    if (f.stream === 'stdout') {
      if (out) {
        if (!out.write(data)) await new Promise((r) => out.once('drain', r));
      } else stdout += data.toString();
    } else stderr += data.toString();
  }
}

/** `docker cp` over exec in a running container. */
export class ContainerArchive {
  constructor(private readonly runtime: Runtime, private readonly running: (id: string) => string) {}

  private async run(id: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const s = await this.runtime.exec(id, { args, tty: false, stdin: false });
    try {
      return await drain(s);
    } finally {
      s.close();
    }
  }

  private container(ref: string): string {
    try {
      return this.running(ref);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'conflict') throw conflict('copying files from or to a stopped container is not supported yet');
      throw err;
    }
  }

  async stat(ref: string, p: string): Promise<PathStat> {
    if (!p.startsWith('/')) throw invalidArgument(`the path must be absolute: ${p}`);
    const id = this.container(ref);
    const r = await this.run(id, ['stat', '-c', '%f %s %Y', p]);
    if (r.code !== 0) throw notFound(`Could not find the file ${p} in container ${ref}`);
    const [modeHex, size, mtime] = r.stdout.trim().split(' ');
    const mode = goFileMode(parseInt(modeHex, 16));
    let linkTarget = '';
    if (mode & MODE_SYMLINK) linkTarget = (await this.run(id, ['readlink', p])).stdout.trim();
    return { name: path.posix.basename(p) || '/', size: Number(size), mode, mtime: new Date(Number(mtime) * 1000).toISOString(), linkTarget };
  }

  async get(ref: string, p: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> {
    const stat = await this.stat(ref, p);
    const id = this.container(ref);
    const clean = path.posix.normalize(p);
    const dir = path.posix.dirname(clean);
    const base = path.posix.basename(clean) || '.';
    const s = await this.runtime.exec(id, { args: ['tar', '-c', '-f', '-', '-C', dir, base], tty: false, stdin: false });
    const out = new PassThrough();
    signal.addEventListener('abort', () => s.close(), { once: true });
    void drain(s, out).then((r) => {
      if (r.code !== 0) out.destroy(new Error(`tar in the container failed: ${r.stderr.trim()}`));
    }, (err: Error) => out.destroy(err)).finally(() => s.close());
    return { stat, tar: out };
  }

  async put(ref: string, p: string, tar: Readable): Promise<void> {
    const st = await this.stat(ref, p);
    if (!(st.mode & MODE_DIR)) throw invalidArgument(`extraction point is not a directory`);
    const id = this.container(ref);
    const s = await this.runtime.exec(id, { args: ['tar', '-x', '-f', '-', '-C', p], tty: false, stdin: true });
    try {
      const done = drain(s);
      for await (const c of tar) s.write(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
      s.closeStdin();
      const r = await done;
      if (r.code !== 0) throw invalidArgument(`extracting the archive failed: ${r.stderr.trim()}`);
    } finally {
      s.close();
    }
  }
}
