// The runtime API: OCI lifecycle (create, start, state, kill, delete, run) over a bundle and a rootfs
// Mount, one shim per container. State lives in `<stateRoot>/<id>/`; the shim's socket in `socketDir`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ValidateFunction } from 'ajv';
import { TdockError } from '@tdock/core';
import { entryPath } from '../entry-path.js';
import type { RootfsMount } from '../init/plan.cjs';
import { readJsonIfExists, writeFileAtomic } from '../shim/atomic-file.js';
import { STATE_FILES, type ShimConfig } from '../shim/config.js';
import { JsonLineReader, writeJsonLine } from '../shim/json-lines.js';
import { shimAttach, shimExec, shimRequest, shimShutdown, type Attachment, type ExecSession, type ExecState, type ExitRecord, type ShimState } from '../shim/protocol.js';
import { cgroupFeatures, createCgroupManager, detectCgroups, type CgroupFeatures, type CgroupManager, type CgroupSetup, type CgroupStats, type LinuxResources } from '../cgroups/index.js';
import { compileSeccomp, type LinuxSeccomp } from '../seccomp/index.js';
import { withInit } from '../spec/default-spec.js';
import { specToPlan } from '../spec/plan.js';
import type { OciSpec } from '../spec/types.js';
import { loadSpecValidator, validateSpec } from '../spec/validate.js';
import { execPlan, type ExecOptions } from './exec-plan.js';
import { processStartTime, readConfig, readTail, shimError, socketName, waitGone, withPtyDevices } from './util.js';

export type { ExecOptions } from './exec-plan.js';
export { socketName } from './util.js';

/** The shim's entry: its one-file bundle when that is fresh, else the compiled ESM entry. */
export const SHIM_MAIN = entryPath(new URL('../shim/main.js', import.meta.url), new URL('../bundle/shim.cjs', import.meta.url));

/**
 * Node options for the shims: none. Any V8 flag (even `--max-semi-space-size`) makes Node's built-in
 * modules miss their code cache and compile from source: `child_process`, `net`, `tty` and
 * `string_decoder` cost 18 ms of CPU instead of 7 here. The bundled shim's idle memory is the same
 * without `--lite-mode --max-semi-space-size=1` (PSS 8.8 MB); the shim sets `--optimize-for-size`
 * itself once loaded, which keeps it small after bursts of output (docs/runtime.md).
 */
export const SHIM_NODE_ARGS: readonly string[] = [];

/** Roots and tools of a Runtime; all injected (DESIGN §10.4). */
export interface RuntimeOptions {
  /** One directory per container (runc's --root). */
  stateRoot: string;
  /** Where shim sockets live; keep it short (unix socket paths stop at 107 bytes). */
  socketDir: string;
  /** The node binary that runs shims (default: this process's). */
  nodePath?: string;
  /** Node options for shims (default {@link SHIM_NODE_ARGS}). */
  shimNodeArgs?: string[];
  /**
   * cgroups: the cgroupfs root (e.g. /sys/fs/cgroup) and the parent for containers without
   * `linux.cgroupsPath` (e.g. `tdock`). Absent: containers get no cgroup of their own.
   */
  cgroups?: { root: string; parent: string };
}

/** Options of {@link Runtime.create}. */
export interface CreateOptions {
  /** The OCI bundle directory (holds config.json unless `spec` is given). */
  bundle: string;
  /** The config; read from `<bundle>/config.json` when absent. Validated against the runtime-spec schema. */
  spec?: OciSpec;
  /** The rootfs; when absent, the bundle's `root.path` is bind-mounted. */
  rootfs?: RootfsMount;
  /** Keep stdin open for attach. */
  openStdin?: boolean;
  /** The json-file log (default `<stateDir>/<id>-json.log`). */
  logPath?: string;
  /** Rotate the log by size (Docker's `max-size`, `max-file`). */
  logRotation?: { maxSize?: number; maxFiles?: number };
  consoleSize?: { rows: number; cols: number };
  /** Docker's `--init`: host path of a static init binary (e.g. /usr/bin/docker-init) to run as PID 1. */
  init?: string;
  /** runc's --console-socket: a unix socket that receives the pty master (SCM_RIGHTS); terminal only. */
  consoleSocket?: string;
  /**
   * Called with the init's host pid while it waits in the handshake (DESIGN §4 step 3), inside its new
   * network namespace and before any mount: move veths in and apply the network plan here.
   */
  network?: (pid: number) => Promise<void>;
  /** Host paths of `cgroup.procs` files the container joins just before exec. */
  cgroupProcs?: string[];
}

