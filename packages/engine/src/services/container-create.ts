// `POST /containers/create`: from the request body and the image to a persisted record (rootfs
// snapshot prepared, volumes created, /etc files written), and the OCI spec at start.
import fs from 'node:fs';
import path from 'node:path';
import { invalidArgument, notFound } from '@tdock/core';
import { resolveUserFrom, type DockerSeccompProfile } from '@tdock/runtime';
import type { ContainerConfig, ContainerCreateBody, EndpointSettings, HostConfig } from '../api/types.js';
import { mergeImageConfig, processArgs, toOciSpec, type OciRuntimeSpec, type OciUser } from '../specconv/index.js';
import type { KeptBuildContainer } from '../build/index.js';
import type { ImageStore } from '../store/image-store.js';
import type { Mount } from '../store/snapshots.js';
import { nowNano, ZERO_TIME, type ContainerRecord, type ContainerStore, type MountPoint } from './records.js';
import type { LocalVolumes } from './volumes.js';
import { randomId } from './names.js';
import { usesNetworking, type ContainerNetworking } from './networking.js';
import { verifyResources, type HostLimits } from './resources-update.js';

/** What create and the spec builder need. */
export interface CreateDeps {
  store: ContainerStore;
  images: ImageStore;
  volumes: LocalVolumes;
  seccompProfile?: DockerSeccompProfile;
  cgroupVersion?: 1 | 2;
  /** Host pid of a running container (for `container:<id>` namespaces). */
  pidOf: (ref: string) => number;
  /** The networking service; absent: only none, host and container:<id> (bridge degrades to none). */
  networking?: ContainerNetworking;
  /** What the host's cgroups can limit; absent: resources are not checked (no cgroups). */
  hostLimits?: () => HostLimits;
}

/** Network modes that work until the networking service lands. */
function checkNetworkMode(mode: string, deps: CreateDeps): void {
  if (['', 'default', 'bridge', 'none', 'host'].includes(mode) || (deps.networking && usesNetworking(mode))) return;
  if (mode.startsWith('container:')) {
    deps.store.get(mode.slice(10));
    return;
  }
  throw notFound(`network ${mode} not found`);
}

/** The network names a container lists under NetworkSettings.Networks from create on. */
function createNetworks(hc: HostConfig, body: ContainerCreateBody): Record<string, EndpointSettings> {
  const mode = hc.NetworkMode || 'default';
  if (mode.startsWith('container:')) return {};
  const name = mode === 'default' ? 'bridge' : mode;
  const eps = body.NetworkingConfig?.EndpointsConfig ?? {};
  return { [name]: eps[name] ?? eps[mode] ?? {} };
}

const HOSTS_BASE = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff00::1\tip6-allnodes\nff00::2\tip6-allrouters\n';

/** resolv.conf for a container: the host's without loopback nameservers (Docker's fallback when none remain). */
function resolvConf(host: boolean): string {
  let text: string;
  try {
    text = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    text = '';
  }
  if (host) return text;
  const lines = text.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
  if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return lines.join('\n').replace(/\n*$/, '\n');
}

async function writeEtcFiles(dir: string, rec: Pick<ContainerRecord, 'Id' | 'Config' | 'HostConfig'>, given?: { hosts: string; resolvConf: string }): Promise<void> {
  const host = rec.HostConfig.NetworkMode === 'host';
  const hostname = rec.Config.Hostname || rec.Id.slice(0, 12);
  await fs.promises.writeFile(path.join(dir, 'hostname'), `${hostname}\n`);
  let hosts = HOSTS_BASE;
  if (host) {
    try {
      hosts = fs.readFileSync('/etc/hosts', 'utf8');
    } catch {
      hosts = HOSTS_BASE;
    }
  }
  for (const e of rec.HostConfig.ExtraHosts ?? []) {
    const i = e.indexOf(':');
    const ip = e.slice(i + 1);
    if (i > 0) hosts += `${ip === 'host-gateway' ? '127.0.0.1' : ip}\t${e.slice(0, i)}\n`;
  }
  await fs.promises.writeFile(path.join(dir, 'hosts'), given?.hosts ?? hosts);
  await fs.promises.writeFile(path.join(dir, 'resolv.conf'), given?.resolvConf ?? resolvConf(host));
}

