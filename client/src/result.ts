import type { ErrorBody } from '@hotline/protocol';

/**
 * What a client gets from the engine: the data, or why not. `retryable` is true when no answer came
 * (not connected, disconnected, timed out) and the same request may succeed later; false when the
 * engine answered with an error.
 */
export type Result<T> = { ok: true; data: T } | { ok: false; retryable: boolean; error: ErrorBody };

/** No answer from the engine: the request may be tried again. */
export function unanswered(message: string): Result<never> {
  return { ok: false, retryable: true, error: { code: 'unavailable', message } };
}
