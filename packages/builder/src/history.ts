/**
 * The strings docker's legacy builder writes into image history (`created_by`) and uses to probe its cache:
 * `/bin/sh -c #(nop)  CMD ["sh"]` for metadata steps, `/bin/sh -c #(nop) COPY file:<hash> in /dst ` for
 * COPY/ADD, `/bin/sh -c #(nop) WORKDIR /app`, and `|1 A=b /bin/sh -c echo hi` for RUN with build args.
 */
import { formatGoDuration } from '@tdock/core';
import type { HealthcheckSpec } from './instructions.js';

/** The shell when no SHELL instruction set one (Linux). */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The cmd a metadata step records: shell + `#(nop) ` + comment (two arguments, hence two spaces when joined). */
export function nopCmd(shell: readonly string[], comment: string): string[] {
  return [...shell, '#(nop) ', comment];
}

/** The single-argument form used by WORKDIR, COPY and ADD (one space). */
export function nopCmdString(shell: readonly string[], comment: string): string[] {
  return [...shell, '#(nop) ' + comment];
}

/** `created_by` is the step's container cmd joined by spaces. */
export function createdBy(cmd: readonly string[]): string {
  return cmd.join(' ');
}

/** The comment of a COPY/ADD step: `COPY [--chown=u ]<srcHash> in <dest> ` (the trailing space is docker's). */
export function copyComment(cmdName: 'COPY' | 'ADD', chown: string, srcHash: string, dest: string): string {
  return `${cmdName} ${chown !== '' ? `--chown=${chown} ` : ''}${srcHash} in ${dest} `;
}

/**
 * RUN's recorded cmd: with build args in scope, `|N K=v ...` (sorted, proxy args only when declared) before the
 * command.
 */
export function runSaveCmd(cmd: readonly string[], buildArgEnv: readonly string[], keep: (key: string) => boolean): string[] {
  if (buildArgEnv.length === 0) return [...cmd];
  const kept = buildArgEnv.filter((e) => keep(e.includes('=') ? e.slice(0, e.indexOf('=')) : e)).sort();
  return [`|${kept.length}`, ...kept, ...cmd];
}

/** Go's `%+v` of a health config pointer, as the HEALTHCHECK comment prints it. */
export function healthcheckComment(h: HealthcheckSpec): string {
  return `HEALTHCHECK &{Test:[${h.test.join(' ')}] Interval:${formatGoDuration(h.interval)} Timeout:${formatGoDuration(h.timeout)} ` +
    `StartPeriod:${formatGoDuration(h.startPeriod)} StartInterval:${formatGoDuration(h.startInterval)} Retries:${h.retries}}`;
}
