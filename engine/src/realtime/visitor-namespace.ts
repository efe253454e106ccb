import { acceptLanguages } from '@hotline/routing-rules';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import { forbidden, toAppError } from '../errors';
import { clientAddress } from '../http/client-address';
import { MemoryLocks } from '../locks/dialog-locks';
import type { Logger } from '../logger';
import {
  AttachmentPrepareSchema,
  VisitorCallbackSchema,
  ContactSchema,
  DialogStartSchema,
  type InterServerEvents,
  PageChangeSchema,
  TypingSchema,
  VisitorAuthSchema,
  type VisitorClientToServer,
  VisitorCloseSchema,
  VisitorMessageSchema,
  type VisitorServerToClient,
} from '@hotline/protocol';
import type { VisitorIdentity, VisitorService } from '../services/visitor-service';
import { eventDispatcher, type SocketEventHandler, sharedAckHandler, splitArguments } from './ack-handler';
import { visitorRoom } from './notifier';
import { tokenKey, type VisitorAction, type VisitorLimits } from './visitor-limits';

export interface VisitorSocketData extends VisitorIdentity {
  token: string;
  /** The client address the limits and address blocks count by. */
  address: string;
  /** He was minted at this handshake: he has no dialog yet, so nothing of his is read on connect. */
  minted: boolean;
}

const notAvailable = () => forbidden('this chat is not available');

export type VisitorNamespace = Namespace<
  VisitorClientToServer,
  VisitorServerToClient,
  InterServerEvents,
  VisitorSocketData
>;
type VisitorSocket = Socket<
  VisitorClientToServer,
  VisitorServerToClient,
  InterServerEvents,
  VisitorSocketData
>;

const identity = (socket: VisitorSocket): VisitorIdentity => ({
  visitorId: socket.data.visitorId,
  siteId: socket.data.siteId,
});

/**
 * `/visitor`: the handshake identifies the visitor by his token (or issues one); each socket joins
 * the visitor's room, so every tab of his sees the same dialog.
 */
export function registerVisitorNamespace(
  namespace: VisitorNamespace,
  deps: {
    visitors: VisitorService;
    logger: Logger;
    limits: VisitorLimits;
    /** TRUST_PROXY: how many proxies' X-Forwarded-For to believe for the visitor's address. */
    trustProxy: number;
  },
) {
  const { visitors, logger, limits } = deps;
  // One event of each kind per visitor at a time (all his tabs on this node): the few a flood gets
  // past the limits wait here, not in his dialog's lock queue ahead of his operator's reply. Kinds
  // still run side by side, so a reopen and a start from two tabs race on his row lock as before.
  const perVisitor = new MemoryLocks();

  // Limits first (no database work for a refused handshake), then the address block, then the token.
  namespace.use(async (socket, next) => {
    const auth = VisitorAuthSchema.safeParse(socket.handshake.auth ?? {});
    if (!auth.success)
      return next(
        Object.assign(new Error('bad visitor auth: siteId is required'), {
          data: { code: 'bad_request', field: 'siteId' },
        }),
      );
    const address = clientAddress(socket.handshake, deps.trustProxy);
    const { visitorToken } = auth.data;
    // The token a token-less handshake counts up front, until a visitor is minted for it: a handshake
    // refused before that (address blocked, unknown site) gives it back.
    let unusedToken = false;
    try {
      // Without a token he is minted one: both counters in one round trip.
      if (visitorToken) await limits.consume('handshake', { visitor: tokenKey(visitorToken), address });
      else {
        await limits.consumeMinting(address);
        unusedToken = true;
      }
      if (await visitors.isAddressBlocked(address)) throw notAvailable();
      const { visitor, token, minted } = await visitors.identify(
        auth.data,
        {
          userAgent: socket.handshake.headers['user-agent'] ?? null,
          ip: address,
          language: acceptLanguages(socket.handshake.headers['accept-language'])[0] ?? null,
        },
        // Minting: an unknown token is counted now; a token-less handshake's token is used now.
        async () => {
          if (visitorToken) await limits.consume('token', { address });
          unusedToken = false;
        },
      );
      if (visitor.blockedAt) throw notAvailable();
      socket.data = { visitorId: visitor.id, siteId: auth.data.siteId, token, address, minted };
      next();
    } catch (error) {
      if (unusedToken) await limits.giveBackToken(address);
      const appError = toAppError(error);
      const { details: _details, ...data } = appError.toBody();
      next(Object.assign(new Error(appError.message), { data }));
    }
  });

  // One table for every visitor socket (an idle socket holds none of these closures).
  const handlers = new Map<string, SocketEventHandler<VisitorSocket>>();
  /** Counts the event against the visitor's and his address's limits before any other work. */
  const limited =
    (action: VisitorAction, handler: SocketEventHandler<VisitorSocket>): SocketEventHandler<VisitorSocket> =>
    // The arguments go on untouched: an event sent with only a callback is still answered (ackHandler).
    async (socket, args) => {
      const { visitorId, address } = socket.data;
      try {
        await limits.consume(action, { visitor: visitorId, address });
      } catch (error) {
        splitArguments<never>(args).reply({ error: toAppError(error).toBody() });
        return;
      }
      await perVisitor.withLock(`${visitorId}:${action}`, () => handler(socket, args));
    };
  const on = <S extends z.ZodType, T>(
    event: keyof VisitorClientToServer,
    action: VisitorAction,
    schema: S,
    work: (socket: VisitorSocket, input: z.infer<S>) => Promise<T>,
  ) => handlers.set(event, limited(action, sharedAckHandler(logger, schema, work)));

  on('session:resume', 'event', z.unknown(), (socket) =>
    visitors.session(socket.data.visitorId, socket.data.token),
  );

  on('dialog:start', 'start', DialogStartSchema, (socket, input) =>
    visitors.start(identity(socket), input, {
      language: acceptLanguages(socket.handshake.headers['accept-language'])[0] ?? null,
    }),
  );

  // Its change pushes it to his other tabs, the holder and supervisors.
  on('message:send', 'message', VisitorMessageSchema, (socket, input) =>
    visitors.sendMessage(identity(socket), input),
  );

  on('typing:set', 'event', TypingSchema, async (socket, { typing }) => {
    await visitors.typing(identity(socket), typing);
    return null;
  });

  on('contact:leave', 'event', ContactSchema, (socket, input) =>
    visitors.leaveContact(identity(socket), input),
  );

  on('callback:request', 'start', VisitorCallbackSchema, (socket, input) =>
    visitors.requestCallback(
      identity(socket),
      { phone: input.phone, preferredTime: input.preferredTime },
      input.page ?? { url: '' },
    ),
  );

  on('dialog:close', 'event', VisitorCloseSchema, async (socket, { rating }) => {
    await visitors.close(identity(socket), rating);
    return null;
  });

  // A slot for a file in his dialog (the open one, or the latest while writing would reopen it).
  on('attachment:prepare', 'attachment', AttachmentPrepareSchema, (socket, input) =>
    visitors.prepareAttachment(identity(socket), input),
  );

  on('page:change', 'event', PageChangeSchema, async (socket, page) => {
    await visitors.pageChange(identity(socket), page);
    return null;
  });

  const dispatch = eventDispatcher(handlers);
  namespace.on('connection', (socket) => {
    void socket.join(visitorRoom(socket.data.visitorId));
    socket.onAny(dispatch);
  });
}