/** Volume names and host paths a container's Binds/Mounts/Volumes need; creates what is missing. */
async function planVolumes(cfg: ContainerConfig, hc: HostConfig, deps: CreateDeps): Promise<{ mounts: MountPoint[]; anonymous: string[] }> {
  const mounts: MountPoint[] = [];
  const anonymous: string[] = [];
  const taken = new Set<string>();
  for (const b of hc.Binds ?? []) {
    const parts = b.split(':');
    if (parts.length < 2) throw invalidArgument(`invalid volume specification: '${b}'`);
    const [src, dst, mode = ''] = parts;
    const rw = !mode.split(',').includes('ro');
    taken.add(path.posix.normalize(dst));
    if (src.startsWith('/')) {
      if (!fs.existsSync(src)) fs.mkdirSync(src, { recursive: true, mode: 0o755 });
      mounts.push({ Type: 'bind', Source: src, Destination: dst, Mode: mode, RW: rw, Propagation: 'rprivate' });
    } else {
      if (!deps.volumes.exists(src)) await deps.volumes.create({ Name: src });
      mounts.push({ Type: 'volume', Name: src, Source: deps.volumes.dataPath(src), Destination: dst, Driver: 'local', Mode: mode || 'z', RW: rw, Propagation: '' });
    }
  }
  for (const m of hc.Mounts ?? []) {
    const dst = path.posix.normalize(m.Target ?? '');
    taken.add(dst);
    if (m.Type === 'bind') {
      if (!m.Source || !fs.existsSync(m.Source)) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.Source ?? ''}`);
      mounts.push({ Type: 'bind', Source: m.Source, Destination: dst, Mode: '', RW: !m.ReadOnly, Propagation: m.BindOptions?.Propagation || 'rprivate' });
    } else if (m.Type === 'volume') {
      const name = m.Source || (await deps.volumes.create({ ...(m.VolumeOptions?.Labels ? { Labels: m.VolumeOptions.Labels } : {}) })).Name as string;
      if (!m.Source) anonymous.push(name);
      else if (!deps.volumes.exists(name)) await deps.volumes.create({ Name: name, ...(m.VolumeOptions?.Labels ? { Labels: m.VolumeOptions.Labels } : {}), ...(m.VolumeOptions?.DriverConfig?.Options ? { DriverOpts: m.VolumeOptions.DriverConfig.Options } : {}) });
      mounts.push({ Type: 'volume', Name: name, Source: deps.volumes.dataPath(name), Destination: dst, Driver: 'local', Mode: 'z', RW: !m.ReadOnly, Propagation: '' });
    } else if (m.Type === 'tmpfs') {
      mounts.push({ Type: 'tmpfs', Source: '', Destination: dst, Mode: '', RW: !m.ReadOnly, Propagation: '' });
    }
  }
  for (const dst of Object.keys(hc.Tmpfs ?? {})) taken.add(path.posix.normalize(dst));
  for (const d of Object.keys(cfg.Volumes ?? {})) {
    const dst = path.posix.normalize(d);
    if (taken.has(dst)) continue;
    const name = (await deps.volumes.create({})).Name as string;
    anonymous.push(name);
    mounts.push({ Type: 'volume', Name: name, Source: deps.volumes.dataPath(name), Destination: dst, Driver: 'local', Mode: '', RW: true, Propagation: '' });
  }
  return { mounts, anonymous };
}

/** Creates a container record (not started). The caller publishes the event. */
export async function createContainer(req: { name?: string; body: ContainerCreateBody }, deps: CreateDeps): Promise<ContainerRecord> {
  const { HostConfig: hcIn, NetworkingConfig: _nc, ...config } = req.body;
  const hc: HostConfig = { ...(hcIn ?? {}) };
  if (!hc.LogConfig?.Type) hc.LogConfig = { Type: 'json-file', Config: hc.LogConfig?.Config ?? {} };
  if (!['json-file', 'none', 'local'].includes(hc.LogConfig.Type ?? '')) throw invalidArgument(`logging driver ${hc.LogConfig.Type} is not supported`);
  hc.RestartPolicy = { Name: hc.RestartPolicy?.Name || 'no', MaximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 };
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(hc.RestartPolicy.Name ?? '')) throw invalidArgument(`invalid restart policy: unknown policy '${hc.RestartPolicy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  const imageRef = config.Image;
  if (!imageRef) throw invalidArgument('No command specified');
  const image = deps.images.resolve(imageRef);
  const imageConfig = (await deps.images.config(image.id)).config;
  const merged = mergeImageConfig(config, imageConfig);
  merged.Image = imageRef;
  const args = processArgs(merged);
  checkNetworkMode(hc.NetworkMode ?? '', deps);
  if (hc.RestartPolicy?.Name && hc.AutoRemove && hc.RestartPolicy.Name !== 'no') throw invalidArgument("conflicting options: cannot specify both --restart and --rm");
  // moby verifyContainerSettings, then adaptContainerSettings: swap defaults to twice the memory limit.
  if (deps.hostLimits) verifyResources(hc, deps.hostLimits(), false);
  if ((hc.Memory ?? 0) > 0 && !hc.MemorySwap) hc.MemorySwap = (hc.Memory ?? 0) * 2;
  const id = randomId();
  const name = deps.store.reserveName(id, req.name);
  const dir = deps.store.dir(id);
  let rootfs: Mount | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o710 });
    rootfs = await deps.images.prepareRootfs(id, image.id);
    const vols = await planVolumes(merged, hc, deps);
    const rec: ContainerRecord = {
      Id: id, Name: name, Created: nowNano(), Path: args[0], Args: args.slice(1), Config: merged, HostConfig: hc, Image: image.id,
      State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
      RestartCount: 0, LogPath: path.join(dir, `${id}-json.log`), ResolvConfPath: path.join(dir, 'resolv.conf'), HostnamePath: path.join(dir, 'hostname'), HostsPath: path.join(dir, 'hosts'),
      Mounts: vols.mounts, Networks: createNetworks(hc, req.body), Rootfs: rootfs, AnonymousVolumes: vols.anonymous, HasBeenManuallyStopped: false,
    };
    if (deps.networking && usesNetworking(hc.NetworkMode)) {
      await deps.networking.connectAtCreate({ id, name: name.slice(1), ...(merged.Labels ? { labels: merged.Labels } : {}) }, hc.NetworkMode, req.body.NetworkingConfig?.EndpointsConfig);
      rec.Networks = {};
      const files = deps.networking.containerFiles(id, {
        hostname: merged.Hostname || id.slice(0, 12), ...(merged.Domainname ? { domainname: merged.Domainname } : {}),
        ...(hc.ExtraHosts ? { extraHosts: hc.ExtraHosts } : {}), ...(hc.Dns ? { dns: hc.Dns } : {}), ...(hc.DnsSearch ? { dnsSearch: hc.DnsSearch } : {}), ...(hc.DnsOptions ? { dnsOptions: hc.DnsOptions } : {}),
      });
      await writeEtcFiles(dir, rec, files);
    } else await writeEtcFiles(dir, rec);
    buildSpec(rec, deps, true); // dockerd rejects bad HostConfig at create
    await deps.store.save(rec);
    return rec;
  } catch (err) {
    await deps.networking?.release(id).catch(() => undefined);
    deps.store.releaseName(name);
    if (rootfs) await deps.images.snapshots.removeActive(id).catch(() => undefined);
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The record of a RUN container the legacy builder keeps (`--rm=false`, or a failing step without `--force-rm`):
 * exited (or `created` with its error when the process never started), on the step's snapshot, logging to `none`
 * as moby's builder creates them, with the name reserved while it ran (else a random one). Saved; its events
 * (create, attach, start, die) were published while it ran, and no `destroy` follows.
 */
export async function adoptBuildContainer(k: KeptBuildContainer, deps: Pick<CreateDeps, 'store'>): Promise<ContainerRecord> {
  const name = deps.store.reserveName(k.id, k.name);
  const dir = deps.store.dir(k.id);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o710 });
    const args = processArgs(k.config);
    const started = k.error === undefined && !k.neverStarted;
    const rec: ContainerRecord = {
      Id: k.id, Name: name, Created: nowNano(k.startedAt), Path: args[0] ?? '', Args: args.slice(1), Config: k.config, HostConfig: k.hostConfig, Image: k.image,
      State: {
        Status: started ? 'exited' : 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: k.exitCode,
        Error: k.error ?? '', StartedAt: started ? nowNano(k.startedAt) : ZERO_TIME, FinishedAt: started ? nowNano(k.finishedAt) : ZERO_TIME,
      },
      RestartCount: 0, LogPath: '', ResolvConfPath: path.join(dir, 'resolv.conf'), HostnamePath: path.join(dir, 'hostname'), HostsPath: path.join(dir, 'hosts'),
      Mounts: [], Networks: {}, Rootfs: k.rootfs, AnonymousVolumes: [], HasBeenManuallyStopped: false,
    };
    await writeEtcFiles(dir, rec);
    await deps.store.save(rec);
    return rec;
  } catch (err) {
    deps.store.releaseName(name);
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function readFirst(dirs: string[], rel: string): string {
  for (const d of dirs) {
    try {
      return fs.readFileSync(path.join(d, rel), 'utf8');
    } catch {
      // next layer
    }
  }
  return '';
}

/** A user (`name`, `uid`, `uid:gid`, `name:group`) resolved in the container's image and upper layer. */
export function resolveContainerUser(rec: ContainerRecord, user: string): OciUser {
  const layers = [rec.Rootfs.upper ?? '', ...rec.Rootfs.lowers].filter(Boolean);
  const r = resolveUserFrom(user, readFirst(layers, 'etc/passwd'), readFirst(layers, 'etc/group'), rec.HostConfig.GroupAdd ?? []);
  return { uid: r.uid, gid: r.gid, ...(r.additionalGids.length ? { additionalGids: r.additionalGids } : {}) };
}

/** The container's OCI spec (`dryRun`: volume paths are not prepared). */
export function buildSpec(rec: ContainerRecord, deps: CreateDeps, dryRun = false, volumePaths: Record<string, string> = {}): OciRuntimeSpec {
  const anonymous: Record<string, string> = {};
  for (const m of rec.Mounts) if (m.Type === 'volume' && m.Name && rec.AnonymousVolumes.includes(m.Name)) anonymous[m.Destination] = volumePaths[m.Name] ?? m.Source;
  return toOciSpec({ id: rec.Id, config: rec.Config, hostConfig: rec.HostConfig }, {
    rootfs: path.join(deps.store.dir(rec.Id), 'rootfs'),
    resolveUser: (user: string): OciUser => resolveContainerUser(rec, user),
    volumePath: (name: string) => volumePaths[name] ?? deps.volumes.dataPath(name),
    anonymousVolumes: anonymous,
    etcFiles: { resolvConf: rec.ResolvConfPath, hosts: rec.HostsPath, hostname: rec.HostnamePath },
    ...(deps.seccompProfile ? { seccompProfile: deps.seccompProfile } : {}),
    ...(deps.cgroupVersion ? { cgroupVersion: deps.cgroupVersion } : {}),
    containerNamespace: (ref: string, type: 'network' | 'ipc' | 'pid') => (dryRun ? `/proc/1/ns/${type === 'network' ? 'net' : type}` : `/proc/${deps.pidOf(ref)}/ns/${type === 'network' ? 'net' : type}`),
  });
}
