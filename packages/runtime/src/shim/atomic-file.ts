// Durable metadata writes (DESIGN §3): temporary file, fsync, rename, fsync the directory.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes `data` to `file` atomically and, unless `durable` is false, durably. Synchronous: used for
 * small records only. Without the two fsyncs the write still survives the writer's `kill -9` (the
 * page cache keeps it); only a power loss can lose it, which the runtime's own records in the exec
 * root (tmpfs in a normal installation) do not outlive anyway.
 */
export function writeFileAtomic(file: string, data: string, opts: { durable?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (!durable) return;
  const dfd = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

/** Reads a JSON file, or undefined when it does not exist. */
export function readJsonIfExists<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
