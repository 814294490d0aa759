// Docker's views of a container record: inspect (ContainerInspectResponse), the list summary
// (ContainerSummary with the server-rendered Status text) and the list filters (moby daemon/list.go).
import { invalidArgument } from '@tdock/core';
import type { Filters } from '../api/query.js';
import type { Json, JsonObject } from '../api/types.js';
import { matchKVList } from '../api/filters.js';
import { statusText, stateWord, type StatusFacts } from '../api/format.js';
import { ZERO_TIME, type ContainerRecord } from './records.js';

const ms = (t: string): number => (t && t !== ZERO_TIME ? Date.parse(t) : 0);

export function statusFacts(r: ContainerRecord): StatusFacts {
  const s = r.State;
  return {
    running: s.Running, paused: s.Paused, restarting: s.Restarting, removing: s.Status === 'removing', dead: s.Dead,
    exitCode: s.ExitCode, startedAt: ms(s.StartedAt), finishedAt: ms(s.FinishedAt),
    ...(s.Health ? { health: s.Health.Status } : {}),
  };
}

function networkMode(r: ContainerRecord): string {
  const m = r.HostConfig.NetworkMode || 'default';
  return m === 'default' ? 'bridge' : m;
}

function endpoint(r: ContainerRecord, name: string): JsonObject {
  const ep = r.Networks[name] ?? {};
  return {
    IPAMConfig: (ep.IPAMConfig as Json) ?? null, Links: (ep.Links as Json) ?? null, Aliases: (ep.Aliases as Json) ?? null,
    MacAddress: '', DriverOpts: (ep.DriverOpts as Json) ?? null, GwPriority: 0, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '',
    IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

function networks(r: ContainerRecord): JsonObject {
  const out: JsonObject = {};
  for (const n of Object.keys(r.Networks)) out[n] = endpoint(r, n);
  return out;
}

function mounts(r: ContainerRecord): Json[] {
  return r.Mounts.map((m) => ({ Type: m.Type, ...(m.Name ? { Name: m.Name } : {}), Source: m.Source, Destination: m.Destination, ...(m.Driver ? { Driver: m.Driver } : {}), Mode: m.Mode, RW: m.RW, Propagation: m.Propagation }));
}

function ports(r: ContainerRecord): JsonObject {
  const out: JsonObject = {};
  for (const p of Object.keys(r.Config.ExposedPorts ?? {})) out[p] = null;
  return out;
}

/** `GET /containers/{id}/json`. */
export function inspectView(r: ContainerRecord): JsonObject {
  const s = r.State;
  const state: JsonObject = {
    Status: s.Status, Running: s.Running, Paused: s.Paused, Restarting: s.Restarting, OOMKilled: s.OOMKilled, Dead: s.Dead,
    Pid: s.Pid, ExitCode: s.ExitCode, Error: s.Error, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
    ...(s.Health ? { Health: s.Health as unknown as Json } : {}),
  };
  const hc = { ...r.HostConfig, NetworkMode: networkMode(r) } as unknown as JsonObject;
  return {
    Id: r.Id, Created: r.Created, Path: r.Path, Args: r.Args, State: state, Image: r.Image,
    ResolvConfPath: r.ResolvConfPath, HostnamePath: r.HostnamePath, HostsPath: r.HostsPath, LogPath: r.LogPath,
    Name: r.Name, RestartCount: r.RestartCount, Driver: 'overlay2', Platform: 'linux', MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
    ExecIDs: null, HostConfig: hc,
    GraphDriver: { Name: 'overlay2', Data: { LowerDir: r.Rootfs.lowers.join(':'), UpperDir: r.Rootfs.upper ?? '', WorkDir: r.Rootfs.work ?? '', MergedDir: '' } },
    Mounts: mounts(r),
    Config: { Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {}, ...(r.Config as unknown as JsonObject) },
    NetworkSettings: {
      Bridge: '', SandboxID: '', SandboxKey: s.Pid ? `/proc/${s.Pid}/ns/net` : '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: ports(r), SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '', GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '', Networks: networks(r),
    },
  };
}

/** The `Command` column: Path and Args joined as moby does. */
/** The list's `Command` as moby renders it: arguments with a space are single-quoted. */
function command(r: ContainerRecord): string {
  return [r.Path, ...r.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
}

/** `GET /containers/json` item. */
export function summaryView(r: ContainerRecord, now: number, imageName: string): JsonObject {
  const f = statusFacts(r);
  return {
    Id: r.Id, Names: [r.Name], Image: imageName, ImageID: r.Image, Command: command(r), Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: [], Labels: r.Config.Labels ?? {}, State: stateWord(f), Status: statusText(f, now),
    HostConfig: { NetworkMode: networkMode(r) }, NetworkSettings: { Networks: networks(r) }, Mounts: mounts(r),
  };
}

/** Filters `GET /containers/json` accepts. */
export const CONTAINER_LIST_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'network', 'health', 'isolation', 'is-task', 'publish', 'expose'];

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** Everything needed to apply list filters to one record. */
export interface ListContext {
  /** Resolves `before`/`since` references (throws not-found). */
  lookup: (ref: string) => ContainerRecord;
  /** Image IDs an `ancestor` value names (the image and its children), or none. */
  ancestors: (ref: string) => Set<string>;
}

/** Builds the predicate for the list filters (moby daemon/list.go foldFilter + includeContainerInContext). */
export function listFilter(filters: Filters, ctx: ListContext): (r: ContainerRecord) => boolean {
  for (const s of filters.get('status') ?? []) if (!STATUSES.includes(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  for (const h of filters.get('health') ?? []) if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw invalidArgument(`Unrecognised filter value for health: ${h}`);
  const exited = (filters.get('exited') ?? []).map((e) => {
    const n = Number(e);
    if (!Number.isInteger(n)) throw invalidArgument(`invalid filter 'exited=${e}'`);
    return n;
  });
  const before = filters.get('before')?.map((b) => ctx.lookup(b));
  const since = filters.get('since')?.map((b) => ctx.lookup(b));
  const ancestors = filters.get('ancestor')?.map((a) => ctx.ancestors(a));
  return (r) => {
    const ids = filters.get('id');
    if (ids?.length && !ids.some((i) => r.Id.startsWith(i))) return false;
    const names = filters.get('name');
    if (names?.length && !names.some((n) => {
      try {
        return new RegExp(n).test(r.Name);
      } catch {
        return r.Name.includes(n);
      }
    })) return false;
    if (!matchKVList(filters, 'label', r.Config.Labels ?? {})) return false;
    const f = statusFacts(r);
    const st = filters.get('status');
    if (st?.length && !st.includes(stateWord(f))) return false;
    if (exited.length && (r.State.Running || !f.startedAt || !exited.includes(r.State.ExitCode))) return false;
    if (before?.length && !before.every((b) => Date.parse(r.Created) < Date.parse(b.Created))) return false;
    if (since?.length && !since.every((b) => Date.parse(r.Created) > Date.parse(b.Created))) return false;
    if (ancestors?.length && !ancestors.some((a) => a.has(r.Image))) return false;
    const vols = filters.get('volume');
    if (vols?.length && !vols.some((v) => r.Mounts.some((m) => m.Name === v || m.Source === v || m.Destination === v))) return false;
    const nets = filters.get('network');
    if (nets?.length && !nets.some((n) => n in r.Networks || networkMode(r) === n)) return false;
    const health = filters.get('health');
    if (health?.length && !health.includes(r.State.Health?.Status ?? 'none')) return false;
    return true;
  };
}
