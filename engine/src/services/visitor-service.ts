import { randomBytes, randomUUID } from 'node:crypto';
import { type DialogKind, normalizeContact } from '@hotline/routing-rules';
import type { z } from 'zod';
import type { AttachmentService } from '../attachments/attachment-service';
import type { RouteFields } from '../dialog/dialog-machine';
import type { DialogChange } from '../dialog/dialog-change';
import { Lru } from '../lru';
import type { CreateHooks, DialogEventInput, GroupOperators, NewDialog } from '../dialog/dialog-service';
import { OPEN_STATES, stateName } from '../dialog/dialog-views';
import { AppError, badRequest, conflict, forbidden } from '../errors';
import type {
  AttachmentPrepareSchema,
  AttachmentSlot,
  CallbackRequestSchema,
  ContactSchema,
  ContactView,
  DialogStartSchema,
  MessageView,
  PageInfoSchema,
  VisitorDialogView,
  VisitorMessageSchema,
  VisitorSession,
} from '@hotline/protocol';
import type { Dialog, NewMessage, Visitor } from '../storage/dialog-repository';
import type { VisitorBlockRepository } from '../storage/visitor-block-repository';
import type { VisitorRepository } from '../storage/visitor-repository';
import type { ServiceDeps } from './service-deps';

export interface VisitorIdentity {
  visitorId: string;
  siteId: string;
}

/** The visitor's use cases: resume, start, write, leave a contact, ask for a call back, close. */
/** A visitor typing in his dialog, for its holder (`typing:visitor`). */
export type VisitorTypingListener = (typing: {
  operatorId: string;
  dialogId: string;
  typing: boolean;
}) => void;

/**
 * A visitor as this node last created, read or changed him. His open dialog's row is DialogService's
 * (its cache). Nothing here says he has no dialog: his other tab on another node may have one.
 */
interface KnownVisitor {
  visitor: Visitor;
}

/** How many visitors a node remembers (a few hundred bytes each). */
const KNOWN_VISITORS = 10_000;

export class VisitorService {
  private readonly typingListeners: VisitorTypingListener[] = [];
  /**
   * Who he is, for a message to the open dialog this node remembers (no read; a start always reads):
   * his own changes made here update it. Changes made elsewhere: a block closes his open dialog (a
   * version-checked write the message path sees, then reads) and drops his sockets everywhere; his
   * handshake reads him again. A name or language his other tab changed on another node is seen here
   * at his next read (his next start or reconnect).
   */
  private readonly known = new Lru<string, KnownVisitor>(KNOWN_VISITORS);

  constructor(
    private readonly deps: ServiceDeps & {
      visitorRepo: VisitorRepository;
      reopenWindowMs: number;
      blocks: VisitorBlockRepository;
      /** How long blocking a visitor also refuses his last address; 0: his token only. */
      addressBlockMs: number;
      attachments: AttachmentService;
    },
  ) {}

  /**
   * Identifies the visitor by his token, or issues a new one. A token of another site, or an
   * unknown one, starts a new visitor: a visitor can only ever reach his own dialogs. `beforeMint`
   * runs before a new visitor is created (the per-address token limit) and may refuse it by throwing.
   */
  async identify(
    auth: { siteId: string; visitorToken?: string | undefined },
    meta: { userAgent?: string | null; ip?: string | null; language?: string | null },
    beforeMint: () => Promise<void> = async () => undefined,
  ): Promise<{ visitor: Visitor; token: string; minted: boolean }> {
    const { visitorRepo, decisions } = this.deps;
    if (!decisions().site(auth.siteId))
      throw new AppError('not_found', `site ${auth.siteId} not found`, 'siteId');
    if (auth.visitorToken) {
      const known = await visitorRepo.findVisitorByToken(auth.visitorToken);
      if (known && known.siteId === auth.siteId) {
        const seen = { userAgent: meta.userAgent ?? known.userAgent, ip: meta.ip ?? known.ip };
        await visitorRepo.touchVisitor(known.id, seen);
        // His dialogs are not read here: the first start or message reads them.
        this.known.set(known.id, { visitor: { ...known, ...seen } });
        return { visitor: known, token: auth.visitorToken, minted: false };
      }
    }
    await beforeMint();
    const token = randomBytes(24).toString('base64url');
    const visitor = await visitorRepo.createVisitor({ token, siteId: auth.siteId, ...meta });
    this.known.set(visitor.id, { visitor });
    return { visitor, token, minted: true };
  }

