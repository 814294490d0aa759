import { errorKindOf, type ErrorKind } from '@tdock/core';

/**
 * An error that ends the CLI with a given exit status and message, as docker's cli.StatusError:
 * 125 for usage errors and for daemon errors in run/create, 126/127 for a program that cannot be
 * invoked or found, otherwise the container's code or 1.
 */
export class StatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

/** The CLI exit status for each error kind when a command fails outside `run` (docker exits 1). */
export const EXIT_BY_KIND: Record<ErrorKind, number> = {
  'not-found': 1,
  conflict: 1,
  'invalid-argument': 1,
  unauthorized: 1,
  forbidden: 1,
  unavailable: 1,
  'not-implemented': 1,
  'not-modified': 0,
  internal: 1,
};

/** Docker's mapping of a failed start to an exit status (docker/cli run.go toStatusError). */
export function startErrorStatus(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory')) return 127;
  if (message.includes('permission denied')) return 126;
  return 125;
}

/** An error from dockerode/docker-modem, which carries the HTTP status and the decoded body. */
interface ModemError {
  statusCode?: number;
  json?: unknown;
  reason?: string;
  code?: string;
  message?: string;
}

/** The `message` of an error body, which docker-modem leaves parsed, as a string or as a Buffer. */
function jsonMessage(json: unknown): string | undefined {
  if (json && typeof json === 'object' && !Buffer.isBuffer(json)) return (json as { message?: string }).message;
  const text = Buffer.isBuffer(json) ? json.toString() : typeof json === 'string' ? json : undefined;
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text.trim();
  }
}

/** The daemon's message for an API error ("No such container: x"), or the error's own message. */
export function daemonMessage(err: unknown): string {
  const e = err as ModemError;
  if (e && typeof e === 'object' && e.statusCode !== undefined) {
    const fromText = /^\(HTTP code \d+\) [^-]*- (.+)$/s.exec(e.message ?? '')?.[1]?.trim();
    const msg = jsonMessage(e.json) ?? (fromText || undefined) ?? e.reason ?? e.message ?? 'unknown error';
    return `Error response from daemon: ${msg}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** True when the error means the daemon's socket did not answer. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as ModemError)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET';
}

/** The exit status for any error a command throws. */
export function exitStatusOf(err: unknown): number {
  if (err instanceof StatusError) return err.status;
  const e = err as ModemError;
  if (e && typeof e === 'object' && e.statusCode !== undefined) return e.statusCode === 304 ? 0 : 1;
  return EXIT_BY_KIND[errorKindOf(err)];
}
