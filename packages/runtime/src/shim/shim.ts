// The shim (DESIGN §1, §4): one per container, detached in its own session, outliving its caller. It
// spawns the init, holds the container's stdio (pipes or the pty master), writes the json-file log,
// records the exit durably, and serves the protocol of protocol.ts on a unix socket.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TdockError, errorKindOf } from '@tdock/core';
import { close as sysClose, recvFd, sendFd, setWinsize } from '../sys/index.js';
import type { InitMessage } from '../init/plan.cjs';
import { writeFileAtomic } from './atomic-file.js';
import { STATE_FILES, type ShimConfig } from './config.js';
import { JsonFileLog } from './json-log.js';
import { JsonLineReader, writeJsonLine } from './json-lines.js';
import type { AttachFrame, ExecState, ExitRecord, ShimReply, ShimRequest, ShimState } from './protocol.js';
import { spawnInit, type InitHandle } from './spawn-init.js';
import { makeStdio, masterStreams, type Stdio } from './stdio.js';

/** The control channel with the caller during create (fd 3 of the shim): ready → go → created. */
export interface CreateControl {
  send(msg: unknown): void;
  next(): Promise<unknown>;
}

/** One running shim. */
export class Shim {
  private readonly state: ShimState;
  private readonly init: InitHandle;
  private readonly log: JsonFileLog;
  private master = -1;
  private consoleSock = -1;
  private stdinWriter?: Writable;
  private readonly attachers = new Set<net.Socket>();
  private readonly waiters: net.Socket[] = [];
  private readonly execs = new Map<string, ExecState>();
  private server?: net.Server;
  private openOutputs = 0;
  private pendingExit?: { code: number | null; signal: NodeJS.Signals | null };
  private initError?: { step: string; message: string; exitCode?: number };

  /** `io` and `init` come from main.ts, which spawns the init before loading this module (start-up overlaps). */
  constructor(private readonly cfg: ShimConfig, io: Stdio, init: InitHandle) {
    this.state = { id: cfg.id, status: 'creating', pid: init.pid, createdAt: new Date().toISOString(), shimPid: process.pid };
    this.log = new JsonFileLog(cfg.logPath, cfg.logRotation);
    this.init = init;
    this.master = io.master;
    this.consoleSock = io.console?.ours ?? -1;
    this.stdinWriter = io.stdin;
    for (const o of io.outputs) this.readOutput(o.stream, o.name);
    void init.exited.then(({ code, signal }) => this.onExit(code, signal));
  }

  /** Spawns the init and runs the create handshake; resolves once the container is created and served. */
  async create(control: CreateControl | undefined): Promise<{ pid: number; workMs: number }> {
    const init = this.init as InitHandle;
    await this.expect(init, 'ready', 'namespaces');
    if (control) {
      control.send({ ready: true, pid: init.pid });
      const go = await control.next();
      if (go === null) throw new TdockError('unavailable', 'the caller went away during create');
    }
    init.send({ go: true });
    const created = await this.expect(init, 'created', 'mounts');
    await this.listen();
    this.state.status = 'created';
    return { pid: init.pid, workMs: 'workMs' in created ? created.workMs : 0 };
  }

  private async expect(init: InitHandle, what: 'ready' | 'created', during: string): Promise<InitMessage> {
    let msg = await init.next();
    while (msg !== null && 'console' in msg) {
      this.takeConsole();
      msg = await init.next();
    }
    if (msg !== null && what in msg) return msg;
    if (msg !== null && 'error' in msg) {
      const e = new TdockError('internal', `container init failed at step "${msg.error.step}": ${msg.error.message}`);
      Object.assign(e, { step: msg.error.step, code: msg.error.code });
      throw e;
    }
    throw new TdockError('internal', `container init exited during step "${during}"`);
  }

  /** The init sent the pty master it opened in the container: serve it, or hand it to runc's --console-socket. */
  private takeConsole(): void {
    if (this.consoleSock < 0) throw new TdockError('internal', 'the init sent a console but none was asked for');
    const { fd, name } = recvFd(this.consoleSock);
    sysClose(this.consoleSock);
    this.consoleSock = -1;
    if (this.cfg.consoleSocket !== undefined) {
      try {
        sendFd(this.cfg.consoleSocket, fd, name);
      } finally {
        sysClose(fd);
      }
      return;
    }
    const { output, input } = masterStreams(fd);
    this.master = fd;
    this.stdinWriter = input;
    this.readOutput(output, 'stdout');
  }

