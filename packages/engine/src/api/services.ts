import type { Readable } from 'node:stream';
import type { Filters } from './query.js';
import type {
  AuthConfig,
  ContainerConfig,
  ContainerCreateBody,
  CreateResponse,
  ExecCreateBody,
  JsonObject,
  NetworkCreateBody,
  Resources,
  RestartPolicy,
  VolumeCreateBody,
  WaitResponse,
  EndpointSettings,
} from './types.js';

// The services the HTTP layer calls (DESIGN §7). Each method takes decoded, validated inputs and returns
// plain data in Docker's wire shapes; errors are TdockErrors whose kind picks the status (api/errors.ts).
// Methods taking a `signal` must stop when the client goes away.

/** Facts about the host and daemon for `/info` and `/version`; the HTTP layer renders Docker's shapes. */
export interface SystemFacts {
  id: string;
  name: string;
  containers: { total: number; running: number; paused: number; stopped: number };
  images: number;
  storageDriver: string;
  driverStatus: Array<[string, string]>;
  cgroupDriver: 'cgroupfs' | 'systemd' | 'none';
  cgroupVersion: '1' | '2' | '';
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  architecture: string;
  ncpu: number;
  memTotal: number;
  dataRoot: string;
  loggingDriver: string;
  securityOptions: string[];
  /** Extra capability flags the kernel/cgroups give; missing ones are reported as false. */
  features?: Partial<Record<'MemoryLimit' | 'SwapLimit' | 'CpuCfsPeriod' | 'CpuCfsQuota' | 'CPUShares' | 'CPUSet' | 'PidsLimit' | 'OomKillDisable' | 'IPv4Forwarding', boolean>>;
  warnings: string[];
  labels: string[];
  /** Used for `/version`'s BuildTime and GitCommit. */
  gitCommit: string;
  buildTime: string;
}

/** `/_ping`, `/info`, `/version`, `/system/df`, `/auth`. */
export interface SystemService {
  facts(): Promise<SystemFacts>;
  /** `GET /system/df` in Docker's shape; every volume carries `UsageData`. */
  diskUsage(opts: { types: string[]; signal: AbortSignal }): Promise<JsonObject>;
  /** `POST /auth`: checks credentials against the registry; resolves with `{Status, IdentityToken}`. */
  auth(config: AuthConfig, signal: AbortSignal): Promise<{ Status: string; IdentityToken?: string }>;
}

/** One chunk of container output. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** One log line: its stream, bytes (with the newline) and RFC3339Nano timestamp. */
export interface LogEntry extends OutputChunk {
  time: string;
}

/** What an attached stream writes to: the HTTP layer frames (no TTY) or copies raw (TTY). */
export interface StreamSink {
  write(chunk: OutputChunk): void;
  /** Resolves when the client has taken the bytes written so far (backpressure). */
  drained(): Promise<void>;
}

/**
 * An attach or exec session. It subscribes to the process's output when it is created, before the
 * HTTP layer answers 101, so output produced right after start is not lost.
 */
export interface StreamSession {
  /** Whether the process has a TTY: raw stream, else multiplexed. */
  readonly tty: boolean;
  /**
   * Pumps output into `sink` and, when given, `stdin` into the process, until the process exits, the
   * detach keys are typed, or `signal` aborts. A stdin EOF closes the process's stdin (StdinOnce) but
   * output continues. Resolves when the stream must be closed.
   */
  run(io: { stdin: Readable | null; sink: StreamSink; signal: AbortSignal }): Promise<void>;
}

export interface AttachOptions {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

export interface LogsOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  since?: bigint;
  until?: bigint;
  timestamps: boolean;
  tail: number | 'all';
  details: boolean;
  signal: AbortSignal;
}

