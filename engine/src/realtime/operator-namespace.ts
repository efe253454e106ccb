import type { Namespace } from 'socket.io';
import { z } from 'zod';
import type { AuthService } from '../accounts/auth-service';
import type { Operator } from '../accounts/operator-repository';
import { SESSION_COOKIE } from '../accounts/sessions';
import { AppError, toAppError } from '../errors';
import type { Logger } from '../logger';
import {
  AssignSchema,
  BlockSchema,
  CloseSchema,
  DialogRefSchema,
  type InterServerEvents,
  type OperatorClientToServer,
  OperatorAttachmentPrepareSchema,
  OperatorMessageSchema,
  type OperatorServerToClient,
  OperatorTypingSchema,
  PresenceSchema,
  TransferSchema,
} from '@hotline/protocol';
import type { OperatorService } from '../services/operator-service';
import type { RoutingStore } from '../routing-store/routing-store';
import { ackHandler, answerUnknownEvents } from './ack-handler';
import { operatorRoom, SUPERVISORS_ROOM } from './notifier';

export interface OperatorSocketData {
  operator: Operator;
  /** The session that opened this socket; revoking it disconnects the socket (room `session:<sid>`). */
  sessionId: string;
  sessionExpiresAt: Date;
}

export type OperatorNamespace = Namespace<
  OperatorClientToServer,
  OperatorServerToClient,
  InterServerEvents,
  OperatorSocketData
>;

/** How long a socket acts on its session's last read before reading it again (see the connection). */
export const SESSION_RECHECK_MS = 2000;

/** Every socket of one session, on every node (the Redis adapter carries room operations). */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * `/operator`: authenticated by the session cookie or `auth.token`. An operator acts only on
 * dialogs assigned to him; supervisors also join the supervisors' room (all dialogs, dashboard).
 * When his last connection is gone for `presenceGraceMs`, he goes offline (his dialogs go back to
 * their queues, see OperatorService.setPresence). Each connection also beats in the routing store
 * (at connect, then every `heartbeatMs` with all of this node's connections in one command, alive for
 * twice that), so when this process dies without a word the reconciler, on any node, still sets him
 * offline (L4).
 */
