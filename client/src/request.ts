/**
 * Socket requests typed by the protocol: the payload and the acknowledgement's data follow from the
 * event name (`ask('presence:set', { status })` gives `Result<OperatorSelf>`); the caller never picks a type.
 */
import type { AckCallback, RequestTable } from '@hotline/protocol';
import { type Result, unanswered } from './result';

export const ACK_TIMEOUT_MS = 10_000;

/**
 * The part of a socket.io client socket a request needs. A `Socket<…, ClientEvents<R>>` is one: the
 * protocol's event maps are mapped types, so this signature matches socket.io's for every event.
 */
export interface RequestSocket<R extends RequestTable<R>> {
  readonly connected: boolean;
  emit<E extends keyof R & string>(
    event: E,
    payload: R[E]['payload'],
    ack: AckCallback<R[E]['ack']>,
  ): unknown;
}

export type Ask<R extends RequestTable<R>> = <E extends keyof R & string>(
  event: E,
  payload: R[E]['payload'],
) => Promise<Result<R[E]['ack']>>;

/**
 * Emits with an acknowledgement and a timeout. Not connected, or no ack in time: `retryable` (the
 * same request may be sent again; message sends carry a client id, so a resend is stored once). An
 * `{ error }` ack is the engine's answer: not retryable.
 */
export function requester<R extends RequestTable<R>>(
  socket: () => RequestSocket<R> | null,
  timeoutMs = ACK_TIMEOUT_MS,
): Ask<R> {
  return (event, payload) =>
    new Promise((resolve) => {
      const current = socket();
      if (!current?.connected) {
        resolve(unanswered('Not connected to the engine.'));
        return;
      }
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        resolve(unanswered('The engine did not answer in time.'));
      }, timeoutMs);
      current.emit(event, payload, (response) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(
          'error' in response
            ? { ok: false, retryable: false, error: response.error }
            : { ok: true, data: response.data },
        );
      });
    });
}
