import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import { type AppError, badRequest, fromZodIssues, toAppError } from '../errors';
import { type Logger, whileHandling } from '../logger';
import type { Ack } from '@hotline/protocol';

/**
 * The largest socket.io frame the engine reads (`maxHttpBufferSize`). A frame above it closes the
 * connection (socket.io cannot read it); anything up to it gets an acknowledgement.
 */
export const SOCKET_FRAME_LIMIT_BYTES = 1_100_000;
/** The largest event payload (as JSON) the engine handles; a larger one is answered `bad_request`. */
export const SOCKET_PAYLOAD_LIMIT_BYTES = 64 * 1024;

type Reply<T> = (response: Ack<T>) => void;

/**
 * socket.io hands a handler the emitted arguments with the client's callback last: `(payload, cb)`,
 * or only `(cb)` when the client sent no payload, or `(payload)` without a callback.
 */
export function splitArguments<T>(args: unknown[]): { payload: unknown; reply: Reply<T> } {
  const last = args[args.length - 1];
  const reply = typeof last === 'function' ? (last as Reply<T>) : () => {};
  const payload = typeof args[0] === 'function' ? undefined : args[0];
  return { payload, reply };
}

/** Why a payload is too large to handle, or null. JSON size; one too deep to serialise is too large too. */
function oversized(payload: unknown): AppError | null {
  let size: number;
  try {
    size = payload === undefined ? 0 : Buffer.byteLength(JSON.stringify(payload) ?? '');
  } catch {
    return badRequest('payload is nested too deeply', 'payload');
  }
  return size > SOCKET_PAYLOAD_LIMIT_BYTES
    ? badRequest(`payload is ${size} bytes; at most ${SOCKET_PAYLOAD_LIMIT_BYTES}`, 'payload')
    : null;
}

/**
 * Wraps a socket event handler: checks the payload's size, validates it with zod, runs the use case,
 * acks `{ data }` or `{ error: { code, field, message } }`. A bad payload never drops the connection.
 * Each event gets an id: `work` receives a child logger carrying it (`eventId`), so every line logged
 * while handling the event names it.
 */
export function ackHandler<S extends z.ZodType, T>(
  logger: Logger,
  schema: S,
  work: (input: z.infer<S>, log: Logger) => Promise<T>,
) {
  return (...args: unknown[]) => answer(logger, schema, args, work);
}

/** An event's handling, given the socket it came on and the emitted arguments (payload, callback). */
export type SocketEventHandler<S> = (socket: S, args: unknown[]) => Promise<void>;

/**
 * ackHandler for a table of handlers built once per namespace and shared by all its sockets: `work`
 * is told the socket, so an idle socket holds no closure per event (docs/capacity.md, memory).
 */
export function sharedAckHandler<Sock, S extends z.ZodType, T>(
  logger: Logger,
  schema: S,
  work: (socket: Sock, input: z.infer<S>, log: Logger) => Promise<T>,
): SocketEventHandler<Sock> {
  return (socket, args) => answer(logger, schema, args, (input, log) => work(socket, input, log));
}

async function answer<S extends z.ZodType, T>(
  logger: Logger,
  schema: S,
  args: unknown[],
  work: (input: z.infer<S>, log: Logger) => Promise<T>,
): Promise<void> {
  // Every line logged while it is handled, down to the services, carries the event's id.
  return whileHandling({ eventId: randomUUID() }, async () => {
    const { payload, reply } = splitArguments<T>(args);
    const tooLarge = oversized(payload);
    if (tooLarge) {
      reply({ error: tooLarge.toBody() });
      return;
    }
    const parsed = schema.safeParse(payload ?? {});
    if (!parsed.success) {
      reply({ error: fromZodIssues(parsed.error.issues).toBody() });
      return;
    }
    try {
      reply({ data: await work(parsed.data, logger) });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'internal') logger.error({ err: error }, 'socket handler failed');
      else if (appError.code === 'unavailable') logger.warn({ err: error }, 'socket handler: unavailable');
      else logger.debug({ code: appError.code, field: appError.field }, 'socket event refused');
      reply({ error: appError.toBody() });
    }
  });
}

/**
 * The one listener of every socket of a namespace, for all its events: socket.io calls an `onAny`
 * listener with the socket as `this`, so one function serves every socket and an idle socket holds
 * no closure of ours. An event neither in the table nor listened to with `socket.on`, sent with a
 * callback, is answered `bad_request` rather than never.
 */
export function eventDispatcher<Sock extends { eventNames(): (string | symbol)[] }>(
  handlers: ReadonlyMap<string, SocketEventHandler<Sock>>,
) {
  return function dispatch(this: Sock, event: string, ...args: unknown[]) {
    const handler = handlers.get(event);
    if (handler) void handler(this, args);
    else if (!this.eventNames().includes(event)) answerUnknown(event, args);
  };
}

function answerUnknown(event: string, args: unknown[]) {
  const { reply } = splitArguments<never>(args);
  reply({ error: badRequest(`unknown event ${String(event).slice(0, 64)}`, 'event').toBody() });
}

/** An event this namespace does not know, sent with a callback, is answered `bad_request` rather than never. */
export function answerUnknownEvents(socket: Socket) {
  socket.onAny((event: string, ...args: unknown[]) => {
    if (socket.listeners(event).length === 0) answerUnknown(event, args);
  });
}
