// One vocabulary for what went wrong, shared by every floor. An error says what kind of failure it
// is, and callers read the kind rather than testing classes: the API maps it to an HTTP status in
// one place (api/errors.ts), so a new error cannot get the wrong status.

export type ErrorKind =
  /** The request or input is wrong; sending it again unchanged fails again. */
  | 'invalid'
  /** No credentials, or wrong ones. */
  | 'unauthorized'
  /** Credentials are fine, the action is not allowed from here. */
  | 'forbidden'
  | 'not-found'
  /** The action clashes with the current state (exists already, changed by someone else, read-only). */
  | 'conflict'
  | 'too-large'
  /** Too many attempts: wait `retryAfterS`. */
  | 'rate-limited'
  /** This process cannot do it now (busy, or the part that does it is not running here). */
  | 'unavailable'
  /** A server we called (a media server, a receiver) failed or refused. */
  | 'upstream'
  | 'insufficient-storage';

export interface AppErrorOptions {
  cause?: unknown;
  /** Seconds after which trying again may succeed. */
  retryAfterS?: number;
}

export class AppError extends Error {
  readonly retryAfterS?: number;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterS = options.retryAfterS;
  }
}