  /**
   * His data was erased: this node forgets him (nothing is decided on a visitor who no longer exists).
   * His sockets are closed on every node by the caller; a reconnect with his old token finds nobody
   * and is given a new identity.
   */
  erased(visitorId: string) {
    this.known.delete(visitorId);
  }

  /**
   * Blocks the visitor (his token is refused from now on) and, for `addressBlockMs`, the address he
   * last connected from: clearing his storage for a new token does not get him back in. An address
   * may be shared (an office behind NAT); the expiry bounds that harm.
   */
  async block(visitorId: string, reason: string): Promise<void> {
    const { visitorRepo, blocks, clock, addressBlockMs } = this.deps;
    await visitorRepo.blockVisitor(visitorId, reason);
    this.known.delete(visitorId);
    const visitor = await visitorRepo.findVisitor(visitorId);
    if (!visitor?.ip || addressBlockMs <= 0) return;
    const now = clock();
    await blocks.blockAddress({
      address: visitor.ip,
      visitorId,
      reason,
      at: new Date(now),
      until: new Date(now + addressBlockMs),
    });
  }

  /** Whether new handshakes from this client address are refused (a blocked visitor's, until expiry). */
  isAddressBlocked(address: string): Promise<boolean> {
    return this.deps.blocks.isAddressBlocked(address, new Date(this.deps.clock()));
  }

  async session(visitorId: string, token: string): Promise<VisitorSession> {
    const row = await this.currentDialog(visitorId);
    return { visitorToken: token, visitorId, dialog: row ? await this.deps.reader.visitorView(row) : null };
  }

  /** The open dialog, or the latest closed one while it can still be reopened. */
  async currentDialog(visitorId: string): Promise<Dialog | null> {
    return this.currentOf(await this.deps.repo.latestDialogOfVisitor(visitorId));
  }

  private currentOf(latest: Dialog | null): Dialog | null {
    if (!latest) return null;
    if (isOpen(latest)) return latest;
    return this.reopenable(latest) ? latest : null;
  }

  private reopenable(row: Dialog): boolean {
    return row.closedAt !== null && this.deps.clock() - row.closedAt.getTime() < this.deps.reopenWindowMs;
  }

  /**
   * Starts a dialog, or returns the open one (a second tab, a retried start). Validate, then route:
   * every check and the route (unknown menu ids fall through to the default route) come before any
   * write; then the dialog is stored already routed, with its page and first message, in one
   * transaction (see DialogService.create), so no start leaves a dialog in `created`.
   */
  async start(
    identity: VisitorIdentity,
    input: z.infer<typeof DialogStartSchema>,
    meta: { language?: string | null },
  ): Promise<VisitorDialogView> {
    const { repo, reader, decisions } = this.deps;
    // One read, always: who he is and his newest dialog. A start decides which dialog he gets (his
    // open one, a new one linked to the last), and another node may have opened or closed it since
    // this node last saw it: a remembered row would answer with a dialog closed elsewhere.
    const { visitor, latest } = await this.requireVisitorWithLatest(identity.visitorId, { read: true });
    if (input.kind === 'callback' && input.callback) {
      const normalized = normalizeContact(input.callback.phone, decisions().phoneCountry(identity.siteId));
      if (!normalized.ok || normalized.kind !== 'phone')
        throw badRequest('not a phone number', 'callback.phone');
    }
    if (input.name) await this.touch(visitor.id, { name: input.name });
    if (input.language) await this.touch(visitor.id, { language: input.language });
    if (latest && isOpen(latest)) return this.continueOpen(identity, latest, input.message);
    const language = input.language ?? meta.language ?? undefined;
    const { route, operators } = await this.newRoute({
      choice: input.choice,
      pageUrl: input.page.url,
      language,
      kind: input.kind,
      returningVisitor: Boolean(latest),
    });
    const id = randomUUID();
    const locale = decisions().locale(language);
    const chosen = decisions().choiceLabel(identity.siteId, input.choice, locale);
    const created = await this.createRouted(
      visitor,
      {
        id,
        siteId: identity.siteId,
        kind: input.kind,
        locale,
        page: input.page,
        callback: input.callback ?? null,
        previousDialogId: latest?.id ?? null,
      },
      route,
      {
        messages: [
          // The visitor's menu choice, as he saw it, for the operator (his own view leaves it out).
          ...(chosen
            ? [{ dialogId: id, authorKind: 'system' as const, body: `Visitor chose: ${chosen}` }]
            : []),
          ...(input.message ? [visitorMessage(id, visitor, input.message)] : []),
        ],
        operators,
      },
      Boolean(input.message),
    );
    // The new dialog's view from its change: every message it has is in there.
    if (created) return reader.visitorViewOf(created);
    // Another start of this visitor (a second tab, a retry) created his dialog first: join it.
    const raced = await repo.latestDialogOfVisitor(visitor.id);
    if (!raced || !isOpen(raced)) throw conflict('the dialog changed concurrently; retry');
    return this.continueOpen(identity, raced, input.message);
  }