  /** Kills the init after a failed create. */
  abort(): void {
    try {
      if (this.state.pid > 0) process.kill(this.state.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private readOutput(stream: Readable, name: 'stdout' | 'stderr'): void {
    this.openOutputs++;
    const decoder = new StringDecoder('utf8');
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const rest = decoder.end();
      if (rest !== '') this.log.write(name, rest);
      this.openOutputs--;
      this.maybeFinish();
    };
    stream.on('data', (chunk: Buffer) => {
      this.log.write(name, decoder.write(chunk));
      const frame: AttachFrame = { stream: name, data: chunk.toString('base64') };
      for (const a of this.attachers) writeJsonLine(a, frame);
    });
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end); // EIO on a pty master: the slave side is closed
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.pendingExit = { code, signal };
    // Output normally ends with the PID namespace; do not wait forever for stray holders of the pipes.
    setTimeout(() => {
      this.openOutputs = 0;
      this.maybeFinish();
    }, 2000).unref();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.pendingExit || this.openOutputs > 0 || this.state.exit) return;
    const { code, signal } = this.pendingExit;
    const signum = signal ? os.constants.signals[signal] : 0;
    const exit: ExitRecord = {
      exitCode: code ?? 128 + signum,
      ...(signal ? { signal } : {}),
      exitedAt: new Date().toISOString(),
      ...(this.initError ? { error: { step: this.initError.step, message: this.initError.message } } : {}),
    };
    if (this.initError?.exitCode !== undefined) exit.exitCode = this.initError.exitCode;
    writeFileAtomic(path.join(this.cfg.stateDir, STATE_FILES.exit), JSON.stringify(exit));
    this.state.exit = exit;
    this.state.status = 'stopped';
    this.log.close();
    if (this.master >= 0) this.stdinWriter?.destroy();
    for (const w of this.waiters.splice(0)) this.reply(w, { ok: true, exit }, true);
    for (const a of this.attachers) {
      writeJsonLine(a, { exit });
      a.end();
    }
    this.attachers.clear();
  }

