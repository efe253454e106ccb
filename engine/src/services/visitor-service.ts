import { randomBytes, randomUUID } from 'node:crypto';
import { normalizeContact } from '@hotline/routing-rules';
import type { z } from 'zod';
import { OPEN_STATES, stateName } from '../dialog/dialog-views';
import { AppError, badRequest, forbidden } from '../errors';
import type {
  CallbackRequestSchema,
  ContactSchema,
  ContactView,
  DialogStartSchema,
  MessageView,
  PageInfoSchema,
  VisitorDialogView,
  VisitorMessageSchema,
  VisitorSession,
} from '../protocol/events';
import type { DialogRow, NewMessage, VisitorRow } from '../storage/dialog-repository';

export interface VisitorIdentity {
  visitorId: string;
  siteId: string;
}
import type { ServiceDeps } from './service-deps';

/** The visitor's use cases: resume, start, write, leave a contact, ask for a call back, close. */
export class VisitorService {
  constructor(private readonly deps: ServiceDeps & { reopenWindowMs: number }) {}

  /**
   * Identifies the visitor by his token, or issues a new one. A token of another site, or an
   * unknown one, starts a new visitor: a visitor can only ever reach his own dialogs.
   */
  async identify(
    auth: { siteId: string; visitorToken?: string | undefined },
    meta: { userAgent?: string | null; ip?: string | null; language?: string | null },
  ): Promise<{ visitor: VisitorRow; token: string }> {
    const { repo, decisions } = this.deps;
    if (!decisions().site(auth.siteId))
      throw new AppError('not_found', `site ${auth.siteId} not found`, 'siteId');
    if (auth.visitorToken) {
      const known = await repo.findVisitorByToken(auth.visitorToken);
      if (known && known.site_id === auth.siteId) {
        await repo.touchVisitor(known.id, {
          user_agent: meta.userAgent ?? known.user_agent,
          ip: meta.ip ?? known.ip,
        });
        return { visitor: known, token: auth.visitorToken };
      }
    }
    const token = randomBytes(24).toString('base64url');
    const visitor = await repo.createVisitor({ token, siteId: auth.siteId, ...meta });
    return { visitor, token };
  }

  async session(visitorId: string, token: string): Promise<VisitorSession> {
    const row = await this.currentDialog(visitorId);
    return { visitorToken: token, visitorId, dialog: row ? await this.deps.reader.visitorView(row) : null };
  }

  /** The open dialog, or the latest closed one while it can still be reopened. */
  async currentDialog(visitorId: string): Promise<DialogRow | null> {
    const latest = await this.deps.repo.latestDialogOfVisitor(visitorId);
    if (!latest) return null;
    if (OPEN_STATES.includes(stateName(latest.state))) return latest;
    return this.reopenable(latest) ? latest : null;
  }

  private reopenable(row: DialogRow): boolean {
    return (
      row.closed_at !== null &&
      this.deps.clock() - new Date(row.closed_at).getTime() < this.deps.reopenWindowMs
    );
  }

  /** Starts a dialog, or returns the open one (a second tab, a retried start). */
  async start(
    identity: VisitorIdentity,
    input: z.infer<typeof DialogStartSchema>,
    meta: { language?: string | null },
  ): Promise<VisitorDialogView> {
    const { repo, dialogs, reader } = this.deps;
    const visitor = await this.requireVisitor(identity.visitorId);
    if (input.name) await repo.touchVisitor(visitor.id, { name: input.name });
    if (input.language) await repo.touchVisitor(visitor.id, { language: input.language });
    const open = await repo.latestDialogOfVisitor(visitor.id);
    if (open && OPEN_STATES.includes(stateName(open.state))) {
      if (input.message) await this.sendMessage(identity, input.message);
      return reader.visitorView((await repo.findDialog(open.id))!);
    }
    if (input.kind === 'callback' && input.callback) {
      const normalized = normalizeContact(input.callback.phone);
      if (!normalized.ok || normalized.kind !== 'phone')
        throw badRequest('not a phone number', 'callback.phone');
    }
    const row = await this.createDialog(visitor, identity.siteId, {
      kind: input.kind,
      locale: this.deps.decisions().locale(input.language ?? meta.language),
      page: input.page,
      callback: input.callback ?? null,
      previousDialogId: open?.id ?? null,
    });
    await repo.recordPage(visitor.id, row.id, input.page);
    if (input.message) {
      await dialogs.dispatchWithMessage(
        row.id,
        { type: 'VISITOR_MESSAGE' },
        visitorMessage(row.id, visitor, input.message),
      );
    }
    await this.route(
      row.id,
      input.choice,
      input.page.url,
      input.language ?? meta.language ?? undefined,
      input.kind,
      'ROUTE',
      Boolean(open),
    );
    return reader.visitorView((await repo.findDialog(row.id))!);
  }

