import type { Namespace } from 'socket.io';
import { z } from 'zod';
import { toAppError } from '../errors';
import type { Logger } from '../logger';
import {
  CallbackRequestSchema,
  ContactSchema,
  DialogStartSchema,
  type InterServerEvents,
  PageChangeSchema,
  PageInfoSchema,
  TypingSchema,
  VisitorAuthSchema,
  type VisitorClientToServer,
  VisitorCloseSchema,
  VisitorMessageSchema,
  type VisitorServerToClient,
} from '../protocol/events';
import type { VisitorIdentity, VisitorService } from '../services/visitor-service';
import { ackHandler, answerUnknownEvents } from './ack-handler';
import type { DialogBroadcaster } from './dialog-broadcaster';
import type { Notifier } from './notifier';
import { visitorRoom } from './notifier';

interface VisitorSocketData extends VisitorIdentity {
  token: string;
}

export type VisitorNamespace = Namespace<VisitorClientToServer, VisitorServerToClient, InterServerEvents, VisitorSocketData>;

/**
 * `/visitor`: the handshake identifies the visitor by his token (or issues one); each socket joins
 * the visitor's room, so every tab of his sees the same dialog.
 */
export function registerVisitorNamespace(
  namespace: VisitorNamespace,
  deps: { visitors: VisitorService; notifier: Notifier; broadcaster: DialogBroadcaster; logger: Logger },
) {
  const { visitors, notifier, broadcaster, logger } = deps;

  namespace.use(async (socket, next) => {
    const auth = VisitorAuthSchema.safeParse(socket.handshake.auth ?? {});
    if (!auth.success) return next(Object.assign(new Error('bad visitor auth: siteId is required'), { data: { code: 'bad_request', field: 'siteId' } }));
    try {
      const { visitor, token } = await visitors.identify(auth.data, {
        userAgent: socket.handshake.headers['user-agent'] ?? null,
        ip: socket.handshake.address ?? null,
        language: socket.handshake.headers['accept-language']?.split(',')[0] ?? null,
      });
      if (visitor.blocked_at) return next(Object.assign(new Error('this chat is not available'), { data: { code: 'forbidden' } }));
      socket.data = { visitorId: visitor.id, siteId: auth.data.siteId, token };
      next();
    } catch (error) {
      const appError = toAppError(error);
      next(Object.assign(new Error(appError.message), { data: { code: appError.code, ...(appError.field ? { field: appError.field } : {}) } }));
    }
  });

  namespace.on('connection', (socket) => {
    const identity = (): VisitorIdentity => ({ visitorId: socket.data.visitorId, siteId: socket.data.siteId });
    void socket.join(visitorRoom(socket.data.visitorId));
    answerUnknownEvents(socket);

    socket.on('session:resume', ackHandler(logger, z.unknown(), () => visitors.session(socket.data.visitorId, socket.data.token)));

    socket.on('dialog:start', ackHandler(logger, DialogStartSchema, (input) =>
      visitors.start(identity(), input, { language: socket.handshake.headers['accept-language']?.split(',')[0] ?? null }),
    ));

    socket.on('message:send', ackHandler(logger, VisitorMessageSchema, async (input) => {
      const message = await visitors.sendMessage(identity(), input);
      const holder = await visitors.holder(identity());
      // Other tabs of the visitor, the holder and supervisors.
      broadcaster.message(message, socket.data.visitorId, holder?.operatorId ?? null);
      return message;
    }));

    socket.on('typing:set', ackHandler(logger, TypingSchema, async ({ typing }) => {
      const holder = await visitors.holder(identity());
      if (holder) notifier.toOperator(holder.operatorId, 'typing:visitor', { dialogId: holder.dialogId, typing });
      return null;
    }));

    socket.on('contact:leave', ackHandler(logger, ContactSchema, (input) => visitors.leaveContact(identity(), input)));

    socket.on('callback:request', ackHandler(logger, CallbackRequestSchema.extend({ page: PageInfoSchema.optional() }), (input) =>
      visitors.requestCallback(identity(), { phone: input.phone, preferredTime: input.preferredTime }, input.page ?? { url: '' }),
    ));

    socket.on('dialog:close', ackHandler(logger, VisitorCloseSchema, async ({ rating }) => {
      await visitors.close(identity(), rating);
      return null;
    }));

    socket.on('page:change', ackHandler(logger, PageChangeSchema, async (page) => {
      await visitors.pageChange(identity(), page);
      return null;
    }));
  });
}
