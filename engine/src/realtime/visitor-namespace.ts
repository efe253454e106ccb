import { acceptLanguages } from '@hotline/routing-rules';
import type { Namespace } from 'socket.io';
import { z } from 'zod';
import { AppError, forbidden, toAppError } from '../errors';
import { clientAddress } from '../http/client-address';
import { MemoryLocks } from '../locks/dialog-locks';
import type { Logger } from '../logger';
import type { AttachmentService } from '../attachments/attachment-service';
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
import { ackHandler, answerUnknownEvents, splitArguments } from './ack-handler';
import type { Notifier } from './notifier';
import { visitorRoom } from './notifier';
import { tokenKey, type VisitorAction, type VisitorLimits } from './visitor-limits';

export interface VisitorSocketData extends VisitorIdentity {
  token: string;
  /** The client address the limits and address blocks count by. */
  address: string;
}

const notAvailable = () => forbidden('this chat is not available');

export type VisitorNamespace = Namespace<
  VisitorClientToServer,
  VisitorServerToClient,
  InterServerEvents,
  VisitorSocketData
>;

/**
 * `/visitor`: the handshake identifies the visitor by his token (or issues one); each socket joins
 * the visitor's room, so every tab of his sees the same dialog.
 */
export function registerVisitorNamespace(
  namespace: VisitorNamespace,
  deps: {
    visitors: VisitorService;
    notifier: Notifier;
    logger: Logger;
    limits: VisitorLimits;
    /** TRUST_PROXY: how many proxies' X-Forwarded-For to believe for the visitor's address. */
    trustProxy: number;
    attachments: AttachmentService;
  },
) {
  const { visitors, notifier, logger, limits } = deps;
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
    try {
      const { visitorToken } = auth.data;
      await limits.consume('handshake', {
        visitor: visitorToken ? tokenKey(visitorToken) : undefined,
        address,
      });
      if (await visitors.isAddressBlocked(address)) throw notAvailable();
      const { visitor, token } = await visitors.identify(
        auth.data,
        {
          userAgent: socket.handshake.headers['user-agent'] ?? null,
          ip: address,
          language: acceptLanguages(socket.handshake.headers['accept-language'])[0] ?? null,
        },
        () => limits.consume('token', { address }),
      );
      if (visitor.blocked_at) throw notAvailable();
      socket.data = { visitorId: visitor.id, siteId: auth.data.siteId, token, address };
      next();
    } catch (error) {
      const appError = toAppError(error);
      const { details: _details, ...data } = appError.toBody();
      next(Object.assign(new Error(appError.message), { data }));
    }
  });

  namespace.on('connection', (socket) => {
    const identity = (): VisitorIdentity => ({
      visitorId: socket.data.visitorId,
      siteId: socket.data.siteId,
    });
    void socket.join(visitorRoom(socket.data.visitorId));
    answerUnknownEvents(socket);

    /** Counts the event against the visitor's and his address's limits before any other work. */
    const limited =
      (action: VisitorAction, handler: (...args: unknown[]) => Promise<void>) =>
      // The arguments go on untouched: an event sent with only a callback is still answered (ackHandler).
      async (...args: unknown[]) => {
        try {
          await limits.consume(action, { visitor: socket.data.visitorId, address: socket.data.address });
        } catch (error) {
          splitArguments<never>(args).reply({ error: toAppError(error).toBody() });
          return;
        }
        await perVisitor.withLock(`${socket.data.visitorId}:${action}`, () => handler(...args));
      };

    socket.on(
      'session:resume',
      limited(
        'event',
        ackHandler(logger, z.unknown(), () => visitors.session(socket.data.visitorId, socket.data.token)),
      ),
    );

    socket.on(
      'dialog:start',
      limited(
        'start',
        ackHandler(logger, DialogStartSchema, (input) =>
          visitors.start(identity(), input, {
            language: acceptLanguages(socket.handshake.headers['accept-language'])[0] ?? null,
          }),
        ),
      ),
    );

    socket.on(
      'message:send',
      limited(
        'message',
        // Its change pushes it to his other tabs, the holder and supervisors.
        ackHandler(logger, VisitorMessageSchema, (input) => visitors.sendMessage(identity(), input)),
      ),
    );

    socket.on(
      'typing:set',
      limited(
        'event',
        ackHandler(logger, TypingSchema, async ({ typing }) => {
          const holder = await visitors.holder(identity());
          if (holder)
            notifier.toOperator(holder.operatorId, 'typing:visitor', { dialogId: holder.dialogId, typing });
          return null;
        }),
      ),
    );

    socket.on(
      'contact:leave',
      limited(
        'event',
        ackHandler(logger, ContactSchema, (input) => visitors.leaveContact(identity(), input)),
      ),
    );

    socket.on(
      'callback:request',
      limited(
        'start',
        ackHandler(logger, VisitorCallbackSchema, (input) =>
          visitors.requestCallback(
            identity(),
            { phone: input.phone, preferredTime: input.preferredTime },
            input.page ?? { url: '' },
          ),
        ),
      ),
    );

    socket.on(
      'dialog:close',
      limited(
        'event',
        ackHandler(logger, VisitorCloseSchema, async ({ rating }) => {
          await visitors.close(identity(), rating);
          return null;
        }),
      ),
    );

    // A slot for a file in his dialog (the open one, or the latest while writing would reopen it).
    socket.on(
      'attachment:prepare',
      limited(
        'attachment',
        ackHandler(logger, AttachmentPrepareSchema, async (input) => {
          const dialog = await visitors.currentDialog(socket.data.visitorId);
          if (!dialog) throw new AppError('not_found', 'no open dialog to attach the file to');
          if (input.dialogId && input.dialogId !== dialog.id) throw forbidden('this dialog is not yours');
          return deps.attachments.prepare(
            { kind: 'visitor', id: socket.data.visitorId },
            { dialogId: dialog.id, siteId: dialog.site_id },
            input,
          );
        }),
      ),
    );

    socket.on(
      'page:change',
      limited(
        'event',
        ackHandler(logger, PageChangeSchema, async (page) => {
          await visitors.pageChange(identity(), page);
          return null;
        }),
      ),
    );
  });
}
