// What the runtime hands a shim (written to <stateDir>/shim.json before the shim starts).
import type { InitPlan } from '../init/plan.cjs';

/** A shim's configuration. */
export interface ShimConfig {
  id: string;
  stateDir: string;
  /** The unix socket the shim serves (short: at most 107 bytes). */
  socketPath: string;
  /** The json-file log. */
  logPath: string;
  /** Size rotation of the log (Docker's max-size / max-file). */
  logRotation?: { maxSize?: number; maxFiles?: number };
  plan: InitPlan;
  pidNamespace: 'new' | 'host' | { path: string };
  terminal: boolean;
  consoleSize?: { rows: number; cols: number };
  /** runc's --console-socket: the pty master is sent there (SCM_RIGHTS) and not kept by the shim. */
  consoleSocket?: string;
  /** Keep a stdin pipe open for attach (`docker run -i`); otherwise stdin is /dev/null. */
  openStdin: boolean;
}

/** File names inside a container's state dir. */
export const STATE_FILES = {
  shimConfig: 'shim.json',
  exit: 'exit.json',
  shimLog: 'shim.log',
  state: 'state.json',
  rootfs: 'rootfs',
} as const;