/** `X-Docker-Container-Path-Stat` contents. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface ContainerService {
  create(req: { name?: string; platform?: string; body: ContainerCreateBody; apiVersion: string }): Promise<CreateResponse>;
  list(opts: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<JsonObject[]>;
  inspect(id: string, opts: { size: boolean }): Promise<JsonObject>;
  /** Throws `not-modified` when already running (304). */
  start(id: string, opts: { detachKeys?: string }): Promise<void>;
  /** Throws `not-modified` when not running (304). `timeout` in seconds, undefined = the container's own. */
  stop(id: string, opts: { signal?: string; timeout?: number }): Promise<void>;
  restart(id: string, opts: { signal?: string; timeout?: number }): Promise<void>;
  /** Throws `conflict` "container <id> is not running" when not running. */
  kill(id: string, signal: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /**
   * Registers a wait; a missing container fails here, before headers are sent. The returned `result`
   * resolves when `condition` is met; `signal` aborts when the client hangs up.
   */
  wait(id: string, condition: 'not-running' | 'next-exit' | 'removed', signal: AbortSignal): Promise<{ result: Promise<WaitResponse> }>;
  remove(id: string, opts: { force: boolean; volumes: boolean; link: boolean }): Promise<void>;
  /** Logs; `tty` picks raw or multiplexed framing. */
  logs(id: string, opts: LogsOptions): Promise<{ tty: boolean; entries: AsyncIterable<LogEntry> }>;
  attach(id: string, opts: AttachOptions): Promise<StreamSession>;
  resize(id: string, height: number, width: number): Promise<void>;
  top(id: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  /** Stats in Docker's JSON, one object per interval (one only when `stream` is false). */
  stats(id: string, opts: { stream: boolean; oneShot: boolean; signal: AbortSignal }): AsyncIterable<JsonObject>;
  rename(id: string, name: string): Promise<void>;
  update(id: string, body: Resources & { RestartPolicy?: RestartPolicy }): Promise<{ Warnings: string[] }>;
  changes(id: string): Promise<Array<{ Path: string; Kind: number }>>;
  export(id: string, signal: AbortSignal): Promise<Readable>;
  statPath(id: string, path: string): Promise<PathStat>;
  getArchive(id: string, path: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }>;
  putArchive(id: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void>;
  commit(opts: { container: string; repo?: string; tag?: string; comment?: string; author?: string; pause: boolean; changes: string[]; config: ContainerConfig }): Promise<{ Id: string }>;
  prune(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }>;
}

export interface ExecService {
  create(containerId: string, body: ExecCreateBody): Promise<{ Id: string }>;
  /** Detached start: runs in the background, resolves once started. */
  startDetached(execId: string, opts: { tty: boolean; consoleSize?: [number, number] }): Promise<void>;
  /** Attached start: the session is wired before the HTTP layer answers. */
  start(execId: string, opts: { tty: boolean; consoleSize?: [number, number] }): Promise<StreamSession>;
  resize(execId: string, height: number, width: number): Promise<void>;
  /** `ExitCode` and `Running:false` must be set before an attached session's `run` resolves. */
  inspect(execId: string): Promise<JsonObject>;
}

/** What a long image operation reports; the HTTP layer renders Docker's progress JSON (api/progress.ts). */
export interface ProgressSink {
  /** An id-less status line (`Digest: ...`, `Status: ...`) or one with an id (`Pulling from x`, id = tag). */
  status(message: string, id?: string): void;
  /** A per-layer update: always carries `progressDetail`, with a bar when `current` is given. */
  progress(id: string, action: string, current?: number, total?: number): void;
  /** `{"stream": text}` (build output). */
  stream(text: string): void;
  /** `{"aux": ...}` (push digest, build image ID, load). */
  aux(value: JsonObject): void;
}

export interface ImageService {
  list(opts: { all: boolean; digests: boolean; sharedSize: boolean; manifests: boolean; filters: Filters }): Promise<JsonObject[]>;
  /** 404 must say `No such image: <name>`. */
  inspect(name: string): Promise<JsonObject>;
  history(name: string): Promise<JsonObject[]>;
  tag(name: string, repo: string, tag: string): Promise<void>;
  remove(name: string, opts: { force: boolean; noprune: boolean }): Promise<Array<{ Untagged?: string; Deleted?: string }>>;
  pull(opts: { fromImage: string; tag: string; platform?: string; auth?: AuthConfig; progress: ProgressSink; signal: AbortSignal }): Promise<void>;
  import(opts: { source: Readable | string; repo?: string; tag?: string; message?: string; changes: string[]; platform?: string; progress: ProgressSink; signal: AbortSignal }): Promise<void>;
  push(opts: { name: string; tag?: string; auth?: AuthConfig; progress: ProgressSink; signal: AbortSignal }): Promise<void>;
  /** `docker save`: a tar stream of the named images. */
  export(names: string[], signal: AbortSignal): Promise<Readable>;
  load(opts: { tar: Readable; quiet: boolean; progress: ProgressSink; signal: AbortSignal }): Promise<void>;
  prune(filters: Filters): Promise<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }>; SpaceReclaimed: number }>;
  /** `GET /distribution/{name}/json`. */
  distribution(name: string, auth: AuthConfig | undefined, signal: AbortSignal): Promise<JsonObject>;
}

/** The legacy `/build` (optional: without it `/build` answers 501). */
export interface BuildService {
  build(opts: { context: Readable; query: Record<string, string | string[] | undefined>; registryConfig?: Record<string, AuthConfig>; progress: ProgressSink; signal: AbortSignal }): Promise<void>;
  prune(opts: { all: boolean; keepStorage?: number; filters: Filters }): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }>;
}

export interface VolumeService {
  list(filters: Filters): Promise<{ Volumes: JsonObject[]; Warnings: string[] }>;
  /** Idempotent for an existing name. */
  create(body: VolumeCreateBody): Promise<JsonObject>;
  inspect(name: string): Promise<JsonObject>;
  /** In use → conflict `remove v: volume is in use - [<ids>]`. */
  remove(name: string, force: boolean): Promise<void>;
  prune(filters: Filters): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }>;
}

export interface NetworkService {
  list(filters: Filters): Promise<JsonObject[]>;
  inspect(id: string, opts: { verbose: boolean; scope?: string }): Promise<JsonObject>;
  create(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }>;
  remove(id: string): Promise<void>;
  connect(id: string, container: string, endpoint: EndpointSettings | undefined): Promise<void>;
  disconnect(id: string, container: string, force: boolean): Promise<void>;
  prune(filters: Filters): Promise<{ NetworksDeleted: string[] }>;
}

/** An event as the engine records it; the HTTP layer adds the legacy `status`/`id`/`from` fields. */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  /** Unix nanoseconds; a bigint keeps all 19 digits on the wire. */
  timeNano: number | bigint;
}

export interface EventsService {
  /** Past events in [since, until] then, when `until` is unset or in the future, live ones until `signal` aborts or `until`. */
  subscribe(opts: { since?: bigint; until?: bigint; filters: Filters; signal: AbortSignal }): AsyncIterable<EngineEvent>;
}

/** Everything buildApp wires; `build` is optional. */
export interface Services {
  system: SystemService;
  containers: ContainerService;
  images: ImageService;
  volumes: VolumeService;
  networks: NetworkService;
  exec: ExecService;
  events: EventsService;
  build?: BuildService;
}
