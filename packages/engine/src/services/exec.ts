// `docker exec`: exec instances (create, start attached or detached, resize, inspect) over the
// runtime's exec in a running container. ExitCode is set before an attached stream closes.
import { conflict, notFound } from '@tdock/core';
import type { Attachment, ExecSession, Runtime } from '@tdock/runtime';
import type { EventInput } from '../api/events-hub.js';
import type { ExecService, StreamSession } from '../api/services.js';
import type { ExecCreateBody, JsonObject } from '../api/types.js';
import { resolveContainerUser } from './container-create.js';
import { randomId } from './names.js';
import type { ContainerRecord, ContainerStore } from './records.js';
import { parseDetachKeys, pump } from './streams.js';

interface ExecInstance {
  id: string;
  containerId: string;
  body: ExecCreateBody;
  running: boolean;
  exitCode: number | null;
  pid: number;
  canRemove: boolean;
  session?: ExecSession;
  detachKeys: number[];
}

/** moby's exec event text: Entrypoint + " " + Args joined (so `ls` alone reads `ls `). */
const execLabel = (cmd: string[]): string => `${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`;

export class Execs implements ExecService {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(private readonly d: { store: ContainerStore; runtime: Runtime; publish: (e: EventInput) => void }) {}

  private event(rec: ContainerRecord, action: string, e: ExecInstance, extra: Record<string, string> = {}): void {
    this.d.publish({ Type: 'container', Action: action, Actor: { ID: rec.Id, Attributes: { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? '', name: rec.Name.slice(1), execID: e.id, ...extra } } });
  }

  private running(containerId: string): ContainerRecord {
    const rec = this.d.store.get(containerId);
    if (!rec.State.Running) throw conflict(`container ${rec.Id} is not running`);
    if (rec.State.Restarting) throw conflict(`Container ${rec.Id} is restarting, wait until the container is running`);
    if (rec.State.Paused) throw conflict(`container ${rec.Id} is paused, unpause the container before exec`);
    return rec;
  }

  async create(containerId: string, body: ExecCreateBody): Promise<{ Id: string }> {
    const rec = this.running(containerId);
    if (!body.Cmd?.length) throw conflict('No exec command specified');
    const e: ExecInstance = { id: randomId(), containerId: rec.Id, body, running: false, exitCode: null, pid: 0, canRemove: false, detachKeys: parseDetachKeys(body.DetachKeys) };
    this.execs.set(e.id, e);
    this.event(rec, `exec_create: ${execLabel(body.Cmd)}`, e);
    return { Id: e.id };
  }

  private get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  private async launch(e: ExecInstance, opts: { tty: boolean; consoleSize?: [number, number] }, withStdin: boolean): Promise<{ rec: ContainerRecord; session: ExecSession }> {
    if (e.running || e.exitCode !== null) throw conflict(`Error: Exec command ${e.id} is already running`);
    const rec = this.running(e.containerId);
    const b = e.body;
    const tty = opts.tty || (b.Tty ?? false);
    const cs = opts.consoleSize ?? (b.ConsoleSize && b.ConsoleSize.length === 2 ? [b.ConsoleSize[0], b.ConsoleSize[1]] as [number, number] : undefined);
    const user = b.User || rec.Config.User;
    const session = await this.d.runtime.exec(rec.Id, {
      args: b.Cmd ?? [], env: tty && !(b.Env ?? []).some((e) => e.startsWith('TERM=')) ? [...(b.Env ?? []), 'TERM=xterm'] : (b.Env ?? []), ...(b.WorkingDir || rec.Config.WorkingDir ? { cwd: b.WorkingDir || rec.Config.WorkingDir } : {}),
      ...(user ? { user: resolveContainerUser(rec, user) } : {}), tty, stdin: withStdin, privileged: b.Privileged ?? false,
      ...(tty && cs && cs[0] && cs[1] ? { consoleSize: { rows: cs[0], cols: cs[1] } } : {}),
    });
    e.running = true;
    e.session = session;
    this.event(rec, `exec_start: ${execLabel(b.Cmd ?? [])}`, e);
    return { rec, session };
  }

  /** Wraps the session so the exit frame records ExitCode before the stream ends. */
  private watch(e: ExecInstance, rec: ContainerRecord, a: Attachment): Attachment {
    const finish = (code: number): void => {
      if (!e.running) return;
      e.exitCode = code;
      e.running = false;
      e.session = undefined;
      this.event(rec, 'exec_die', e, { exitCode: String(code) });
    };
    return {
      ...a,
      next: async () => {
        const f = await a.next();
        if (f === null) finish(e.exitCode ?? 126);
        else if ('exit' in f) finish(f.exit.exitCode);
        return f;
      },
    };
  }

  async startDetached(execId: string, opts: { tty: boolean; consoleSize?: [number, number] }): Promise<void> {
    const e = this.get(execId);
    const { rec, session } = await this.launch(e, opts, false);
    const a = this.watch(e, rec, session);
    void (async () => {
      for (;;) {
        const f = await a.next().catch(() => null);
        if (f === null || 'exit' in f) break;
      }
      a.close();
    })();
  }

  async start(execId: string, opts: { tty: boolean; consoleSize?: [number, number] }): Promise<StreamSession> {
    const e = this.get(execId);
    const b = e.body;
    const { rec, session } = await this.launch(e, opts, b.AttachStdin ?? false);
    const a = this.watch(e, rec, session);
    return {
      tty: opts.tty || (b.Tty ?? false),
      async run(io): Promise<void> {
        await pump(a, io, { stdout: b.AttachStdout ?? true, stderr: b.AttachStderr ?? true, stdinOnce: true, detachKeys: e.detachKeys });
      },
    };
  }

  async resize(execId: string, height: number, width: number): Promise<void> {
    const e = this.get(execId);
    if (!e.session) throw conflict(`exec ${execId} is not running`);
    e.session.resize(height, width);
  }

  async inspect(execId: string): Promise<JsonObject> {
    const e = this.get(execId);
    const b = e.body;
    const cmd = b.Cmd ?? [];
    return {
      ID: e.id, Running: e.running, ExitCode: e.exitCode, ProcessConfig: { tty: b.Tty ?? false, entrypoint: cmd[0] ?? '', arguments: cmd.slice(1), privileged: b.Privileged ?? false, user: b.User ?? '' },
      OpenStdin: b.AttachStdin ?? false, OpenStderr: b.AttachStderr ?? false, OpenStdout: b.AttachStdout ?? false, CanRemove: e.canRemove,
      ContainerID: e.containerId, DetachKeys: '', Pid: e.pid,
    };
  }

  /** Forgets the exec instances of a removed container. */
  forget(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }
}