  /** A start that finds the visitor's dialog open: its message goes there, the dialog comes back. */
  private async continueOpen(
    identity: VisitorIdentity,
    open: Dialog,
    message: z.infer<typeof VisitorMessageSchema> | undefined,
  ): Promise<VisitorDialogView> {
    if (message) await this.sendMessage(identity, message);
    return this.deps.reader.visitorView((await this.deps.repo.findDialog(open.id))!);
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
    const normalized = normalizeContact(input.phone, this.deps.decisions().phoneCountry(identity.siteId));
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
    options: { read?: boolean } = {},
  ): Promise<MessageView> {
    const { dialogs } = this.deps;
    // Who he is and his newest dialog, remembered or read once; the dispatch decides on that row
    // (version-checked).
    const { visitor, latest, remembered } = await this.requireVisitorWithLatest(identity.visitorId, options);
    let row = this.currentOf(latest);
    if (!row) {
      const created = await this.startWithMessage(visitor, identity.siteId, input);
      if (created) return created;
      // Another tab started his dialog meanwhile: the message goes there.
      row = await this.currentDialog(visitor.id);
      if (!row) throw conflict('the dialog changed concurrently; retry');
    }
    let loaded: Dialog | undefined = row;
    if (!isOpen(row)) {
      const route = await this.routeFields({
        choice: { groupId: row.groupId ?? undefined },
        language: visitor.language ?? undefined,
        kind: row.kind,
        returningVisitor: true,
      });
      const reopened = await dialogs.dispatch(row.id, { type: 'REOPEN', ...route }, {}, row);
      // The reopened row is the one this node remembers now.
      loaded = undefined;
      if (!reopened.accepted) {
        // Another tab started a new dialog meanwhile (one open dialog per visitor, a unique index):
        // the message goes there.
        row = await this.currentDialog(visitor.id);
        if (!row || !isOpen(row)) throw conflict('the dialog changed concurrently; retry');
      }
    }
    // The message is stored in the transition's transaction (a state that takes no VISITOR_MESSAGE
    // still stores it, as a change of its own); a resend returns the stored one.
    const { stored } = await dialogs.dispatchWithMessage(
      row.id,
      { type: 'VISITOR_MESSAGE' },
      visitorMessage(row.id, visitor, input),
      { ...(loaded ? { loaded } : {}), storeAnyway: isOpen },
    );
    if (stored) return stored;
    // Decided on what this node remembered while the dialog moved on elsewhere (closed, blocked):
    // decided again on a read of him.
    if (remembered) return this.sendMessage(identity, input, { read: true });
    throw conflict('the dialog changed concurrently; retry');
  }

