// Health checks (moby daemon/health.go): the image's or the container's Healthcheck run with exec
// every Interval (StartInterval while starting within StartPeriod); status, failing streak and the
// last five results are kept in State.Health, each probe is an exec with its exec_create/exec_start/
// exec_die events, and a status change is published as `health_status: <status>`.
import { formatGoDuration } from '@tdock/core';
import type { Runtime } from '@tdock/runtime';
import type { HealthConfig } from '../api/types.js';
import { randomId } from './names.js';
import { nowNano, type ContainerRecord } from './records.js';
import { resolveContainerUser } from './container-create.js';

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const DEFAULT_RETRIES = 3;
const MAX_OUTPUT = 4096;
const KEEP_RESULTS = 5;

const nsToMs = (ns: number | undefined, dflt: number): number => (ns && ns > 0 ? ns / 1e6 : dflt);

/** The probe command of a Healthcheck, or undefined for none (`NONE`, empty, an unknown type); CMD-SHELL runs in `shell` (Config.Shell). */
export function probeCommand(h: HealthConfig | undefined, shell?: string[]): string[] | undefined {
  const t = h?.Test;
  if (!t || t.length < 2) return undefined;
  if (t[0] === 'CMD') return t.slice(1);
  if (t[0] === 'CMD-SHELL') return [...(shell?.length ? shell : ['/bin/sh', '-c']), ...t.slice(1)];
  return undefined;
}

/** The text of a probe that ran past its Timeout (moby: `Health check exceeded timeout (1s)[: output]`). */
export function timeoutOutput(timeoutMs: number, out: string): string {
  const d = formatGoDuration(timeoutMs * 1e6);
  return out ? `Health check exceeded timeout (${d}): ${out}` : `Health check exceeded timeout (${d})`;
}

/** Runs the health checks of running containers. */
export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly d: {
    runtime: Runtime;
    save: (rec: ContainerRecord) => Promise<void>;
    event: (rec: ContainerRecord, action: string, attributes?: Record<string, string>) => void;
    current: (id: string) => ContainerRecord | undefined;
  }) {}

  /** Starts probing a container that just started (or was restored running). */
  start(rec: ContainerRecord): void {
    this.stop(rec.Id);
    const cmd = probeCommand(rec.Config.Healthcheck, rec.Config.Shell);
    if (!cmd) return;
    const h = rec.Config.Healthcheck ?? {};
    if (!rec.State.Health) rec.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    const startedAt = Date.parse(rec.State.StartedAt) || Date.now();
    const interval = nsToMs(h.Interval, DEFAULT_INTERVAL_MS);
    const startInterval = nsToMs(h.StartInterval, DEFAULT_START_INTERVAL_MS);
    const startPeriod = nsToMs(h.StartPeriod, 0);
    const timeout = nsToMs(h.Timeout, DEFAULT_TIMEOUT_MS);
    const label = `${cmd[0]} ${cmd.slice(1).join(' ')}`;
    const schedule = (): void => {
      // moby getInterval: StartInterval only while still starting inside the start period.
      const starting = Date.now() - startedAt < startPeriod && this.d.current(rec.Id)?.State.Health?.Status === 'starting';
      const t = setTimeout(() => void probe().finally(() => this.timers.has(rec.Id) && schedule()), starting ? startInterval : interval);
      t.unref();
      this.timers.set(rec.Id, t);
    };
    const probe = async (): Promise<void> => {
      const cur = this.d.current(rec.Id);
      if (!cur || !cur.State.Running || cur.State.Restarting || cur.State.Paused || !cur.State.Health) return;
      const startMs = Date.now();
      const start = nowNano(startMs);
      let out = '';
      let code = -1;
      let timedOut = false;
      const execID = randomId();
      try {
        this.d.event(cur, `exec_create: ${label}`, { execID });
        const user = cur.Config.User;
        const session = await this.d.runtime.exec(cur.Id, {
          args: cmd, tty: false, stdin: false,
          ...(cur.Config.WorkingDir ? { cwd: cur.Config.WorkingDir } : {}), ...(user ? { user: resolveContainerUser(cur, user) } : {}),
        });
        this.d.event(cur, `exec_start: ${label}`, { execID });
        const timer = setTimeout(() => {
          timedOut = true;
          session.kill('SIGKILL');
        }, timeout);
        try {
          for (;;) {
            const f = await session.next();
            if (f === null) break;
            if ('exit' in f) {
              code = f.exit.exitCode;
              break;
            }
            if (out.length < MAX_OUTPUT) out += Buffer.from(f.data, 'base64').toString();
          }
        } finally {
          clearTimeout(timer);
          session.close();
        }
        this.d.event(cur, 'exec_die', { execID, exitCode: String(code) });
        if (timedOut) {
          code = -1;
          out = timeoutOutput(timeout, out.slice(0, MAX_OUTPUT));
        }
      } catch (err) {
        code = -1;
        out = (err as Error).message;
      }
      if (this.timers.get(rec.Id) === undefined) return; // stopped while probing: the result is dropped, as moby's
      const health = cur.State.Health;
      const before = health.Status;
      health.Log = [...health.Log, { Start: start, End: nowNano(), ExitCode: code, Output: out.slice(0, MAX_OUTPUT) }].slice(-KEEP_RESULTS);
      if (code === 0) {
        health.FailingStreak = 0;
        health.Status = 'healthy';
      } else {
        const inStart = startMs - startedAt < startPeriod;
        if (!inStart || before !== 'starting') {
          health.FailingStreak++;
          if (health.FailingStreak >= (h.Retries && h.Retries > 0 ? h.Retries : DEFAULT_RETRIES)) health.Status = 'unhealthy';
        }
      }
      await this.d.save(cur);
      if (health.Status !== before) this.d.event(cur, `health_status: ${health.Status}`);
    };
    schedule();
  }

  stop(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }
}