export function registerOperatorNamespace(
  namespace: OperatorNamespace,
  deps: {
    auth: AuthService;
    operators: OperatorService;
    store: RoutingStore;
    logger: Logger;
    presenceGraceMs: number;
    heartbeatMs: number;
    clock: () => number;
  },
) {
  const { auth, operators, logger } = deps;
  const offlineTimers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  // Heartbeat writes go out in order, on one chain for the node: a slow beat cannot land after a
  // later one (a connection's close) and revive it.
  let beating = Promise.resolve();
  const beat = (beats: { operatorId: string; connectionId: string; aliveUntil: number }[]) => {
    if (beats.length === 0) return;
    beating = beating
      .then(() => deps.store.beatConnections(beats))
      .catch((error) => logger.warn({ err: error, connections: beats.length }, 'presence heartbeat failed'));
  };
  // One renewal per interval for every operator connection of this node (one command, not one per
  // connection): each is alive for twice the interval.
  const heartbeat = setInterval(() => {
    const aliveUntil = deps.clock() + 2 * deps.heartbeatMs;
    beat(
      [...namespace.sockets.values()].map((socket) => ({
        operatorId: socket.data.operator.id,
        connectionId: socket.id,
        aliveUntil,
      })),
    );
  }, deps.heartbeatMs);
  heartbeat.unref();

  namespace.use(async (socket, next) => {
    try {
      const token = (socket.handshake.auth as { token?: unknown })?.token;
      const session = await auth.authenticate(
        typeof token === 'string' ? token : cookieToken(socket.handshake.headers.cookie),
      );
      if (!session) return next(Object.assign(new Error('log in first'), { data: { code: 'unauthorized' } }));
      socket.data = {
        operator: session.operator,
        sessionId: session.sessionId,
        sessionExpiresAt: session.expiresAt,
      };
      next();
    } catch (error) {
      // Storage down: refuse this handshake with a code the client can retry on, keep the process up.
      const appError = toAppError(error);
      next(Object.assign(new Error(appError.message), { data: { code: appError.code } }));
    }
  });

  // A revoked session loses its sockets on every node within the adapter's round trip.
  auth.onRevoked((sessionIds, reason) => {
    const rooms = sessionIds.map(sessionRoom);
    namespace.in(rooms).emit('session:revoked', { reason });
    namespace.in(rooms).disconnectSockets(true);
  });

  namespace.on('connection', (socket) => {
    const operator = socket.data.operator;
    void socket.join(sessionRoom(socket.data.sessionId));
    // An expired session's socket goes at its expiry, not at its next event (a timer holds at most ~24.8 days).
    const expiry = setTimeout(
      () => socket.disconnect(true),
      Math.min(socket.data.sessionExpiresAt.getTime() - Date.now(), 2 ** 31 - 1),
    );
    expiry.unref();
    // Role and active are re-read on an event when the last read is older than SESSION_RECHECK_MS
    // (one primary-key read of the session joined to his row). Revocations, deactivations and role
    // changes made through the API are pushed at once (auth.onRevoked below); the re-read bounds how
    // long a change made behind the API's back goes unseen, without a read on every event.
    let checkedAt = Date.now();
    socket.use(async (packet, next) => {
      const ack = packet.at(-1);
      const refuse = (error: AppError) => {
        if (typeof ack === 'function') ack({ error: error.toBody() });
      };
      if (Date.now() - checkedAt < SESSION_RECHECK_MS) return next();
      try {
        const fresh = await auth.recheck(socket.data.sessionId, operator.id);
        if (!fresh) {
          refuse(new AppError('unauthorized', 'your session has ended, log in again'));
          socket.disconnect(true);
          return;
        }
        checkedAt = Date.now();
        if (fresh.role !== 'supervisor') void socket.leave(SUPERVISORS_ROOM);
        // Handlers below read this same object: they see the role as it is now.
        Object.assign(operator, fresh);
        next();
      } catch (error) {
        refuse(toAppError(error));
      }
    });
    void socket.join(operatorRoom(operator.id));
    answerUnknownEvents(socket);
    if (operator.role === 'supervisor') void socket.join(SUPERVISORS_ROOM);
    const pendingOffline = offlineTimers.get(operator.id);
    if (pendingOffline) clearTimeout(pendingOffline);
    offlineTimers.delete(operator.id);
    const aliveUntil = (until: number) =>
      beat([{ operatorId: operator.id, connectionId: socket.id, aliveUntil: until }]);
    aliveUntil(deps.clock() + 2 * deps.heartbeatMs);

    socket.on(
      'presence:set',
      // setPresence pushes his self:update (his other tabs) and the dashboard.
      ackHandler(logger, PresenceSchema, ({ status }) => operators.setPresence(operator, status)),
    );
    socket.on(
      'dialogs:list',
      ackHandler(logger, z.unknown(), () => operators.lists(operator)),
    );
    socket.on(
      'dialog:open',
      ackHandler(logger, DialogRefSchema, ({ dialogId }) => operators.open(operator, dialogId)),
    );
    socket.on(
      'offer:accept',
      ackHandler(logger, DialogRefSchema, ({ dialogId }) => operators.acceptOffer(operator, dialogId)),
    );
    socket.on(
      'offer:decline',
      ackHandler(logger, DialogRefSchema, async ({ dialogId }) => {
        await operators.declineOffer(operator.id, dialogId, 'declined');
        return null;
      }),
    );
    socket.on(
      'message:send',
      // Its change pushes it to the visitor, the holder's other tabs and supervisors.
      ackHandler(logger, OperatorMessageSchema, (input) => operators.sendMessage(operator, input)),
    );
    socket.on(
      'attachment:prepare',
      ackHandler(logger, OperatorAttachmentPrepareSchema, (input) =>
        operators.prepareAttachment(operator, input),
      ),
    );
    socket.on(
      'typing:set',
      ackHandler(logger, OperatorTypingSchema, async (input) => {
        await operators.typing(operator, input);
        return null;
      }),
    );
    socket.on(
      'dialog:transfer',
      ackHandler(logger, TransferSchema, (input) => operators.transfer(operator, input)),
    );
    socket.on(
      'dialog:assign',
      ackHandler(logger, AssignSchema, async (input) => (await operators.assign(operator, input)).summary),
    );
    socket.on(
      'dialog:takeover',
      ackHandler(
        logger,
        DialogRefSchema,
        async ({ dialogId }) => (await operators.takeOver(operator, dialogId)).detail,
      ),
    );
    socket.on(
      'dialog:close',
      ackHandler(logger, CloseSchema, (input) => operators.close(operator, input)),
    );
    socket.on(
      'lead:pick',
      ackHandler(logger, DialogRefSchema, ({ dialogId }) => operators.pickLead(operator, dialogId)),
    );
    socket.on(
      'visitor:block',
      // His open tabs go then (onVisitorBlocked); their reconnect is refused (token and address).
      ackHandler(logger, BlockSchema, async (input) => {
        await operators.block(operator, input);
        return null;
      }),
    );
    socket.on(
      'dashboard:subscribe',
      ackHandler(logger, z.unknown(), () => operators.dashboardFor(operator)),
    );

    socket.on('disconnect', () => {
      clearTimeout(expiry);
      // A node shutting down closes every socket: his presence is not this node's to change any more
      // (another node's sockets or his heartbeat's expiry decide it), and the pool is closing.
      if (stopped) return;
      aliveUntil(deps.clock());
      const timer = setTimeout(async () => {
        offlineTimers.delete(operator.id);
        try {
          const remaining = await namespace.in(operatorRoom(operator.id)).fetchSockets();
          if (remaining.length === 0) {
            await operators.setPresence(operator, 'offline');
          }
        } catch (error) {
          logger.warn({ err: error, operatorId: operator.id }, 'presence check after disconnect failed');
        }
      }, deps.presenceGraceMs);
      timer.unref();
      offlineTimers.set(operator.id, timer);
    });
  });

  return {
    stop() {
      stopped = true;
      for (const timer of offlineTimers.values()) clearTimeout(timer);
      offlineTimers.clear();
      clearInterval(heartbeat);
    },
  };
}
