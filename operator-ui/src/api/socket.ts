import { requester } from '@hotline/client/request';
import type { Result } from '@hotline/client/result';
import type { OperatorClientToServer, OperatorRequests, OperatorServerToClient } from '@hotline/protocol';
import { io, type Socket } from 'socket.io-client';

export type OperatorSocket = Socket<OperatorServerToClient, OperatorClientToServer>;

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
 * A typed request on the operator socket (the client core's `requester`): payload and ack data follow
 * from the event name. No ack (disconnected, timed out) is retryable; an `{ error }` ack is not.
 */
export function request<E extends keyof OperatorRequests & string>(
  socket: OperatorSocket,
  event: E,
  payload: OperatorRequests[E]['payload'],
): Promise<Result<OperatorRequests[E]['ack']>> {
  return requester<OperatorRequests>(() => socket)(event, payload);
}