/** The OCI runtime-spec state of a container. */
export interface OciState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

/** What the runtime records for each container (`state.json`). */
export interface ContainerRecord {
  id: string;
  bundle: string;
  socketPath: string;
  shimPid: number;
  pid: number;
  createdAt: string;
  logPath: string;
  /** The cgroup path relative to the hierarchy roots, when the container has one. */
  cgroupPath?: string;
  /** The init's own work up to `created`, in ms (Node start-up and waits excluded). */
  initWorkMs?: number;
  /** The process's start time (/proc/<pid>/stat field 22), to tell it from a reused pid. */
  pidStart?: number;
  annotations?: Record<string, string>;
}

/** A shim process and its control pipe (fd 3). */
interface ShimProcess {
  child: ChildProcess;
  control: Readable & Writable & { unref(): void; ref(): void };
  reader: JsonLineReader<Record<string, unknown>>;
}

/** Whether the container's process outlived its shim (same pid, same start time). */
function orphanAlive(rec: ContainerRecord): boolean {
  return rec.pid > 0 && rec.pidStart !== undefined && rec.pidStart !== 0 && processStartTime(rec.pid) === rec.pidStart;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Creates, runs and tears down containers. Holds no per-container state in memory: all of it is on disk or in shims. */
export class Runtime {
  private validator?: ValidateFunction;
  private readonly cgroupSetup: CgroupSetup | undefined;
  private features: CgroupFeatures | undefined;
  private readonly pool: ShimProcess[] = [];
  private poolTarget = 0;
  private poolPending = 0;
  private closed = false;
  /** A refill waiting for the next start (or its timeout), see {@link refillSoon}. */
  private refillTimer: NodeJS.Timeout | undefined;
  /** Creates and starts in flight: a refill waits until none is (or for its timeout). */
  private busy = 0;
  /** Compiled seccomp programs by profile JSON (most containers share one profile). */
  private readonly seccompCache = new Map<string, { program: Buffer; flags: number }>();

  constructor(private readonly opts: RuntimeOptions) {
    this.cgroupSetup = opts.cgroups ? detectCgroups(opts.cgroups.root) : undefined;
  }

  private compileSeccomp(config: LinuxSeccomp): { program: Buffer; flags: number } {
    const key = JSON.stringify(config);
    let hit = this.seccompCache.get(key);
    if (!hit) {
      const c = compileSeccomp(config);
      hit = { program: c.program, flags: c.flags };
      if (this.seccompCache.size >= 16) this.seccompCache.delete(this.seccompCache.keys().next().value as string);
      this.seccompCache.set(key, hit);
    }
    return hit;
  }

  /** The cgroup manager of a container, or undefined when it has none. */
  cgroup(id: string): CgroupManager | undefined {
    const rec = this.record(id);
    return rec.cgroupPath !== undefined && this.cgroupSetup ? createCgroupManager(this.cgroupSetup, rec.cgroupPath) : undefined;
  }

  private needCgroup(id: string): CgroupManager {
    const cg = this.cgroup(id);
    if (!cg) throw new TdockError('not-implemented', `container ${id} has no cgroup (the runtime was started without cgroups)`);
    return cg;
  }

  /** Freezes every process of the container. */
  async pause(id: string): Promise<void> {
    this.needCgroup(id).freeze();
  }

  /** Thaws a paused container. */
  async resume(id: string): Promise<void> {
    this.needCgroup(id).thaw();
  }

  /** What the host's cgroups can limit (moby sysinfo), or undefined when the runtime has no cgroups. Probed once. */
  cgroupFeatures(): CgroupFeatures | undefined {
    if (!this.cgroupSetup) return undefined;
    this.features ??= cgroupFeatures(this.cgroupSetup);
    return this.features;
  }

  /** Changes the container's resource limits. */
  async update(id: string, resources: LinuxResources): Promise<void> {
    this.needCgroup(id).update(resources);
  }

  /** Resource usage of the container's cgroup. */
  async stats(id: string): Promise<CgroupStats> {
    return this.needCgroup(id).stats();
  }

  /** Host pids of the container's processes. */
  async ps(id: string): Promise<number[]> {
    return this.needCgroup(id).pids();
  }

  /** The container's state directory. */
  stateDir(id: string): string {
    return path.join(this.opts.stateRoot, id);
  }

  /** Creates the container: the init waits just before exec. Resolves with the OCI state. */
  async create(id: string, opts: CreateOptions): Promise<OciState> {
    if (!ID_RE.test(id)) throw new TdockError('invalid-argument', `invalid container id ${JSON.stringify(id)}`);
    const dir = this.stateDir(id);
    const bundle = path.resolve(opts.bundle);
    this.validator ??= loadSpecValidator();
    const given = validateSpec(opts.spec ?? readConfig(bundle), this.validator);
    const spec = opts.init !== undefined ? withInit(given, opts.init) : given;
    fs.mkdirSync(this.opts.stateRoot, { recursive: true, mode: 0o711 });
    fs.mkdirSync(this.opts.socketDir, { recursive: true, mode: 0o711 });
    try {
      fs.mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TdockError('conflict', `container with id ${id} already exists`);
      throw err;
    }
    this.busy++;
    try {
      return await this.createIn(id, dir, bundle, spec, opts);
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    } finally {
      this.busy--;
    }
  }

  private async createIn(id: string, dir: string, bundle: string, spec: OciSpec, opts: CreateOptions): Promise<OciState> {
    const merged = path.join(dir, STATE_FILES.rootfs);
    fs.mkdirSync(merged);
    const cgroupPath = this.cgroupSetup && this.opts.cgroups
      ? (spec.linux?.cgroupsPath ?? `${this.opts.cgroups.parent}/${id}`).replace(/^\/+/, '')
      : undefined;
    const cg = cgroupPath !== undefined && this.cgroupSetup ? createCgroupManager(this.cgroupSetup, cgroupPath) : undefined;
    try {
      cg?.create(withPtyDevices((spec.linux?.resources ?? {}) as LinuxResources));
      return await this.startShim(id, dir, bundle, spec, opts, merged, cgroupPath, [...(cg?.procsFiles() ?? []), ...(opts.cgroupProcs ?? [])]);
    } catch (err) {
      try {
        cg?.destroy();
      } catch {
        // the container's processes may still be exiting; delete retries
      }
      throw err;
    }
  }

  private async startShim(
    id: string, dir: string, bundle: string, spec: OciSpec, opts: CreateOptions, merged: string, cgroupPath: string | undefined, cgroupProcs: string[],
  ): Promise<OciState> {
    const rootfs: RootfsMount = opts.rootfs ?? { type: 'bind', source: path.resolve(bundle, spec.root?.path ?? 'rootfs') };
    const plan = specToPlan(spec, { rootfs, merged, cgroupProcs, compile: (c) => this.compileSeccomp(c) });
    const pidNs = spec.linux?.namespaces?.find((n) => n.type === 'pid');
    const socketPath = path.join(this.opts.socketDir, socketName(id));
    if (socketPath.length > 107) throw new TdockError('invalid-argument', `socket path ${socketPath} is longer than 107 bytes`);
    if (fs.existsSync(socketPath)) throw new TdockError('conflict', `shim socket ${socketPath} is in use (an id with the same short form exists)`);
    const logPath = opts.logPath ?? path.join(dir, `${id}-json.log`);
    const cfg: ShimConfig = {
      id,
      stateDir: dir,
      socketPath,
      logPath,
      ...(opts.logRotation ? { logRotation: opts.logRotation } : {}),
      plan,
      pidNamespace: pidNs === undefined ? 'host' : pidNs.path !== undefined ? { path: pidNs.path } : 'new',
      terminal: spec.process?.terminal ?? false,
      ...(opts.consoleSize ? { consoleSize: opts.consoleSize } : spec.process?.consoleSize ? { consoleSize: { rows: spec.process.consoleSize.height, cols: spec.process.consoleSize.width } } : {}),
      openStdin: opts.openStdin ?? false,
      ...(opts.consoleSocket !== undefined ? { consoleSocket: path.resolve(opts.consoleSocket) } : {}),
    };
    if (cfg.consoleSocket !== undefined && !cfg.terminal) throw new TdockError('invalid-argument', 'a console socket needs process.terminal');
    fs.writeFileSync(path.join(dir, STATE_FILES.shimConfig), JSON.stringify(cfg));
    const pooled = !cfg.terminal && cfg.pidNamespace === 'new' ? this.pool.shift() : undefined;
    const shim = pooled ?? this.spawnShim(dir);
    if (pooled) {
      // Pooled shims are unref'd while idle; hold the event loop while this create waits on one.
      pooled.control.ref();
      pooled.child.ref();
      writeJsonLine(pooled.control, { stateDir: dir });
    }
    const { child, control, reader } = shim;
    if (child.pid === undefined) throw new TdockError('internal', 'the shim did not start');
    const fail = (what: string): TdockError => new TdockError('internal', `${what}; shim log: ${readTail(path.join(dir, STATE_FILES.shimLog))}`);
    try {
      const ready = await reader.next();
      if (ready === null) throw fail('the shim exited during create');
      if ('error' in ready) throw shimError(ready.error);
      await opts.network?.(Number(ready.pid));
      writeJsonLine(control, { go: true });
      const created = await reader.next();
      if (created === null) throw fail('the shim exited during create');
      if ('error' in created) throw shimError(created.error);
      const record: ContainerRecord = {
        id, bundle, socketPath, shimPid: child.pid, pid: Number(created.pid), createdAt: new Date().toISOString(), logPath,
        ...(cgroupPath !== undefined ? { cgroupPath } : {}),
        ...(typeof created.workMs === 'number' ? { initWorkMs: created.workMs } : {}),
        pidStart: processStartTime(Number(created.pid)) ?? 0,
        ...(spec.annotations ? { annotations: spec.annotations } : {}),
      };
      // Atomic, not fsynced: the record only has to outlive a crash of this process (it lets a
      // restarted engine find the shim), and the two fsyncs cost 5 to 20 ms of every create here,
      // where the exec root is on ext4 rather than tmpfs. The exit record stays durable (shim.ts).
      writeFileAtomic(path.join(dir, STATE_FILES.state), JSON.stringify(record), { durable: false });
      return this.ociState(record, 'created');
    } catch (err) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      throw err;
    } finally {
      control.destroy();
      child.unref();
      if (pooled) this.refillSoon();
    }
  }

  private spawnShim(dir: string | undefined): ShimProcess {
    const shimLog = dir === undefined ? 'ignore' : fs.openSync(path.join(dir, STATE_FILES.shimLog), 'a', 0o600);
    const child = spawn(this.opts.nodePath ?? process.execPath, [...(this.opts.shimNodeArgs ?? SHIM_NODE_ARGS), SHIM_MAIN, dir ?? '--pool'], {
      detached: true,
      stdio: ['ignore', 'ignore', shimLog, 'pipe'],
      env: {},
      cwd: '/',
    });
    if (typeof shimLog === 'number') fs.closeSync(shimLog);
    const control = child.stdio[3] as (Readable & Writable & { unref(): void; ref(): void }) | null;
    if (!control) throw new TdockError('internal', 'the shim did not start');
    return { child, control, reader: new JsonLineReader<Record<string, unknown>>(control) };
  }

  /**
   * Keeps `count` shim+init pairs started and waiting for a configuration (DESIGN §1), to take two
   * Node start-ups off the create path of containers without a terminal and with a new PID
   * namespace. They die with this process (or on {@link close}) until they are used.
   */
  async prestart(count: number): Promise<void> {
    this.poolTarget = count;
    const pending: Promise<void>[] = [];
    for (let i = this.pool.length + this.poolPending; i < count; i++) pending.push(this.addPooled());
    await Promise.all(pending);
  }

  private async addPooled(): Promise<void> {
    this.poolPending++;
    const p = this.spawnShim(undefined);
    try {
      const first = await p.reader.next();
      if (first?.pooled !== true) throw new TdockError('internal', 'a pooled shim did not start');
      p.child.unref();
      p.control.unref();
      if (this.closed) p.child.kill('SIGKILL');
      else this.pool.push(p);
    } catch (err) {
      p.child.kill('SIGKILL');
      throw err;
    } finally {
      this.poolPending--;
    }
  }

  /**
   * Refills the pool off the start path: once the last create or start in flight returns, or after
   * 250 ms. Spawning a shim forks this process synchronously (5 to 40 ms here), and the new pair's two
   * Node start-ups compete for the CPU with the containers being started; refilling right after the
   * create handshake put both on the create+start path, and refilling after the first of two
   * concurrent starts (`compose up`) slowed the second one about threefold.
   */
  private refillSoon(): void {
    if (this.refillTimer !== undefined) return;
    this.refillTimer = setTimeout(() => this.refillNow(), 250);
    this.refillTimer.unref();
  }

  private refillNow(): void {
    if (this.refillTimer === undefined) return;
    clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    this.refillPool();
  }

  /** Starts as many pairs as the pool lacks (it lost one per pooled create since the last refill). */
  private refillPool(): void {
    if (this.closed) return;
    for (let i = this.pool.length + this.poolPending; i < this.poolTarget; i++) void this.addPooled().catch(() => undefined);
  }

  /** The warm pool: pairs ready for a create, and pairs still starting. */
  poolStatus(): { ready: number; starting: number } {
    return { ready: this.pool.length, starting: this.poolPending };
  }

  /** Stops the pooled shims. Containers are not affected. */
  close(): void {
    this.closed = true;
    this.poolTarget = 0;
    if (this.refillTimer !== undefined) clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    for (const p of this.pool.splice(0)) {
      p.control.destroy();
      p.child.kill('SIGKILL');
    }
  }

  private record(id: string): ContainerRecord {
    const rec = readJsonIfExists<ContainerRecord>(path.join(this.stateDir(id), STATE_FILES.state));
    if (!rec) throw new TdockError('not-found', `container ${id} does not exist`);
    return rec;
  }

  private ociState(rec: ContainerRecord, status: OciState['status']): OciState {
    return {
      ociVersion: '1.0.2',
      id: rec.id,
      status,
      pid: status === 'stopped' ? 0 : rec.pid,
      bundle: rec.bundle,
      ...(rec.annotations ? { annotations: rec.annotations } : {}),
    };
  }

  /** The shim's view, or undefined when the shim is gone. */
  private async shimState(rec: ContainerRecord): Promise<ShimState | undefined> {
    try {
      return (await shimRequest(rec.socketPath, { op: 'state' })).state;
    } catch (err) {
      if ((err as TdockError).kind === 'unavailable') return undefined;
      throw err;
    }
  }

  /** The OCI state. A container whose shim is gone is `stopped`. */
  async state(id: string): Promise<OciState> {
    const rec = this.record(id);
    const s = await this.shimState(rec);
    if (s) return this.ociState(rec, s.status);
    return this.ociState(rec, orphanAlive(rec) ? 'running' : 'stopped');
  }

  /** Starts a created container (execs the user's program). Exec failures throw and record exit 127/126. */
  async start(id: string): Promise<OciState> {
    const rec = this.record(id);
    this.busy++;
    try {
      await shimRequest(rec.socketPath, { op: 'start' });
    } finally {
      this.busy--;
      if (this.refillTimer !== undefined && this.busy === 0) setImmediate(() => this.refillNow());
    }
    return this.ociState(rec, 'running');
  }

  /** Sends a signal (name or number) to the container's process. */
  async kill(id: string, signal: string | number = 'SIGTERM'): Promise<void> {
    const rec = this.record(id);
    const sig = typeof signal === 'string' && /^\d+$/.test(signal) ? Number(signal) : typeof signal === 'string' && !signal.startsWith('SIG') ? `SIG${signal}` : signal;
    try {
      await shimRequest(rec.socketPath, { op: 'kill', signal: sig });
    } catch (err) {
      // A crashed shim: signal the process directly while it is provably the same one.
      if ((err as TdockError).kind !== 'unavailable' || !orphanAlive(rec)) throw err;
      process.kill(rec.pid, sig);
    }
  }

  /** Waits for the container's process to end; works after the caller restarted (live-restore). */
  async wait(id: string): Promise<ExitRecord> {
    const rec = this.record(id);
    let exit: ExitRecord | undefined;
    try {
      exit = (await shimRequest(rec.socketPath, { op: 'wait' }, { unref: true })).exit;
    } catch (err) {
      if ((err as TdockError).kind !== 'unavailable') throw err;
    }
    exit ??= this.exitRecord(id);
    if (!exit) {
      // The shim crashed: nobody can reap the process for its status; wait until it is gone.
      while (orphanAlive(rec)) await new Promise((r) => setTimeout(r, 50));
      exit = { exitCode: 255, exitedAt: new Date().toISOString(), error: { step: 'shim', message: 'the shim died; the exit status is unknown' } };
    }
    return this.withOom(id, exit);
  }

  private withOom(id: string, exit: ExitRecord): ExitRecord {
    try {
      const cg = this.cgroup(id);
      if (cg?.exists() && cg.oomKillCount() > 0) return { ...exit, oomKilled: true };
    } catch {
      // no memory controller: no OOM information
    }
    return exit;
  }

  /** The durably recorded exit, if the process has ended. */
  exitRecord(id: string): ExitRecord | undefined {
    return readJsonIfExists<ExitRecord>(path.join(this.stateDir(id), STATE_FILES.exit));
  }

  /** Attaches to stdio (output frames, stdin when asked). */
  async attach(id: string, opts: { stdin?: boolean } = {}): Promise<Attachment> {
    return shimAttach(this.record(id).socketPath, opts);
  }

  /** Runs a process in a running container: same namespaces, cgroup, user and restrictions unless overridden. */
  async exec(id: string, opts: ExecOptions): Promise<ExecSession> {
    const rec = this.record(id);
    const cfg = readJsonIfExists<ShimConfig>(path.join(this.stateDir(id), STATE_FILES.shimConfig));
    if (!cfg) throw new TdockError('not-found', `container ${id} has no configuration`);
    const plan = execPlan(cfg.plan, opts);
    return shimExec(rec.socketPath, {
      op: 'exec', plan, stdin: opts.stdin ?? false,
      ...(opts.consoleSize ? { consoleSize: opts.consoleSize } : {}),
      ...(opts.execId !== undefined ? { execId: opts.execId } : {}),
    });
  }

  /** An exec's pid, whether it runs, and its exit (for detached execs and `exec inspect`). */
  async execState(id: string, execId: string): Promise<ExecState> {
    const { exec } = await shimRequest(this.record(id).socketPath, { op: 'exec-state', execId });
    if (!exec) throw new TdockError('not-found', `no such exec: ${execId}`);
    return exec;
  }

  /** Resizes the container's terminal. */
  async resize(id: string, rows: number, cols: number): Promise<void> {
    await shimRequest(this.record(id).socketPath, { op: 'resize', rows, cols });
  }

  /**
   * Removes a stopped (or, with force, any) container: its shim, socket and state. The shim exits
   * just after; with `waitShim` this resolves only once it has (the runc-style CLI waits).
   */
  async delete(id: string, opts: { force?: boolean; waitShim?: boolean } = {}): Promise<void> {
    const rec = this.record(id);
    const s = await this.shimState(rec);
    if (s && s.status !== 'stopped') {
      if (!opts.force && s.status === 'running') throw new TdockError('conflict', `cannot delete container ${id} that is not stopped: ${s.status}`);
      await shimRequest(rec.socketPath, { op: 'kill', signal: 'SIGKILL' }).catch(() => undefined);
      await this.wait(id);
    }
    // The shim is not in the container's cgroup: remove that while the shim shuts down (it never
    // rejects). A shim that agreed has removed its socket and exits right after its reply; waiting for
    // its exit too (a Node process tearing down) cost delete 8 to 20 ms here, so only `waitShim` does.
    const shimGone = s
      ? shimShutdown(rec.socketPath, { waitExit: opts.waitShim === true }).then((agreed) => (agreed && !opts.waitShim ? undefined : waitGone(rec.shimPid, 2000)))
      : undefined;
    if (!s && orphanAlive(rec)) {
      if (!opts.force) throw new TdockError('conflict', `cannot delete container ${id} that is not stopped: running (its shim is gone)`);
      process.kill(rec.pid, 'SIGKILL');
      await waitGone(rec.pid, 2000);
    }
    await this.destroyCgroup(id);
    await (shimGone ?? waitGone(rec.shimPid, 2000));
    fs.rmSync(rec.socketPath, { force: true });
    fs.rmSync(this.stateDir(id), { recursive: true, force: true });
  }

  private async destroyCgroup(id: string): Promise<void> {
    const cg = this.cgroup(id);
    if (!cg) return;
    for (let attempt = 0; ; attempt++) {
      try {
        if (cg.pids().length > 0) cg.killAll('SIGKILL');
        cg.destroy();
        return;
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** create + start. */
  async run(id: string, opts: CreateOptions): Promise<OciState> {
    await this.create(id, opts);
    try {
      return await this.start(id);
    } catch (err) {
      if (this.exitRecord(id) === undefined) await this.wait(id).catch(() => undefined);
      throw err;
    }
  }

  /** Every container under the state root. */
  async list(): Promise<OciState[]> {
    let ids: string[];
    try {
      ids = fs.readdirSync(this.opts.stateRoot);
    } catch {
      return [];
    }
    const out: OciState[] = [];
    for (const id of ids) {
      try {
        out.push(await this.state(id));
      } catch (err) {
        if ((err as TdockError).kind !== 'not-found') throw err;
      }
    }
    return out;
  }
}

