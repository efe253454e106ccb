import type {
  Ack,
  ErrorBody,
  OperatorClientToServer,
  OperatorServerToClient,
} from '@hotline/engine/protocol';
import { io, type Socket } from 'socket.io-client';

export type OperatorSocket = Socket<OperatorServerToClient, OperatorClientToServer>;

type AckData<E extends keyof OperatorClientToServer> = Parameters<OperatorClientToServer[E]>[1] extends
  | ((response: Ack<infer T>) => void)
  | undefined
  ? T
  : never;

export type AckResult<T> = { ok: true; data: T } | { ok: false; retryable: boolean; error: ErrorBody };

/** Connects to `/operator` on the page's origin; the session cookie authenticates it. */
export function connectOperatorSocket(): OperatorSocket {
  return io('/operator', {
    withCredentials: true,
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    transports: ['websocket', 'polling'],
  });
}

/**
 * Emits with an acknowledgement and a timeout. A missing ack (disconnected, timed out) is retryable;
 * an `{ error }` ack is the engine's answer and is not.
 */
export function request<E extends keyof OperatorClientToServer>(
  socket: OperatorSocket,
  event: E,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<AckResult<AckData<E>>> {
  if (!socket.connected) {
    return Promise.resolve({
      ok: false,
      retryable: true,
      error: { code: 'unavailable', message: 'Not connected to the engine.' },
    });
  }
  return new Promise((resolve) => {
    const timed = socket.timeout(timeoutMs) as unknown as {
      emit(
        event: string,
        payload: unknown,
        ack: (err: Error | null, response?: Ack<AckData<E>>) => void,
      ): void;
    };
    timed.emit(event, payload, (err, response) => {
      if (err || !response) {
        resolve({
          ok: false,
          retryable: true,
          error: { code: 'unavailable', message: 'The engine did not answer in time.' },
        });
      } else if ('error' in response) {
        resolve({ ok: false, retryable: false, error: response.error });
      } else {
        resolve({ ok: true, data: response.data });
      }
    });
  });
}