  /**
   * A call-back request is a dialog of kind callback, routed like a chat to a group that takes calls;
   * its phone is the visitor's contact from the start.
   */
  async requestCallback(
    identity: VisitorIdentity,
    input: z.infer<typeof CallbackRequestSchema>,
    page: z.infer<typeof PageInfoSchema>,
  ) {
    const normalized = normalizeContact(input.phone);
    if (!normalized.ok || normalized.kind !== 'phone') {
      throw badRequest(
        normalized.ok ? 'a phone number is needed for a call back' : normalized.reason,
        'phone',
      );
    }
    const callback = {
      phone: normalized.value,
      ...(input.preferredTime ? { preferredTime: input.preferredTime } : {}),
    };
    const view = await this.start(identity, { kind: 'callback', callback, page, choice: {} }, {});
    await this.leaveContact(identity, { contact: normalized.value });
    return this.deps.reader.visitorView((await this.deps.repo.findDialog(view.id))!);
  }

  /**
   * Stores the visitor's message once (a resend with the same client id returns the stored one),
   * in the same transaction as the dialog's transition. Writing to a recently closed dialog reopens
   * it; later, a new dialog is started that links the earlier ones.
   */
  async sendMessage(
    identity: VisitorIdentity,
    input: z.infer<typeof VisitorMessageSchema>,
  ): Promise<MessageView> {
    const { repo, dialogs } = this.deps;
    const visitor = await this.requireVisitor(identity.visitorId);
    let row = await this.currentDialog(visitor.id);
    if (!row) {
      row = await this.createDialog(visitor, identity.siteId, {
        kind: 'chat',
        locale: this.deps.decisions().locale(visitor.language),
        page: null,
        callback: null,
        previousDialogId: (await repo.latestDialogOfVisitor(visitor.id))?.id ?? null,
      });
      await this.route(row.id, {}, undefined, visitor.language ?? undefined, 'chat', 'ROUTE', true);
    } else if (!OPEN_STATES.includes(stateName(row.state))) {
      await this.route(
        row.id,
        { groupId: row.group_id ?? undefined },
        undefined,
        visitor.language ?? undefined,
        row.kind,
        'REOPEN',
        true,
      );
    }
    const existing = await repo.findMessageByClientId(row.id, input.clientMessageId);
    if (existing) return existing;
    const message = visitorMessage(row.id, visitor, input);
    const { stored } = await dialogs.dispatchWithMessage(row.id, { type: 'VISITOR_MESSAGE' }, message);
    // A state that takes no VISITOR_MESSAGE transition still stores the message.
    return stored ?? (await repo.insertMessage(repo.db, message)).message;
  }

  async leaveContact(identity: VisitorIdentity, input: z.infer<typeof ContactSchema>): Promise<ContactView> {
    const { repo, dialogs, metrics } = this.deps;
    const normalized = normalizeContact(input.contact);
    if (!normalized.ok) throw badRequest(normalized.reason, 'contact');
    const contact: ContactView = { kind: normalized.kind, value: normalized.value };
    const row = await this.currentDialog(identity.visitorId);
    if (!row) throw new AppError('not_found', 'no open dialog to attach the contact to');
    await repo.touchVisitor(identity.visitorId, {
      ...(contact.kind === 'email' ? { email: contact.value } : { phone: contact.value }),
      ...(input.name ? { name: input.name } : {}),
    });
    const result = await dialogs.dispatch(row.id, { type: 'CONTACT_LEFT', contact });
    if (result.accepted) metrics.contactsCaptured.inc();
    return contact;
  }

