// The container service (DESIGN §7): Docker's container lifecycle over the records, the image store
// and the runtime (one shim per running container). Exits are observed through the runtime's wait,
// which also works after a restart of tdockd (live-restore, see `restore`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { conflict, invalidArgument, TdockError } from '@tdock/core';

const notModified = (message: string): TdockError => new TdockError('not-modified', message);
import type { Attachment, ExitRecord, Runtime } from '@tdock/runtime';
import { sysMountOps } from '../store/sys-ops.js';
import { imageSize } from '../store/image-views.js';
import type { EventInput } from '../api/events-hub.js';
import type { Filters } from '../api/query.js';
import type { AttachOptions, ContainerService, LogsOptions, PathStat, StreamSession } from '../api/services.js';
import type { ContainerConfig, ContainerCreateBody, CreateResponse, JsonObject, Resources, RestartPolicy, WaitResponse } from '../api/types.js';
import { matchKVList } from '../api/filters.js';
import type { KeptBuildContainer } from '../build/index.js';
import { adoptBuildContainer, buildSpec, createContainer, type CreateDeps } from './container-create.js';
import { CONTAINER_LIST_FILTERS, inspectView, listFilter, summaryView } from './container-views.js';
import { nowNano, ZERO_TIME, type ContainerRecord } from './records.js';
import { attachSession, parseDetachKeys, readLogs } from './streams.js';
import { networkStatsOf, statsJson, topOf } from './stats.js';
import { HealthMonitor } from './health.js';
import { ContainerArchive } from './archive.js';
import { commitContainer, upperChanges } from './commit-diff.js';
import { usesNetworking } from './networking.js';
import { nextBackoff, shouldRestart, validateRestartPolicy } from './restart-policy.js';
import { liveResources, mergeResources, verifyResources } from './resources-update.js';

export { CONTAINER_LIST_FILTERS };

/** What the container service is built from. */
export interface ContainerServiceDeps extends CreateDeps {
  runtime: Runtime;
  publish: (e: EventInput) => void;
  log: { warn: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void };
  /** Familiar name of an image ID for `ps` when the record's reference no longer resolves. */
  imageName: (imageId: string, ref: string) => string;
}

type ExitWaiter = (r: WaitResponse) => void;
/** Called between runtime create and start: attach sessions connect here, so no output is lost. */
type StartHook = () => Promise<void>;

