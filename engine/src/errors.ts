import type { ErrorBody, ErrorCode } from '@hotline/protocol';
import { ErrorCode as StoreCode, RoutingStoreError } from './routing-store/routing-store-error';

const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** The one error type of the engine: a code clients act on, an HTTP status, and optionally the field at fault. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** Every problem when there are several (e.g. a routing config's validation errors). */
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
  }

  get status(): number {
    return statusOf[this.code];
  }

  toBody(): ErrorBody & { details?: { path: string; message: string }[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field ? { field: this.field } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** `rate_limited`, with how long the client should wait before trying the same action again. */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterMs: number,
    message = `too many requests, try again in ${Math.ceil(retryAfterMs / 1000)} s`,
  ) {
    super('rate_limited', message);
  }

  override toBody() {
    return { ...super.toBody(), retryAfterMs: this.retryAfterMs };
  }
}

export const badRequest = (message: string, field?: string) => new AppError('bad_request', message, field);
export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'not allowed') => new AppError('forbidden', message);
export const conflict = (message: string) => new AppError('conflict', message);

/** Turns a zod error into an AppError naming the first field, with every issue in details. */
export function fromZodIssues(
  issues: { path: PropertyKey[]; message: string; keys?: readonly string[] }[],
): AppError {
  // An unknown key is the field at fault (zod reports it on the object holding it).
  const details = issues.map((i) => ({
    path: [...i.path, ...(i.keys?.slice(0, 1) ?? [])].map(String).join('.'),
    message: i.message,
  }));
  const first = details[0] ?? { path: '', message: 'invalid payload' };
  return new AppError(
    'bad_request',
    first.path ? `${first.path}: ${first.message}` : first.message,
    first.path || undefined,
    details,
  );
}

/** Best-effort detection of "the database is down" so callers get 503 rather than 500. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' ||
    code === '57P03' ||
    /Knex: Timeout acquiring a connection|Connection terminated|connect ECONNREFUSED/.test(message)
  );
}

/** What a client may do about each routing store failure. */
const storeErrors: Record<StoreCode, { code: ErrorCode; message: string }> = {
  // The routing state was lost and is being rebuilt from Postgres: a retry shortly succeeds.
  [StoreCode.OperatorNotFound]: {
    code: 'unavailable',
    message: 'the routing state is being rebuilt; try again shortly',
  },
  [StoreCode.QueueMoved]: { code: 'conflict', message: 'the dialog moved meanwhile; try again' },
  [StoreCode.Contention]: { code: 'conflict', message: 'the dialog moved meanwhile; try again' },
  [StoreCode.InvalidArgument]: { code: 'bad_request', message: 'an id or priority is not valid' },
  // Another engine version shares this Redis (a rolling deploy): retry, most likely on a new node.
  [StoreCode.UnexpectedReply]: { code: 'unavailable', message: 'the routing store answered unexpectedly' },
};

/**
 * The one place a failure becomes a protocol code: REST (the error middleware) and socket acks
 * (ackHandler) both answer with this. Anything not named here is `internal`, its detail only logged.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof RoutingStoreError) {
    const mapped = storeErrors[error.code];
    if (mapped) return new AppError(mapped.code, mapped.message);
  }
  if (isUnavailable(error)) return new AppError('unavailable', 'storage is unavailable, try again shortly');
  return new AppError('internal', 'internal error');
}
