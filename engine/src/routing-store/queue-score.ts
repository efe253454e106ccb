import { ErrorCode, routingStoreError } from './routing-store-error';

/**
 * Queue order as one number (BullMQ's pattern): lower score = nearer the head. Priority 9 is served
 * first, then FIFO by a per-tenant sequence, so no clock is involved and nodes cannot skew the order.
 * Scores stay below 2^53, so doubles (JS and Lua) hold them exactly. The sequence restarts at rebuild.
 */
export const PRIORITY_SPAN = 2 ** 32;
export const MAX_PRIORITY = 9;

export function queueScore(priority: number, seq: number): number {
  return (MAX_PRIORITY - priority) * PRIORITY_SPAN + seq;
}

export function priorityOfScore(score: number): number {
  return MAX_PRIORITY - Math.floor(score / PRIORITY_SPAN);
}

export function assertPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    throw routingStoreError(ErrorCode.InvalidArgument, `priority must be an integer 0..9, got ${priority}`);
  }
}

/** `|` separates fields in stored records and lex-ordered members, so it may not appear in ids. */
export function assertId(kind: string, id: string, allowEmpty = false): void {
  if ((!allowEmpty && id.length === 0) || id.includes('|')) {
    throw routingStoreError(
      ErrorCode.InvalidArgument,
      `${kind} must be non-empty and free of '|': ${JSON.stringify(id)}`,
    );
  }
}