/** The gap between the two samples of a single non-streamed stats answer (dockerd's collector ticks every 1 s). */
const STATS_PRESAMPLE_MS = 500;
/** A delay that does not keep tdockd alive at shutdown. */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
/** The `signal` attribute of a `kill` event: the number, as dockerd logs it (`strconv.Itoa(int(sig))`). */
const signalNumber = (sig: string): string => (/^\d+$/.test(sig) ? sig : String((os.constants.signals as Record<string, number>)[sig] ?? sig));
const signalName = (s: string): string => (/^\d+$/.test(s) ? s : s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`);

export class Containers implements ContainerService {
  private readonly exitWaiters = new Map<string, Set<ExitWaiter>>();
  private readonly removeWaiters = new Map<string, Set<ExitWaiter>>();
  private readonly startHooks = new Map<string, Set<StartHook>>();
  private readonly cleanups = new Map<string, Promise<void>>();
  private readonly busy = new Set<string>();
  /** Pending policy restarts and the restart manager's current backoff, by container (in memory, as dockerd). */
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly backoffs = new Map<string, number>();
  private closed = false;
  private readonly health: HealthMonitor;
  private readonly archive: ContainerArchive;

  constructor(private readonly d: ContainerServiceDeps) {
    this.archive = new ContainerArchive(d.runtime, (ref) => {
      const r = d.store.get(ref);
      if (r.State.Running && !r.State.Restarting) return { id: r.Id, running: true };
      if (this.busy.has(r.Id)) throw conflict(`container ${r.Id} is starting`);
      return { id: r.Id, running: false, rootfs: r.Rootfs, scratch: d.store.dir(r.Id) };
    }, sysMountOps());
    this.health = new HealthMonitor({ runtime: d.runtime, save: (r) => d.store.save(r), event: (r, a, attrs) => this.event(r, a, attrs), current: (id) => d.store.tryGet(id) });
  }

  private get store(): CreateDeps['store'] {
    return this.d.store;
  }

  private event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.d.publish({ Type: 'container', Action: action, Actor: { ID: rec.Id, Attributes: { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? '', name: rec.Name.slice(1), ...extra } } });
  }

  /** Live-restore: reconnect to every shim; containers that exited meanwhile get their exit recorded. */
  async restore(): Promise<void> {
    for (const rec of this.store.all()) {
      if (rec.State.Restarting) {
        // tdockd stopped during a restart backoff: the container is stopped; the daemon-start rule below applies.
        Object.assign(rec.State, { Status: 'exited', Running: false, Restarting: false, Pid: 0 });
        await this.store.save(rec);
      }
      if (!rec.State.Running) {
        const stale = fs.existsSync(this.d.runtime.stateDir(rec.Id)) && this.d.runtime.exitRecord(rec.Id) !== undefined;
        if (stale) await this.cleanupRuntime(rec.Id);
        this.startWithDaemon(rec);
        continue;
      }
      let status: string;
      try {
        status = (await this.d.runtime.state(rec.Id)).status;
      } catch {
        status = 'gone';
      }
      if (status === 'running') {
        this.d.log.info({ id: rec.Id }, 'live-restore: container still running');
        this.monitor(rec);
        this.health.start(rec);
        continue;
      }
      // Exited while tdockd was down: dockerd records the exit without a `die` event, then starts the
      // container if its policy says so (daemon.restore, then the daemon-start rule).
      const exit = (status === 'gone' ? undefined : this.d.runtime.exitRecord(rec.Id)) ?? { exitCode: 255, exitedAt: new Date().toISOString(), error: { step: 'restore', message: 'the container was lost while tdockd was down' } };
      this.health.stop(rec.Id);
      if (this.netOf(rec)) await this.d.networking?.detach(rec.Id).catch((err: unknown) => this.d.log.warn({ err, id: rec.Id }, 'network detach failed'));
      Object.assign(rec.State, { Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: exit.exitCode, OOMKilled: exit.oomKilled ?? false, FinishedAt: nowNano(Date.parse(exit.exitedAt) || Date.now()), Error: exit.error && exit.error.step !== 'exec' ? exit.error.message : '' });
      await this.store.save(rec);
      this.resolveWaiters(this.exitWaiters, rec.Id, { StatusCode: exit.exitCode });
      await this.cleanupRuntime(rec.Id);
      if (rec.HostConfig.AutoRemove) {
        await this.remove(rec.Id, { force: true, volumes: true, link: false }).catch((err: unknown) => this.d.log.warn({ err, id: rec.Id }, 'auto-remove failed'));
        continue;
      }
      this.startWithDaemon(rec);
    }
  }

  /**
   * dockerd's daemon-start rule (Container.ShouldRestart with the stored exit): a stopped container
   * that ran before is started when its policy says so: `always` even after `docker stop`,
   * `unless-stopped` unless stopped by hand, `on-failure` after a failure within the retry count.
   * The start resets RestartCount, as `docker start` does.
   */
  private startWithDaemon(rec: ContainerRecord): void {
    if (rec.State.StartedAt === ZERO_TIME) return;
    if (!shouldRestart(rec.HostConfig.RestartPolicy, { exitCode: rec.State.ExitCode, manuallyStopped: rec.HasBeenManuallyStopped, restartCount: rec.RestartCount })) return;
    this.start(rec.Id).catch((err: unknown) => this.d.log.warn({ err, id: rec.Id }, 'starting a container with a restart policy failed'));
  }

  /** Stops the restart timers (daemon shutdown); containers keep running. */
  close(): void {
    this.closed = true;
    this.health.close();
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
  }

  /** Cancels a pending policy restart (stop, kill, remove, a manual start); true when one was pending. */
  private cancelRestart(id: string): boolean {
    const t = this.restartTimers.get(id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(id);
    return t !== undefined;
  }

  private monitor(rec: ContainerRecord): void {
    this.d.runtime.wait(rec.Id).then(
      (exit) => this.onExit(this.store.tryGet(rec.Id) ?? rec, exit),
      (err: unknown) => this.onExit(this.store.tryGet(rec.Id) ?? rec, { exitCode: 255, exitedAt: new Date().toISOString(), error: { step: 'wait', message: (err as Error).message } }),
    ).catch((err: unknown) => this.d.log.warn({ err, id: rec.Id }, 'handling a container exit failed'));
  }

  private async onExit(rec: ContainerRecord, exit: ExitRecord): Promise<void> {
    if (this.closed) return;
    this.health.stop(rec.Id);
    if (this.netOf(rec)) await this.d.networking?.detach(rec.Id).catch((err: unknown) => this.d.log.warn({ err, id: rec.Id }, 'network detach failed'));
    const s = rec.State;
    const ranMs = Date.now() - Date.parse(s.StartedAt);
    // moby handleContainerExit: the restart manager decides first; a restarting container stays
    // Running (Restarting, Pid 0) with RestartCount already counted, then `die` is published.
    // A stop or kill cancels dockerd's restart manager (ExitOnNext): no restart after it, whatever the policy.
    const restart = !rec.HostConfig.AutoRemove && !rec.HasBeenManuallyStopped && shouldRestart(rec.HostConfig.RestartPolicy, { exitCode: exit.exitCode, manuallyStopped: rec.HasBeenManuallyStopped, restartCount: rec.RestartCount });
    const backoff = nextBackoff(this.backoffs.get(rec.Id) ?? 0, ranMs);
    this.backoffs.set(rec.Id, backoff);
    Object.assign(s, { Status: restart ? 'restarting' : 'exited', Running: restart, Paused: false, Restarting: restart, Pid: 0, ExitCode: exit.exitCode, OOMKilled: exit.oomKilled ?? false, FinishedAt: nowNano(Date.parse(exit.exitedAt) || Date.now()), Error: exit.error && exit.error.step !== 'exec' ? exit.error.message : '' });
    if (restart) rec.RestartCount++;
    // Published as the state changes, before the save: a wait that sees the exited state (from
    // memory) must find `die` in the event log already.
    if (exit.oomKilled) this.event(rec, 'oom');
    this.event(rec, 'die', { exitCode: String(exit.exitCode), execDuration: String(Math.max(0, Math.floor(ranMs / 1000))) });
    await this.store.save(rec);
    this.resolveWaiters(this.exitWaiters, rec.Id, { StatusCode: exit.exitCode });
    // Not when a start came first (restart, a restart policy): deleting would kill the new run.
    setTimeout(() => {
      const cur = this.store.tryGet(rec.Id);
      if (cur && !cur.State.Running && !this.busy.has(rec.Id)) void this.cleanupRuntime(rec.Id);
    }, 200).unref();
    if (rec.HostConfig.AutoRemove) {
      await this.remove(rec.Id, { force: true, volumes: true, link: false }).catch((err: unknown) => this.d.log.warn({ err, id: rec.Id }, 'auto-remove failed'));
      return;
    }
    if (restart) this.scheduleRestart(rec.Id, backoff);
  }

  private scheduleRestart(id: string, backoff: number): void {
    this.cancelRestart(id);
    const t = setTimeout(() => {
      this.restartTimers.delete(id);
      const cur = this.store.tryGet(id);
      if (!cur || this.closed || !cur.State.Restarting) return;
      this.startRun(cur.Id, false).catch(async (err: unknown) => {
        // moby: a failed restart leaves the container stopped.
        this.d.log.warn({ err, id }, 'restart failed');
        const now = this.store.tryGet(id);
        if (now && now.State.Restarting) {
          Object.assign(now.State, { Status: 'exited', Running: false, Restarting: false });
          await this.store.save(now).catch(() => undefined);
        }
      });
    }, backoff);
    t.unref();
    this.restartTimers.set(id, t);
  }

  private resolveWaiters(map: Map<string, Set<ExitWaiter>>, id: string, r: WaitResponse): void {
    const set = map.get(id);
    map.delete(id);
    for (const w of set ?? []) w(r);
  }

  /** Deletes the runtime's container (shim, cgroup, state) once it has exited; idempotent. */
  private cleanupRuntime(id: string): Promise<void> {
    let p = this.cleanups.get(id);
    if (!p) {
      p = (async () => {
        if (!fs.existsSync(this.d.runtime.stateDir(id))) return;
        await this.d.runtime.delete(id, { force: true }).catch((err: unknown) => this.d.log.warn({ err, id }, 'runtime delete failed'));
      })().finally(() => this.cleanups.delete(id));
      this.cleanups.set(id, p);
    }
    return p;
  }

  async create(req: { name?: string; platform?: string; body: ContainerCreateBody; apiVersion: string }): Promise<CreateResponse> {
    const rec = await createContainer(req, this.d);
    this.event(rec, 'create');
    return { Id: rec.Id, Warnings: [] };
  }

  /** A RUN container the legacy builder keeps (`--rm=false`): an exited container from now on. */
  async adoptBuildContainer(k: KeptBuildContainer): Promise<void> {
    await adoptBuildContainer(k, { store: this.store });
  }

  async list(opts: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<JsonObject[]> {
    const pred = listFilter(opts.filters, {
      lookup: (ref) => this.store.get(ref),
      ancestors: (ref) => {
        const img = this.d.images.tryResolve(ref);
        return new Set(img ? [img.id] : []);
      },
    });
    const now = Date.now();
    let recs = this.store.all().filter(pred);
    if (!opts.all && !opts.filters.has('status') && !opts.filters.has('exited')) recs = recs.filter((r) => r.State.Running);
    recs.sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (b.Created < a.Created ? -1 : 1));
    if (opts.limit > 0) recs = recs.slice(0, opts.limit);
    return Promise.all(recs.map(async (r) => {
      const v = summaryView(r, now, this.d.imageName(r.Image, r.Config.Image ?? ''));
      if (this.netOf(r) && this.d.networking) v.NetworkSettings = { Networks: this.d.networking.containerNetworks(r.Id) };
      if (opts.size) Object.assign(v, await this.sizes(r));
      return v;
    }));
  }

  /** `SizeRw` (the upper layer) and `SizeRootFs` (plus the image), as `ps --size` and inspect show. */
  private async sizes(r: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
    const rw = r.Rootfs.upper ? duBytes(r.Rootfs.upper) : 0;
    const img = this.d.images.tryResolve(r.Image);
    return { SizeRw: rw, SizeRootFs: rw + (img ? await imageSize(this.d.images, img) : 0) };
  }

  async inspect(id: string, opts: { size: boolean } = { size: false }): Promise<JsonObject> {
    const rec = this.store.get(id);
    const v = inspectView(rec);
    if (opts.size) Object.assign(v, await this.sizes(rec));
    if (this.netOf(rec) && this.d.networking) v.NetworkSettings = { ...(v.NetworkSettings as JsonObject), ...this.d.networking.settings(rec.Id), Networks: this.d.networking.containerNetworks(rec.Id) };
    return v;
  }

  /**
   * During the runtime's handshake: plugs the container's endpoints into the init's namespace, then
   * rewrites its /etc/hosts and resolv.conf with the addresses just assigned (its own address and
   * aliases, the network's DNS server) before the init bind-mounts them.
   */
  private async plugNetwork(rec: ContainerRecord, pid: number): Promise<void> {
    const net = this.d.networking!;
    const hc = rec.HostConfig as typeof rec.HostConfig & { NetworkRate?: string };
    await net.attach(rec.Id, pid, {
      ports: { ExposedPorts: rec.Config.ExposedPorts ?? {}, PortBindings: hc.PortBindings ?? {}, PublishAllPorts: hc.PublishAllPorts ?? false },
      ...(hc.NetworkRate ? { networkRate: hc.NetworkRate } : {}),
    });
    const files = net.containerFiles(rec.Id, {
      hostname: rec.Config.Hostname || rec.Id.slice(0, 12), ...(rec.Config.Domainname ? { domainname: rec.Config.Domainname } : {}),
      ...(hc.ExtraHosts ? { extraHosts: hc.ExtraHosts } : {}), ...(hc.Dns ? { dns: hc.Dns } : {}), ...(hc.DnsSearch ? { dnsSearch: hc.DnsSearch } : {}), ...(hc.DnsOptions ? { dnsOptions: hc.DnsOptions } : {}),
    });
    await fs.promises.writeFile(rec.HostsPath, files.hosts);
    await fs.promises.writeFile(rec.ResolvConfPath, files.resolvConf);
  }

  /** Whether the networking service handles this container's network. */
  private netOf(rec: ContainerRecord): boolean {
    return this.d.networking !== undefined && usesNetworking(rec.HostConfig.NetworkMode);
  }

  async start(id: string): Promise<void> {
    const rec = this.store.get(id);
    if (rec.State.Paused) throw conflict('cannot start a paused container, try unpause instead');
    if (rec.State.Running) throw notModified('container already started');
    return this.startRun(rec.Id, true);
  }

  /**
   * Starts a run of the container. `reset` (an API start, a restart, the daemon-start rule) clears the
   * restart manager as dockerd's containerStart(resetRestartManager): RestartCount 0, backoff gone,
   * HasBeenManuallyStopped false; a policy restart keeps them.
   */
  private async startRun(id: string, reset: boolean): Promise<void> {
    const rec = this.store.get(id);
    if (this.busy.has(rec.Id)) throw conflict(`container ${rec.Id} is busy`);
    this.busy.add(rec.Id);
    try {
      if (reset) {
        this.cancelRestart(rec.Id);
        this.backoffs.delete(rec.Id);
        rec.RestartCount = 0;
        rec.HasBeenManuallyStopped = false;
      }
      await this.cleanupRuntime(rec.Id);
      const volumePaths: Record<string, string> = {};
      for (const m of rec.Mounts) {
        if (m.Type !== 'volume' || !m.Name) continue;
        const rel = m.Destination.replace(/^\/+/, '');
        const copyFrom = [...rec.Rootfs.lowers].reverse().map((l) => path.join(l, rel)).filter((p) => fs.existsSync(p) && fs.statSync(p).isDirectory());
        volumePaths[m.Name] = await this.d.volumes.prepare(m.Name, copyFrom);
      }
      const spec = buildSpec(rec, this.d, false, volumePaths);
      const lc = rec.HostConfig.LogConfig?.Config ?? {};
      const maxSize = lc['max-size'] ? parseSize(lc['max-size']) : 0;
      const cs = rec.HostConfig.ConsoleSize;
      await this.d.runtime.create(rec.Id, {
        bundle: this.store.dir(rec.Id), spec: spec as never, rootfs: rec.Rootfs, openStdin: rec.Config.OpenStdin ?? false,
        logPath: rec.HostConfig.LogConfig?.Type === 'none' ? '/dev/null' : rec.LogPath,
        ...(maxSize ? { logRotation: { maxSize, maxFiles: Number(lc['max-file'] ?? 1) || 1 } } : {}),
        ...(rec.Config.Tty && cs && cs[0] && cs[1] ? { consoleSize: { rows: cs[0], cols: cs[1] } } : {}),
        ...(this.netOf(rec) ? { network: (pid: number) => this.plugNetwork(rec, pid) } : {}),
      });
      const hooks = [...(this.startHooks.get(rec.Id) ?? [])];
      this.startHooks.delete(rec.Id);
      await Promise.all(hooks.map((h) => h().catch(() => undefined)));
      try {
        const st = await this.d.runtime.start(rec.Id);
        Object.assign(rec.State, { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: st.pid, ExitCode: 0, Error: '', StartedAt: nowNano(), FinishedAt: rec.State.FinishedAt });
        if (rec.State.Health) rec.State.Health = { Status: 'starting', FailingStreak: 0, Log: rec.State.Health.Log };
        this.health.start(rec);
        await this.store.save(rec);
        this.event(rec, 'start');
        this.monitor(rec);
      } catch (err) {
        const exit = this.d.runtime.exitRecord(rec.Id) ?? { exitCode: 128, exitedAt: new Date().toISOString() };
        Object.assign(rec.State, { Status: 'exited', Running: false, Restarting: false, Pid: 0, ExitCode: exit.exitCode, Error: (err as Error).message, FinishedAt: nowNano() });
        await this.store.save(rec);
        this.resolveWaiters(this.exitWaiters, rec.Id, { StatusCode: exit.exitCode, Error: { Message: (err as Error).message } });
        await this.cleanupRuntime(rec.Id);
        if (this.netOf(rec)) await this.d.networking?.detach(rec.Id).catch(() => undefined);
        if (rec.HostConfig.AutoRemove) await this.remove(rec.Id, { force: true, volumes: true, link: false }).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      if (err instanceof TdockError && err.kind !== 'internal') throw err;
      throw new TdockError('internal', `failed to create task for container: ${(err as Error).message}`, { cause: err });
    } finally {
      this.busy.delete(rec.Id);
    }
  }

  /** Resolves with the exit of the current run (immediately when not running). */
  private nextExit(id: string): Promise<WaitResponse> {
    return new Promise((resolve) => {
      let set = this.exitWaiters.get(id);
      if (!set) this.exitWaiters.set(id, (set = new Set()));
      set.add(resolve);
    });
  }

  async stop(id: string, opts: { signal?: string; timeout?: number }): Promise<void> {
    const rec = this.store.get(id);
    if (!rec.State.Running) throw notModified('container already stopped');
    rec.HasBeenManuallyStopped = true;
    if (rec.State.Restarting) {
      // moby: the restart manager is cancelled, nothing is signalled, the container ends stopped.
      this.cancelRestart(rec.Id);
      Object.assign(rec.State, { Status: 'exited', Running: false, Restarting: false, Pid: 0 });
      await this.store.save(rec);
      this.event(rec, 'stop');
      return;
    }
    await this.store.save(rec);
    const exited = this.nextExit(rec.Id);
    const sig = signalName(opts.signal || rec.Config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? rec.Config.StopTimeout ?? 10;
    if (rec.State.Paused) await this.d.runtime.resume(rec.Id).catch(() => undefined);
    this.event(rec, 'kill', { signal: signalNumber(sig) });
    await this.d.runtime.kill(rec.Id, sig).catch(() => undefined);
    let done = false;
    if (timeout !== 0) {
      const limit = timeout < 0 ? undefined : sleep(timeout * 1000).then(() => false);
      done = await (limit ? Promise.race([exited.then(() => true), limit]) : exited.then(() => true));
    }
    if (!done) {
      this.event(rec, 'kill', { signal: '9' });
      await this.d.runtime.kill(rec.Id, 'SIGKILL').catch(() => undefined);
      await exited;
    }
    this.event(rec, 'stop');
  }

  async restart(id: string, opts: { signal?: string; timeout?: number }): Promise<void> {
    const rec = this.store.get(id);
    if (rec.State.Running) await this.stop(id, opts).catch((err: unknown) => {
      if ((err as TdockError).kind !== 'not-modified') throw err;
    });
    await this.start(rec.Id);
    this.event(rec, 'restart');
  }

  async kill(id: string, signal: string): Promise<void> {
    const rec = this.store.get(id);
    if (!rec.State.Running) throw conflict(`container ${rec.Id} is not running`);
    const sig = signalName(signal || 'KILL');
    if (rec.State.Restarting) {
      // moby killWithSignal: marked manually stopped; a restarting container gets no signal, its restart is cancelled.
      rec.HasBeenManuallyStopped = true;
      this.cancelRestart(rec.Id);
      Object.assign(rec.State, { Status: 'exited', Running: false, Restarting: false, Pid: 0 });
      await this.store.save(rec);
      return;
    }
    rec.HasBeenManuallyStopped = true;
    await this.store.save(rec);
    await this.d.runtime.kill(rec.Id, sig);
    this.event(rec, 'kill', { signal: signalNumber(sig) });
  }

  async pause(id: string): Promise<void> {
    const rec = this.store.get(id);
    if (!rec.State.Running) throw conflict(`container ${rec.Id} is not running`);
    if (rec.State.Restarting) throw conflict(`Container ${rec.Id} is restarting, wait until the container is running`);
    if (rec.State.Paused) throw conflict(`container ${rec.Id} is already paused`);
    await this.d.runtime.pause(rec.Id);
    Object.assign(rec.State, { Paused: true, Status: 'paused' });
    await this.store.save(rec);
    this.event(rec, 'pause');
  }

  async unpause(id: string): Promise<void> {
    const rec = this.store.get(id);
    if (!rec.State.Paused) throw conflict(`container ${rec.Id} is not paused`);
    await this.d.runtime.resume(rec.Id);
    Object.assign(rec.State, { Paused: false, Status: 'running' });
    await this.store.save(rec);
    this.event(rec, 'unpause');
  }

  async wait(id: string, condition: 'not-running' | 'next-exit' | 'removed', signal: AbortSignal): Promise<{ result: Promise<WaitResponse> }> {
    const rec = this.store.get(id);
    if (condition === 'not-running' && !rec.State.Running) return { result: Promise.resolve({ StatusCode: rec.State.ExitCode }) };
    const map = condition === 'removed' ? this.removeWaiters : this.exitWaiters;
    let set = map.get(rec.Id);
    if (!set) map.set(rec.Id, (set = new Set()));
    const waiters = set;
    const result = new Promise<WaitResponse>((resolve) => {
      const w: ExitWaiter = (r) => resolve(r);
      waiters.add(w);
      signal.addEventListener('abort', () => waiters.delete(w), { once: true });
    });
    return { result };
  }

  async remove(id: string, opts: { force: boolean; volumes: boolean; link: boolean }): Promise<void> {
    const rec = this.store.get(id);
    if (rec.State.Status === 'removing') return;
    if (!opts.force && rec.State.Restarting) throw conflict(`cannot remove container "${rec.Name}": container is restarting: stop the container before removing or force remove`);
    this.cancelRestart(rec.Id);
    this.backoffs.delete(rec.Id);
    if ((rec.State.Running && !rec.State.Restarting) || rec.State.Paused) {
      if (!opts.force) {
        const what = rec.State.Paused ? 'container is paused and must be unpaused first' : 'container is running: stop the container before removing or force remove';
        throw conflict(`cannot remove container "${rec.Name}": ${what}`);
      }
      const exited = this.nextExit(rec.Id);
      rec.HasBeenManuallyStopped = true;
      if (rec.State.Paused) await this.d.runtime.resume(rec.Id).catch(() => undefined);
      await this.d.runtime.kill(rec.Id, 'SIGKILL').catch(() => undefined);
      await Promise.race([exited, sleep(10_000)]);
    }
    Object.assign(rec.State, { Restarting: false, Running: false, Status: 'removing' });
    // The record goes first (the container is gone for every client), then what the runtime and
    // the snapshotter hold; a crash in between leaves only unreferenced state behind.
    await this.store.remove(rec);
    if (opts.volumes) {
      for (const v of rec.AnonymousVolumes) await this.d.volumes.remove(v, true).catch((err: unknown) => this.d.log.warn({ err, volume: v }, 'removing an anonymous volume failed'));
    }
    this.event(rec, 'destroy');
    this.resolveWaiters(this.exitWaiters, rec.Id, { StatusCode: rec.State.ExitCode });
    this.resolveWaiters(this.removeWaiters, rec.Id, { StatusCode: rec.State.ExitCode });
    for (const h of this.startHooks.get(rec.Id) ?? []) void h();
    this.startHooks.delete(rec.Id);
    await this.cleanupRuntime(rec.Id);
    if (this.netOf(rec)) await this.d.networking?.release(rec.Id).catch((err: unknown) => this.d.log.warn({ err, id: rec.Id }, 'network release failed'));
    await this.d.images.snapshots.removeActive(rec.Id);
  }

  async logs(id: string, opts: LogsOptions): Promise<{ tty: boolean; entries: AsyncIterable<import('../api/services.js').LogEntry> }> {
    const rec = this.store.get(id);
    if (rec.HostConfig.LogConfig?.Type === 'none') throw new TdockError('invalid-argument', 'configured logging driver does not support reading');
    const entries = readLogs({
      path: rec.LogPath, tail: opts.tail, follow: opts.follow, stdout: opts.stdout, stderr: opts.stderr, signal: opts.signal,
      ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}),
      live: () => this.store.tryGet(rec.Id)?.State.Running === true,
    });
    return { tty: rec.Config.Tty ?? false, entries };
  }

  async attach(id: string, opts: AttachOptions): Promise<StreamSession> {
    const rec = this.store.get(id);
    const detachKeys = parseDetachKeys(opts.detachKeys);
    this.event(rec, 'attach');
    const connect = async (withStdin: boolean, signal: AbortSignal): Promise<Attachment | null> => {
      const stdin = withStdin && (rec.Config.OpenStdin ?? false);
      const cur = this.store.tryGet(rec.Id);
      if (!cur) return null;
      if (cur.State.Running && !cur.State.Restarting) return this.d.runtime.attach(rec.Id, { stdin });
      return new Promise<Attachment | null>((resolve) => {
        let set = this.startHooks.get(rec.Id);
        if (!set) this.startHooks.set(rec.Id, (set = new Set()));
        const hooks = set;
        const hook: StartHook = async () => {
          if (!this.store.tryGet(rec.Id)) return resolve(null);
          try {
            resolve(await this.d.runtime.attach(rec.Id, { stdin }));
          } catch {
            resolve(null);
          }
        };
        hooks.add(hook);
        signal.addEventListener('abort', () => {
          hooks.delete(hook);
          resolve(null);
        }, { once: true });
      });
    };
    const logs = opts.logs ? () => readLogs({ path: rec.LogPath, tail: 'all', follow: false, stdout: true, stderr: true, live: () => false, signal: new AbortController().signal }) : undefined;
    return attachSession({
      tty: rec.Config.Tty ?? false, stdout: opts.stdout, stderr: opts.stderr, stdinOnce: rec.Config.StdinOnce ?? false, detachKeys, stream: opts.stream, connect,
      ...(logs ? { replay: logs } : {}),
      onDetach: () => this.event(rec, 'detach'),
    });
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const rec = this.store.get(id);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
    if (!rec.Config.Tty) return;
    await this.d.runtime.resize(rec.Id, height, width);
  }

  async top(id: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.store.get(id);
    if (!rec.State.Running) throw conflict(`container ${rec.Id} is not running`);
    if (rec.State.Restarting) throw conflict(`Container ${rec.Id} is restarting, wait until the container is running`);
    return topOf(await this.d.runtime.ps(rec.Id), psArgs);
  }

  async *stats(id: string, opts: { stream: boolean; oneShot: boolean; signal: AbortSignal }): AsyncIterable<JsonObject> {
    const rec = this.store.get(id);
    const sample = async (prev: JsonObject | undefined): Promise<{ s: JsonObject; running: boolean }> => {
      const cur = this.store.tryGet(rec.Id);
      const running = cur?.State.Running === true && !cur.State.Restarting;
      const raw = running ? await this.d.runtime.stats(rec.Id).catch(() => undefined) : undefined;
      const pids = running ? await this.d.runtime.ps(rec.Id).catch(() => []) : [];
      const mode = rec.HostConfig.NetworkMode ?? '';
      const nets = running && mode !== 'none' && mode !== 'host' ? networkStatsOf(cur.State.Pid) : undefined;
      return { s: statsJson(rec, raw, prev, pids.length, nets), running };
    };
    let first = await sample(undefined);
    // moby: a single non-streamed sample that is not one-shot takes two, so precpu_stats (and the CPU %
    // the docker CLI computes from them) are filled.
    if (!opts.stream && !opts.oneShot && first.running) {
      await sleep(STATS_PRESAMPLE_MS);
      if (opts.signal.aborted) return;
      first = await sample(first.s);
    }
    let prev: JsonObject | undefined;
    for (let cur = first; ; ) {
      yield cur.s;
      if (!opts.stream || opts.signal.aborted || !cur.running) return;
      prev = cur.s;
      await sleep(1000);
      if (opts.signal.aborted) return;
      cur = await sample(prev);
    }
  }

  async rename(id: string, name: string): Promise<void> {
    const rec = this.store.get(id);
    const old = rec.Name;
    const next = this.store.reserveName(rec.Id, name);
    if (next === old) return;
    rec.Name = next;
    this.store.releaseName(old);
    await this.store.save(rec);
    if (this.netOf(rec)) await this.d.networking?.rename(rec.Id, next);
    this.event(rec, 'rename', { oldName: old });
  }

  async update(id: string, body: Resources & { RestartPolicy?: RestartPolicy }): Promise<{ Warnings: string[] }> {
    const { RestartPolicy: rp, ...res } = body;
    validateRestartPolicy(rp);
    const warnings = this.d.hostLimits ? verifyResources(res, this.d.hostLimits(), true) : [];
    const rec = this.store.get(id);
    if (rec.State.Status === 'removing' || rec.State.Dead) throw conflict(`Cannot update container ${rec.Id}: container is marked for removal and cannot be "update"`);
    const backup = structuredClone(rec.HostConfig);
    const cannot = (err: unknown, kind: 'invalid-argument' | 'internal'): TdockError => new TdockError(kind, `Cannot update container ${rec.Id}: ${(err as Error).message}`, { cause: err });
    try {
      mergeResources(rec.HostConfig, res);
      if (rp?.Name) {
        if (rec.HostConfig.AutoRemove && rp.Name !== 'no') throw invalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
        rec.HostConfig.RestartPolicy = { Name: rp.Name, MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
      }
    } catch (err) {
      rec.HostConfig = backup;
      throw cannot(err, 'invalid-argument');
    }
    // A stopped (or restarting) container gets the new limits at its next start, from HostConfig.
    if (rec.State.Running && !rec.State.Restarting) {
      const live = liveResources(res);
      if (Object.keys(live).length > 0) {
        try {
          await this.d.runtime.update(rec.Id, live);
        } catch (err) {
          rec.HostConfig = backup;
          throw cannot(err, 'internal');
        }
      }
    }
    await this.store.save(rec);
    this.event(rec, 'update');
    return { Warnings: warnings };
  }

  async changes(id: string): Promise<Array<{ Path: string; Kind: number }>> {
    const rec = this.store.get(id);
    return upperChanges(rec.Rootfs.upper ?? '', rec.Rootfs.lowers, new Set(this.mountPoints(rec)));
  }

  /** Paths the init creates as mount targets (Docker keeps them in the init layer). */
  private mountPoints(rec: ContainerRecord): string[] {
    return ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev', ...rec.Mounts.map((m) => m.Destination), ...Object.keys(rec.HostConfig.Tmpfs ?? {})];
  }

  async export(id: string, signal: AbortSignal): Promise<Readable> {
    const rec = this.store.get(id);
    this.event(rec, 'export');
    return Readable.from(this.d.images.export(rec.Rootfs, sysMountOps(), signal));
  }

  async statPath(id: string, p: string): Promise<PathStat> {
    return this.archive.stat(id, p);
  }

  async getArchive(id: string, p: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> {
    return this.archive.get(id, p, signal);
  }

  async putArchive(id: string, p: string, tar: Readable): Promise<void> {
    return this.archive.put(id, p, tar);
  }

  async commit(opts: { container: string; repo?: string; tag?: string; comment?: string; author?: string; pause: boolean; changes: string[]; config: ContainerConfig }): Promise<{ Id: string }> {
    const rec = this.store.get(opts.container);
    const pause = opts.pause && rec.State.Running && !rec.State.Paused;
    if (pause) await this.d.runtime.pause(rec.Id).catch(() => undefined);
    try {
      if (!rec.State.Running && rec.Rootfs.upper) {
        // Mount-point placeholders the init created (not in the image) stay out of the layer, as
        // Docker's init layer does; the next start creates them again.
        const points = new Set(this.mountPoints(rec));
        for (const c of upperChanges(rec.Rootfs.upper, rec.Rootfs.lowers)) {
          if (c.Kind !== 1 || !points.has(c.Path)) continue;
          const p = path.join(rec.Rootfs.upper, c.Path);
          try {
            if (fs.lstatSync(p).isDirectory()) fs.rmdirSync(p); // only an empty placeholder
            else if (fs.lstatSync(p).size === 0) fs.rmSync(p);
          } catch {
            // not empty: it is content, keep it
          }
        }
      }
      const id = await commitContainer(this.d.images, rec, opts);
      this.event(rec, 'commit', { comment: opts.comment ?? '', ...(opts.repo ? { imageName: opts.repo } : {}) });
      return { Id: id };
    } finally {
      if (pause) await this.d.runtime.resume(rec.Id).catch(() => undefined);
    }
  }

  async prune(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const until = filters.get('until')?.[0];
    const untilMs = until ? (/^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.parse(until)) : undefined;
    const deleted: string[] = [];
    for (const r of this.store.all()) {
      if (r.State.Running || r.State.Paused || r.State.Restarting) continue;
      if (!matchKVList(filters, 'label', r.Config.Labels ?? {})) continue;
      if (untilMs !== undefined && Date.parse(r.Created) >= untilMs) continue;
      await this.remove(r.Id, { force: false, volumes: false, link: false });
      deleted.push(r.Id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: 0 };
  }

  /** IDs of containers mounting a volume (blocks its removal). */
  volumeUsers(name: string): string[] {
    return this.store.all().filter((r) => r.Mounts.some((m) => m.Type === 'volume' && m.Name === name)).map((r) => r.Id);
  }

  /** The container using an image (for `rmi`). */
  imageUser(imageId: string): { containerId: string; running: boolean } | undefined {
    const all = this.store.all().filter((r) => r.Image === imageId);
    const hit = all.find((r) => r.State.Running) ?? all[0];
    return hit ? { containerId: hit.Id, running: hit.State.Running } : undefined;
  }

  /** Counts for `/info`. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    const all = this.store.all();
    const paused = all.filter((r) => r.State.Paused).length;
    const running = all.filter((r) => r.State.Running && !r.State.Paused && !r.State.Restarting).length;
    return { total: all.length, running, paused, stopped: all.length - running - paused };
  }
}

/** Bytes under a directory (`du -sb`), 0 when unreadable. */
function duBytes(dir: string): number {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]) || 0;
}

/** go-units RAMInBytes for `max-size` (`10m`, `1g`, bytes). */
function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(v.trim());
  if (!m) return 0;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}
