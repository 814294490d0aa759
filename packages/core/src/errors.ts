/**
 * The closed set of error kinds every package throws (DESIGN §7, §10.2). The engine maps a kind to an
 * HTTP status in one place and the CLI maps it to an exit code in one place; both mappings are tested
 * to cover every kind. The set mirrors moby's errdefs.
 */
export const ERROR_KINDS = [
  'not-found',
  'conflict',
  'invalid-argument',
  'unauthorized',
  'forbidden',
  'unavailable',
  'not-implemented',
  'not-modified',
  'internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** An error with a kind. `message` is user-facing (Docker's wording where Docker has one). */
export class TdockError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'TdockError';
  }
}

/** The kind of any thrown value: a TdockError's own kind, `internal` for anything else. */
export function errorKindOf(err: unknown): ErrorKind {
  if (err instanceof TdockError) return err.kind;
  if (typeof err === 'object' && err !== null && 'kind' in err) {
    const kind = (err as { kind: unknown }).kind;
    if (typeof kind === 'string' && (ERROR_KINDS as readonly string[]).includes(kind)) return kind as ErrorKind;
  }
  return 'internal';
}

export const notFound = (message: string, cause?: unknown): TdockError => new TdockError('not-found', message, { cause });
export const conflict = (message: string, cause?: unknown): TdockError => new TdockError('conflict', message, { cause });
export const invalidArgument = (message: string, cause?: unknown): TdockError =>
  new TdockError('invalid-argument', message, { cause });
export const notImplemented = (message: string, cause?: unknown): TdockError =>
  new TdockError('not-implemented', message, { cause });