  /**
   * A message with no dialog to go to (none yet, or the last closed too long ago) starts a new one,
   * linked to the earlier, stored routed with the message in one transaction. Null when another start
   * of the visitor won the race.
   */
  private async startWithMessage(
    visitor: Visitor,
    siteId: string,
    input: z.infer<typeof VisitorMessageSchema>,
  ): Promise<MessageView | null> {
    const { repo, decisions } = this.deps;
    const latest = await repo.latestDialogOfVisitor(visitor.id);
    const { route, operators } = await this.newRoute({
      choice: {},
      language: visitor.language ?? undefined,
      kind: 'chat',
      returningVisitor: Boolean(latest),
    });
    const id = randomUUID();
    const created = await this.createRouted(
      visitor,
      {
        id,
        siteId,
        kind: 'chat',
        locale: decisions().locale(visitor.language),
        page: null,
        callback: null,
        previousDialogId: latest?.id ?? null,
      },
      route,
      { messages: [visitorMessage(id, visitor, input)], operators },
      true,
    );
    return created?.messages.find((m) => m.clientMessageId === input.clientMessageId) ?? null;
  }

  async leaveContact(identity: VisitorIdentity, input: z.infer<typeof ContactSchema>): Promise<ContactView> {
    const { dialogs, metrics } = this.deps;
    const normalized = normalizeContact(input.contact, this.deps.decisions().phoneCountry(identity.siteId));
    if (!normalized.ok) throw badRequest(normalized.reason, 'contact');
    const contact: ContactView = { kind: normalized.kind, value: normalized.value };
    const row = await this.currentDialog(identity.visitorId);
    if (!row) throw new AppError('not_found', 'no open dialog to attach the contact to');
    await this.touch(identity.visitorId, {
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
    if (rating !== undefined) await repo.rate(row.id, rating);
    if (!isOpen(row)) return;
    const result = await dialogs.dispatch(row.id, { type: 'CLOSE', by: 'visitor', outcome: 'visitor-left' });
    if (result.accepted && result.state === 'abandoned') metrics.abandoned.inc();
  }

  async pageChange(identity: VisitorIdentity, page: z.infer<typeof PageInfoSchema>) {
    const row = await this.currentDialog(identity.visitorId);
    await this.deps.visitorRepo.recordPage(identity.visitorId, row?.id ?? null, page);
    return row;
  }

  /** A slot for a file in his dialog (the open one, or the latest while writing would reopen it). */
  async prepareAttachment(
    identity: VisitorIdentity,
    input: z.infer<typeof AttachmentPrepareSchema>,
  ): Promise<AttachmentSlot> {
    const dialog = await this.currentDialog(identity.visitorId);
    if (!dialog) throw new AppError('not_found', 'no open dialog to attach the file to');
    if (input.dialogId && input.dialogId !== dialog.id) throw forbidden('this dialog is not yours');
    return this.deps.attachments.prepare(
      { kind: 'visitor', id: identity.visitorId },
      { dialogId: dialog.id, siteId: dialog.siteId },
      input,
    );
  }

  /** Every typing change of a visitor whose dialog has a holder goes to `listener` (to the holder). */
  onTyping(listener: VisitorTypingListener) {
    this.typingListeners.push(listener);
  }

  /** The visitor types (or stops): his open dialog's holder, if any, is told. */
  async typing(identity: VisitorIdentity, typing: boolean): Promise<void> {
    const row = await this.currentDialog(identity.visitorId);
    if (!row?.operatorId) return;
    for (const listener of this.typingListeners)
      listener({ operatorId: row.operatorId, dialogId: row.id, typing });
  }

  /**
   * Who he is and his newest dialog: as this node remembers them when it has his open dialog's row
   * (`remembered`: a message's dispatch is version-checked on it), else one read (`options.read`: always).
   */
  private async requireVisitorWithLatest(
    visitorId: string,
    options: { read?: boolean } = {},
  ): Promise<{ visitor: Visitor; latest: Dialog | null; remembered: boolean }> {
    const known = options.read ? undefined : this.known.get(visitorId);
    const open = known && this.deps.dialogs.rememberedOpenDialogOf(visitorId);
    const found =
      known && open
        ? { visitor: known.visitor, latest: open, remembered: true }
        : await this.readVisitorWithLatest(visitorId);
    if (found.visitor.blockedAt) throw forbidden('this chat is not available');
    return found;
  }

  private async readVisitorWithLatest(visitorId: string) {
    const found = await this.deps.visitorRepo.visitorWithLatestDialog(visitorId);
    if (!found) {
      this.known.delete(visitorId);
      throw new AppError('unauthorized', 'unknown visitor');
    }
    this.known.set(visitorId, { visitor: found.visitor });
    return { ...found, remembered: false };
  }

  /** Changes his row, and what this node remembers of him. */
  private async touch(
    visitorId: string,
    patch: Partial<Pick<Visitor, 'name' | 'email' | 'phone' | 'language'>>,
  ) {
    await this.deps.visitorRepo.touchVisitor(visitorId, patch);
    const known = this.known.get(visitorId);
    if (known) this.known.set(visitorId, { ...known, visitor: { ...known.visitor, ...patch } });
  }

  /**
   * Stores a new dialog already routed (the first message, when there is one, recorded before the
   * ROUTE), unless the visitor has an open dialog by then (checked under a lock on his row: two
   * starts never give him two dialogs). Null when he had one.
   */
  private async createRouted(
    visitor: Visitor,
    dialog: Omit<NewDialog, 'visitorId'>,
    route: RouteFields,
    hooks: CreateHooks,
    withMessage: boolean,
  ): Promise<DialogChange | null> {
    const { dialogs } = this.deps;
    const events: DialogEventInput[] = [
      ...(withMessage ? [{ type: 'VISITOR_MESSAGE' as const }] : []),
      { type: 'ROUTE', ...route },
    ];
    const result = await dialogs.create({ ...dialog, visitorId: visitor.id }, events, hooks);
    return result?.change ?? null;
  }

  /**
   * Where a dialog goes and how many of that group's operators are online: pure routing-rules
   * decisions (an unknown menu id falls through to the default route, never an error) and one read.
   */
  private async routeFields(context: RouteContext): Promise<RouteFields> {
    const { store, decisions, clock } = this.deps;
    const route = decisions().resolveRoute(context, clock());
    return { ...route, operatorsOnline: await store.countOnline(route.groupId) };
  }

  /**
   * A new dialog's route, as `routeFields`, from one read of the group's operators (not a count):
   * the same read is what the new dialog's hold ranks (`CreateHooks.operators`), so a start reads
   * the group once.
   */
  private async newRoute(context: RouteContext): Promise<{ route: RouteFields; operators: GroupOperators }> {
    const { store, decisions, clock } = this.deps;
    const route = decisions().resolveRoute(context, clock());
    const operators = await store.listOperators(route.groupId);
    return {
      route: { ...route, operatorsOnline: operators.filter((o) => o.status === 'online').length },
      operators: { groupId: route.groupId, operators },
    };
  }

  /**
   * Routes a dialog left in `created` (saved by an engine that routed after saving and died in
   * between). Its menu choice was not kept, so the rules or the default route decide. The reconciler
   * calls this; false when the dialog had moved on meanwhile.
   */
  async routeStranded(row: Dialog): Promise<boolean> {
    const route = await this.routeFields({
      choice: {},
      pageUrl: row.page?.url,
      language: row.locale,
      kind: row.kind,
      returningVisitor: row.previousDialogId !== null,
    });
    return (await this.deps.dialogs.dispatch(row.id, { type: 'ROUTE', ...route })).accepted;
  }
}

/** What a dialog's route is decided on (routing-rules' `resolveRoute`). */
interface RouteContext {
  choice: { groupId?: string | undefined; topicId?: string | undefined; regionId?: string | undefined };
  pageUrl?: string | undefined;
  language: string | undefined;
  kind: DialogKind;
  returningVisitor: boolean;
}

/** A visitor's message as stored. */
function visitorMessage(
  dialogId: string,
  visitor: Visitor,
  message: { clientMessageId: string; body: string; attachmentIds?: string[] | undefined },
): NewMessage {
  return {
    dialogId,
    authorKind: 'visitor',
    clientMessageId: message.clientMessageId,
    body: message.body,
    authorName: visitor.name,
    ...(message.attachmentIds?.length
      ? { attachments: { ids: message.attachmentIds, uploader: { kind: 'visitor', id: visitor.id } } }
      : {}),
  };
}

const isOpen = (row: Dialog) => OPEN_STATES.includes(stateName(row.state));