  private listen(): Promise<void> {
    fs.rmSync(this.cfg.socketPath, { force: true });
    const server = net.createServer((sock) => void this.serve(sock).catch(() => sock.destroy()));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.cfg.socketPath, () => {
        fs.chmodSync(this.cfg.socketPath, 0o600);
        resolve();
      });
    });
  }

  private reply(sock: net.Socket, reply: ShimReply, end = true): void {
    writeJsonLine(sock, reply);
    if (end) sock.end();
  }

  private async serve(sock: net.Socket): Promise<void> {
    sock.on('error', () => sock.destroy());
    const reader = new JsonLineReader<ShimRequest>(sock);
    const req = await reader.next();
    if (req === null) return;
    try {
      await this.handle(req, sock, reader);
    } catch (err) {
      this.reply(sock, { ok: false, error: { kind: errorKindOf(err), message: (err as Error).message } });
    }
  }

  private async handle(req: ShimRequest, sock: net.Socket, reader: JsonLineReader<ShimRequest>): Promise<void> {
    switch (req.op) {
      case 'state':
        return this.reply(sock, { ok: true, state: { ...this.state } });
      case 'start':
        return this.reply(sock, { ok: true, state: await this.start() });
      case 'kill': {
        if (this.state.status === 'stopped') throw new TdockError('conflict', `container ${this.cfg.id} is not running`);
        process.kill(this.state.pid, req.signal);
        return this.reply(sock, { ok: true });
      }
      case 'wait':
        if (this.state.exit) return this.reply(sock, { ok: true, exit: this.state.exit });
        this.waiters.push(sock);
        return;
      case 'resize':
        if (this.master < 0) throw new TdockError('invalid-argument', 'the container has no terminal');
        setWinsize(this.master, req.rows, req.cols);
        return this.reply(sock, { ok: true });
      case 'attach':
        return this.attach(sock, reader, req.stdin ?? false);
      case 'exec':
        return this.exec(sock, reader, req);
      case 'exec-state': {
        const e = this.execs.get(req.execId);
        if (!e) throw new TdockError('not-found', `no such exec: ${req.execId}`);
        return this.reply(sock, { ok: true, exec: { ...e } });
      }
      case 'shutdown':
        if (this.state.status === 'running' || this.state.status === 'created') {
          throw new TdockError('conflict', `container ${this.cfg.id} is ${this.state.status}: kill it first`);
        }
        this.server?.close();
        fs.rmSync(this.cfg.socketPath, { force: true });
        // Exit as soon as the reply is out, leaving the connection open: its end tells the caller
        // (shimShutdown) that this process is gone.
        sock.write(`${JSON.stringify({ ok: true })}\n`, () => process.exit(0));
        setTimeout(() => process.exit(0), 200).unref();
        return;
      default:
        throw new TdockError('invalid-argument', `unknown op ${(req as { op: string }).op}`);
    }
  }

  private async start(): Promise<ShimState> {
    if (this.state.status !== 'created') throw new TdockError('conflict', `container ${this.cfg.id} is ${this.state.status}, not created`);
    this.init.send({ start: true });
    const msg = await this.init.next();
    if (msg !== null && 'error' in msg) {
      this.initError = msg.error;
      throw new TdockError('invalid-argument', msg.error.message);
    }
    if (this.state.status === 'created') this.state.status = 'running';
    this.state.startedAt = new Date().toISOString();
    return { ...this.state };
  }

  /** Runs a process in the container; its stdio and exit travel on this connection only. */
  private async exec(sock: net.Socket, reader: JsonLineReader<ShimRequest>, req: Extract<ShimRequest, { op: 'exec' }>): Promise<void> {
    if (this.state.status !== 'running') throw new TdockError('conflict', `container ${this.cfg.id} is not running`);
    const io = makeStdio(req.plan.terminal, req.stdin ?? false);
    const h = spawnInit({ stdio: io.childFds, pidNamespace: { path: `/proc/${this.state.pid}/ns/pid` }, ...(io.console ? { consoleFd: io.console.theirs } : {}) });
    for (const fd of new Set(io.childFds)) sysClose(fd);
    if (io.console) sysClose(io.console.theirs);
    h.send({ exec: { ...req.plan, ...(req.plan.terminal && req.consoleSize ? { consoleSize: req.consoleSize } : {}), pid: this.state.pid } });
    const record: ExecState = { pid: h.pid, running: true };
    if (req.execId !== undefined) this.execs.set(req.execId, record);
    this.reply(sock, { ok: true, pid: h.pid }, false);
    // A terminal's master arrives from the init: until then, stdin waits in a PassThrough.
    let master = -1;
    const pendingStdin = io.console ? new PassThrough() : undefined;
    const stdin = pendingStdin ?? io.stdin;
    let ttyInput: Writable | undefined;
    let open = io.outputs.length + (io.console ? 1 : 0);
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let failure: { step: string; message: string; exitCode?: number } | undefined;
    const finish = (): void => {
      if (!exited || open > 0) return;
      const signum = exited.signal ? os.constants.signals[exited.signal] : 0;
      const exit: ExitRecord = {
        exitCode: failure?.exitCode ?? exited.code ?? 128 + signum,
        ...(exited.signal ? { signal: exited.signal } : {}),
        exitedAt: new Date().toISOString(),
        ...(failure ? { error: { step: failure.step, message: failure.message } } : {}),
      };
      if (io.console) {
        pendingStdin?.destroy();
        ttyInput?.destroy();
      }
      record.running = false;
      record.exit = exit;
      writeJsonLine(sock, { exit });
      sock.end();
    };
    const wire = (stream: Readable, name: 'stdout' | 'stderr'): void => {
      let done = false;
      const end = (): void => {
        if (done) return;
        done = true;
        open--;
        finish();
      };
      stream.on('data', (chunk: Buffer) => void writeJsonLine(sock, { stream: name, data: chunk.toString('base64') }));
      stream.on('end', end);
      stream.on('close', end);
      stream.on('error', end);
    };
    for (const o of io.outputs) wire(o.stream, o.name);
    void h.exited.then(({ code, signal }) => {
      exited = { code, signal };
      setTimeout(() => {
        open = 0;
        finish();
      }, 2000).unref();
      finish();
    });
    void (async () => {
      let msg = await h.next();
      if (msg !== null && 'console' in msg && io.console) {
        const { fd } = recvFd(io.console.ours);
        master = fd;
        const streams = masterStreams(fd);
        ttyInput = streams.input;
        pendingStdin?.pipe(streams.input);
        // The count held for the pending console now stands for its output stream: the exit is
        // reported only once that stream has ended (EIO after the last byte), so no output is lost.
        wire(streams.output, 'stdout');
        msg = await h.next();
      } else if (io.console) {
        open--;
      }
      if (io.console) sysClose(io.console.ours);
      if (msg !== null && 'error' in msg) failure = msg.error;
      finish();
    })();
    for (;;) {
      const msg = await reader.next();
      if (msg === null) return;
      if (msg.op === 'stdin') stdin?.write(Buffer.from(msg.data, 'base64'));
      else if (msg.op === 'close-stdin' && !io.console) stdin?.end();
      else if (msg.op === 'resize' && master >= 0) setWinsize(master, msg.rows, msg.cols);
      else if (msg.op === 'kill' && h.pid > 0) process.kill(h.pid, msg.signal);
    }
  }

  private async attach(sock: net.Socket, reader: JsonLineReader<ShimRequest>, withStdin: boolean): Promise<void> {
    this.reply(sock, { ok: true }, false);
    if (this.state.exit) {
      writeJsonLine(sock, { exit: this.state.exit });
      sock.end();
      return;
    }
    this.attachers.add(sock);
    sock.on('close', () => this.attachers.delete(sock));
    if (!withStdin) return;
    for (;;) {
      const msg = await reader.next();
      if (msg === null) return;
      if (msg.op === 'stdin') this.stdinWriter?.write(Buffer.from(msg.data, 'base64'));
      else if (msg.op === 'close-stdin' && this.master < 0) this.stdinWriter?.end();
    }
  }
}
