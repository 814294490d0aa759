// Server-rendered human text Docker clients print as is (`docker ps` STATUS).

/** go-units `HumanDuration`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(Math.floor(ms / 3600000) / 24 / 365)} years`;
}

/** The state facts the status text is made of (times in ms since the epoch; 0 = never). */
export interface StatusFacts {
  running: boolean;
  paused: boolean;
  restarting: boolean;
  removing: boolean;
  dead: boolean;
  exitCode: number;
  startedAt: number;
  finishedAt: number;
  /** `starting`, `healthy`, `unhealthy`, or undefined without a health check. */
  health?: string;
}

/** moby `State.String()`: `Up 5 seconds (healthy)`, `Exited (0) 3 seconds ago`, `Created`... */
export function statusText(s: StatusFacts, now: number): string {
  if (s.running) {
    const up = humanDuration(now - s.startedAt);
    if (s.paused) return `Up ${up} (Paused)`;
    if (s.restarting) return `Restarting (${s.exitCode}) ${humanDuration(now - s.finishedAt)} ago`;
    if (s.health) return `Up ${up} (${s.health === 'starting' ? 'health: starting' : s.health})`;
    return `Up ${up}`;
  }
  if (s.removing) return 'Removal In Progress';
  if (s.dead) return 'Dead';
  if (!s.startedAt) return 'Created';
  if (!s.finishedAt) return '';
  return `Exited (${s.exitCode}) ${humanDuration(now - s.finishedAt)} ago`;
}

/** The `State` word of a container summary (`created|running|paused|restarting|removing|exited|dead`). */
export function stateWord(s: StatusFacts): string {
  if (s.running) return s.paused ? 'paused' : s.restarting ? 'restarting' : 'running';
  if (s.removing) return 'removing';
  if (s.dead) return 'dead';
  return s.startedAt ? 'exited' : 'created';
}
