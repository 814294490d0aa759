// Health checks (moby daemon/health.go): the image's or the container's Healthcheck run with exec
// every Interval; status, failing streak and the last five results are kept in State.Health, and a
// status change is published as `health_status: <status>`.
import type { Runtime } from '@tdock/runtime';
import type { HealthConfig } from '../api/types.js';
import { nowNano, type ContainerRecord } from './records.js';

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const MAX_OUTPUT = 4096;
const KEEP_RESULTS = 5;

const nsToMs = (ns: number | undefined, dflt: number): number => (ns && ns > 0 ? ns / 1e6 : dflt);

/** The probe command of a Healthcheck, or undefined for none (`NONE`, empty). */
export function probeCommand(h: HealthConfig | undefined): string[] | undefined {
  const t = h?.Test;
  if (!t || t.length === 0 || t[0] === 'NONE') return undefined;
  if (t[0] === 'CMD') return t.slice(1);
  if (t[0] === 'CMD-SHELL') return ['/bin/sh', '-c', t.slice(1).join(' ')];
  return t;
}

/** Runs the health checks of running containers. */
export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly d: {
    runtime: Runtime;
    save: (rec: ContainerRecord) => Promise<void>;
    event: (rec: ContainerRecord, action: string) => void;
    current: (id: string) => ContainerRecord | undefined;
  }) {}

  /** Starts probing a container that just started (or was restored running). */
  start(rec: ContainerRecord): void {
    this.stop(rec.Id);
    const cmd = probeCommand(rec.Config.Healthcheck);
    if (!cmd) return;
    const h = rec.Config.Healthcheck ?? {};
    if (!rec.State.Health) rec.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    const startedAt = Date.now();
    const interval = nsToMs(h.Interval, DEFAULT_INTERVAL_MS);
    const startInterval = nsToMs(h.StartInterval, interval);
    const schedule = (): void => {
      const inStart = Date.now() - startedAt < nsToMs(h.StartPeriod, 0);
      const t = setTimeout(() => void probe().finally(() => this.timers.has(rec.Id) && schedule()), inStart ? startInterval : interval);
      t.unref();
      this.timers.set(rec.Id, t);
    };
    const probe = async (): Promise<void> => {
      const cur = this.d.current(rec.Id);
      if (!cur || !cur.State.Running || cur.State.Paused || !cur.State.Health) return;
      const start = nowNano();
      let out = '';
      let code = -1;
      try {
        const session = await this.d.runtime.exec(cur.Id, { args: cmd, tty: false, stdin: false });
        const timer = setTimeout(() => session.kill('SIGKILL'), nsToMs(h.Timeout, DEFAULT_TIMEOUT_MS));
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
      } catch (err) {
        out = (err as Error).message;
      }
      const health = cur.State.Health;
      const before = health.Status;
      health.Log = [...health.Log, { Start: start, End: nowNano(), ExitCode: code, Output: out.slice(0, MAX_OUTPUT) }].slice(-KEEP_RESULTS);
      if (code === 0) {
        health.FailingStreak = 0;
        health.Status = 'healthy';
      } else {
        const inStart = Date.now() - startedAt < nsToMs(h.StartPeriod, 0);
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
