// Restart policies (moby daemon/internal/restartmanager): whether an exited container is started
// again, and after how long. The backoff starts at 100 ms and doubles up to one minute for each
// restart in a row; a run of 10 s or more sets it back to 100 ms. It lives in memory, per
// container, like dockerd's restart manager (a daemon restart or a `docker start` resets it).
import { invalidArgument } from '@tdock/core';
import type { RestartPolicy } from '../api/types.js';

export const RESTART_BACKOFF_MIN_MS = 100;
export const RESTART_BACKOFF_MAX_MS = 60_000;
/** A run at least this long resets the backoff. */
export const RESTART_RESET_AFTER_MS = 10_000;

/** The facts a restart decision is made from. */
export interface ExitFacts {
  exitCode: number;
  /** `docker stop`/`kill` (or daemon shutdown) ended it. */
  manuallyStopped: boolean;
  /** RestartCount before this exit. */
  restartCount: number;
}

/** moby RestartManager.ShouldRestart's policy part. */
export function shouldRestart(policy: RestartPolicy | undefined, f: ExitFacts): boolean {
  const name = policy?.Name ?? '';
  switch (name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !f.manuallyStopped;
    case 'on-failure': {
      const max = policy?.MaximumRetryCount ?? 0;
      return (max === 0 || f.restartCount < max) && f.exitCode !== 0;
    }
    default:
      return false; // '', 'no'
  }
}

/** The next backoff after `previous` (0 when none yet) for a run of `ranMs`. */
export function nextBackoff(previous: number, ranMs: number): number {
  const prev = ranMs >= RESTART_RESET_AFTER_MS ? 0 : previous;
  if (prev === 0) return RESTART_BACKOFF_MIN_MS;
  return Math.min(RESTART_BACKOFF_MAX_MS, prev * 2);
}

/** moby containertypes.ValidateRestartPolicy (an empty name, "leave it", passes). */
export function validateRestartPolicy(p: RestartPolicy | undefined): void {
  const name = p?.Name ?? '';
  const count = p?.MaximumRetryCount ?? 0;
  switch (name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (count !== 0) throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'${count < 0 ? ' and cannot be negative' : ''}`);
      return;
    case 'on-failure':
      if (count < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
      return;
    case '':
      return;
    default:
      throw invalidArgument(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}
