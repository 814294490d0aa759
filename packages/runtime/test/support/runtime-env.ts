// A temporary runtime environment for tests: state root, a short socket dir, overlay upper/work dirs
// over the kit's busybox rootfs, and the leak checks the after-all hooks assert.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixtures } from '@tdock/testkit';
import { Runtime, defaultSpec, type DefaultSpecOptions, type RootfsMount } from '@tdock/runtime';

export interface RuntimeEnv {
  root: string;
  /** The cgroup parent of this suite's containers (`tdock-test-<pid>`). */
  cgroupParent: string;
  stateRoot: string;
  socketDir: string;
  runtime: Runtime;
  busybox: string;
  /** A fresh overlay over busybox (upper/work under root). */
  overlay(name: string): RootfsMount;
  spec(opts: DefaultSpecOptions): ReturnType<typeof defaultSpec>;
  cleanup(): Promise<void>;
}

export async function runtimeEnv(): Promise<RuntimeEnv> {
  const busybox = (await fixtures()).busybox.rootfs;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-rt-'));
  const socketDir = fs.mkdtempSync('/tmp/tdk-s');
  const stateRoot = path.join(root, 'state');
  const cgroupParent = `tdock-test-${process.pid}`;
  const runtime = new Runtime({ stateRoot, socketDir, cgroups: { root: CGROUP_ROOT, parent: cgroupParent } });
  return {
    root, cgroupParent, stateRoot, socketDir, runtime, busybox,
    overlay(name) {
      const upper = path.join(root, 'ovl', name, 'upper');
      const work = path.join(root, 'ovl', name, 'work');
      fs.mkdirSync(upper, { recursive: true });
      fs.mkdirSync(work, { recursive: true });
      return { type: 'overlay', lowers: [busybox], upper, work };
    },
    spec: (opts) => defaultSpec(opts),
    async cleanup() {
      for (const s of await runtime.list().catch(() => [])) await runtime.delete(s.id, { force: true }).catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(socketDir, { recursive: true, force: true });
      for (const dir of cgroupDirs(cgroupParent)) fs.rmdirSync(dir);
    },
  };
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The directories named `name` directly under each cgroup hierarchy. */
export function cgroupDirs(name: string): string[] {
  return fs.readdirSync(CGROUP_ROOT).map((h) => path.join(CGROUP_ROOT, h, name)).filter((d) => fs.existsSync(d));
}

/**
 * Mount points and processes that mention `marker`: must be empty after a suite. A shim's command line
 * is only its title (`tdock-shim`), so processes are also matched by the files they hold open.
 */
export function leftovers(marker: string): { mounts: string[]; processes: string[] } {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(marker));
  const processes: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      let hit = cmd.includes(marker);
      if (!hit && /^tdock-/.test(cmd)) {
        hit = fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return fs.readlinkSync(`/proc/${pid}/fd/${fd}`).includes(marker);
          } catch {
            return false;
          }
        });
      }
      if (hit) processes.push(`${pid} ${cmd}`);
    } catch {
      // exited
    }
  }
  return { mounts, processes };
}

/**
 * {@link leftovers}, asked again for up to a second while processes remain: `delete` returns once
 * a shim agreed to exit, and it may take a few milliseconds more to be gone.
 */
export async function settledLeftovers(marker: string): Promise<{ mounts: string[]; processes: string[] }> {
  let left = leftovers(marker);
  for (let i = 0; i < 50 && left.processes.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    left = leftovers(marker);
  }
  return left;
}
