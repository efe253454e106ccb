/**
 * The one error type of the routing store. Lua scripts answer negative codes; both stores map them
 * (and argument checks) to these, so callers act on `code` whatever the backend.
 */
export enum ErrorCode {
  /** The operator was never upserted (or the state was rebuilt without him). */
  OperatorNotFound = -1,
  /** Internal: the dialog moved to another queue between our read and the script; the store retries. */
  QueueMoved = -2,
  /** An id is empty or contains the reserved separator `|`, or a priority is outside 0..9. */
  InvalidArgument = -3,
  /** The script answered something this version does not understand (mixed versions sharing Redis?). */
  UnexpectedReply = -4,
  /** A dialog kept moving between queues while we tried to act on it. */
  Contention = -5,
}

export class RoutingStoreError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RoutingStoreError';
  }
}

/** The error factory: every code gets one message shape. */
export function routingStoreError(code: ErrorCode, detail: string): RoutingStoreError {
  return new RoutingStoreError(code, `${ErrorCode[code] ?? 'Unknown'}: ${detail}`);
}