  async close(identity: VisitorIdentity, rating: number | undefined) {
    const { repo, dialogs, metrics } = this.deps;
    const row = await repo.latestDialogOfVisitor(identity.visitorId);
    if (!row) return;
    if (rating !== undefined) await repo.db('dialogs').where({ id: row.id }).update({ rating });
    if (!OPEN_STATES.includes(stateName(row.state))) return;
    const result = await dialogs.dispatch(row.id, { type: 'CLOSE', by: 'visitor', outcome: 'visitor-left' });
    if (result.accepted && result.state === 'abandoned') metrics.abandoned.inc();
  }

  async pageChange(identity: VisitorIdentity, page: z.infer<typeof PageInfoSchema>) {
    const row = await this.currentDialog(identity.visitorId);
    await this.deps.repo.recordPage(identity.visitorId, row?.id ?? null, page);
    return row;
  }

  /** The operator holding the visitor's open dialog (for typing indicators). */
  async holder(identity: VisitorIdentity): Promise<{ dialogId: string; operatorId: string } | null> {
    const row = await this.currentDialog(identity.visitorId);
    return row?.operator_id ? { dialogId: row.id, operatorId: row.operator_id } : null;
  }

  private async requireVisitor(visitorId: string): Promise<VisitorRow> {
    const visitor = await this.deps.repo.findVisitor(visitorId);
    if (!visitor) throw new AppError('unauthorized', 'unknown visitor');
    if (visitor.blocked_at) throw forbidden('this chat is not available');
    return visitor;
  }

  private async createDialog(
    visitor: VisitorRow,
    siteId: string,
    options: {
      kind: 'chat' | 'callback';
      locale: string;
      page: { url: string; title?: string | undefined; referrer?: string | undefined } | null;
      callback: { phone: string; preferredTime?: string | undefined } | null;
      previousDialogId: string | null;
    },
  ): Promise<DialogRow> {
    const { repo, dialogs, clock } = this.deps;
    const id = randomUUID();
    const snapshot = dialogs.initialSnapshot(id, options.kind, clock());
    await repo.insertDialog({
      id,
      visitor_id: visitor.id,
      site_id: siteId,
      kind: options.kind,
      state: snapshot.value,
      snapshot,
      locale: options.locale,
      page: options.page,
      callback: options.callback,
      previous_dialog_id: options.previousDialogId,
    });
    return (await repo.findDialog(id))!;
  }

  private async route(
    dialogId: string,
    choice: { groupId?: string | undefined; topicId?: string | undefined; regionId?: string | undefined },
    pageUrl: string | undefined,
    language: string | undefined,
    kind: 'chat' | 'callback',
    type: 'ROUTE' | 'REOPEN',
    returningVisitor: boolean,
  ) {
    const { store, decisions, clock, dialogs } = this.deps;
    if (choice.groupId && !decisions().hasGroup(choice.groupId))
      throw badRequest(`unknown group ${choice.groupId}`, 'choice.groupId');
    const route = decisions().resolveRoute({ choice, pageUrl, language, returningVisitor, kind }, clock());
    const operators = await store.listOperators(route.groupId);
    const operatorsOnline = operators.filter((o) => o.status === 'online').length;
    await dialogs.dispatch(dialogId, { type, ...route, operatorsOnline });
  }
}

/** A visitor's message as stored. */
function visitorMessage(
  dialogId: string,
  visitor: VisitorRow,
  message: { clientMessageId: string; body: string },
): NewMessage {
  return {
    dialogId,
    authorKind: 'visitor',
    clientMessageId: message.clientMessageId,
    body: message.body,
    authorName: visitor.name,
  };
}
