import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { AttachmentView, AuthorKind, ContactView, MessageView, PageView } from '../protocol/events';
import { conflict } from '../errors';
import type { Database } from './database';

export type Executor = Database | Knex.Transaction;

export interface VisitorRow {
  id: string;
  token_hash: string;
  site_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  language: string | null;
  user_agent: string | null;
  ip: string | null;
  blocked_at: Date | null;
  blocked_reason: string | null;
}

export interface DialogRow {
  id: string;
  visitor_id: string;
  site_id: string;
  kind: 'chat' | 'callback';
  state: string;
  snapshot: unknown;
  version: number;
  group_id: string | null;
  topic_id: string | null;
  region_id: string | null;
  priority: number;
  locale: string;
  operator_id: string | null;
  contact: ContactView | null;
  callback: { phone: string; preferredTime?: string } | null;
  page: { url: string; title?: string; referrer?: string } | null;
  outcome: string | null;
  rating: number | null;
  previous_dialog_id: string | null;
  created_at: Date;
  updated_at: Date;
  queued_at: Date | null;
  assigned_at: Date | null;
  first_response_at: Date | null;
  first_auto_response_at: Date | null;
  closed_at: Date | null;
}

interface MessageRow {
  id: string;
  seq: string | number;
  dialog_id: string;
  author_kind: AuthorKind;
  operator_id: string | null;
  auto_kind: string | null;
  auto_key: string | null;
  client_message_id: string | null;
  body: string;
  meta: { authorName?: string | null; authorAvatarUrl?: string | null } | null;
  created_at: Date;
}

export interface NewMessage {
  dialogId: string;
  authorKind: AuthorKind;
  operatorId?: string | null;
  autoKind?: string | null;
  autoKey?: string | null;
  clientMessageId?: string | null;
  body: string;
  authorName?: string | null;
  authorAvatarUrl?: string | null;
  at?: Date;
  /** Files sent with the message: claimed in its transaction (AttachmentService.claim), or the send fails. */
  attachments?: { ids: string[]; uploader: { kind: 'visitor' | 'operator'; id: string } };
}

/**
 * How messages get their files (the attachments module, set once at start): claimed when a message is
 * stored, and read, with freshly signed links, on every read of messages.
 */
export interface MessageAttachments {
  claim(
    trx: Executor,
    input: {
      ids: string[];
      dialogId: string;
      uploader: { kind: 'visitor' | 'operator'; id: string };
      messageId: string;
    },
  ): Promise<void>;
  viewsOf(executor: Executor, messageIds: string[]): Promise<Map<string, AttachmentView[]>>;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function toMessageView(row: MessageRow): MessageView {
  return {
    id: row.id,
    dialogId: row.dialog_id,
    seq: Number(row.seq),
    authorKind: row.author_kind,
    authorName: row.meta?.authorName ?? null,
    authorAvatarUrl: row.meta?.authorAvatarUrl ?? null,
    operatorId: row.operator_id,
    autoKind: row.auto_kind,
    clientMessageId: row.client_message_id,
    body: row.body,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Durable dialogs, messages and visitors. Postgres is the source of truth; Redis is rebuilt from here. */
export class DialogRepository {
  constructor(
    readonly db: Database,
    /** Messages' files, joined to their views. */
    private readonly attachments: MessageAttachments,
  ) {}

  /** The views with their files (signed links made now); views of messages without files are unchanged. */
  private async withAttachments(views: MessageView[], executor: Executor = this.db): Promise<MessageView[]> {
    if (views.length === 0) return views;
    const files = await this.attachments.viewsOf(
      executor,
      views.map((v) => v.id),
    );
    return files.size === 0
      ? views
      : views.map((v) => (files.has(v.id) ? { ...v, attachments: files.get(v.id) } : v));
  }

  private async oneWithAttachments(view: MessageView, executor: Executor = this.db): Promise<MessageView> {
    return (await this.withAttachments([view], executor))[0]!;
  }

  async findVisitorByToken(token: string): Promise<VisitorRow | null> {
    return (
      (await this.db<VisitorRow>('visitors')
        .where({ token_hash: hashToken(token) })
        .first()) ?? null
    );
  }

  async findVisitor(id: string, executor: Executor = this.db): Promise<VisitorRow | null> {
    return (await executor<VisitorRow>('visitors').where({ id }).first()) ?? null;
  }

  async createVisitor(input: {
    token: string;
    siteId: string;
    userAgent?: string | null;
    ip?: string | null;
    language?: string | null;
  }): Promise<VisitorRow> {
    const row = {
      id: randomUUID(),
      token_hash: hashToken(input.token),
      site_id: input.siteId,
      user_agent: input.userAgent ?? null,
      ip: input.ip ?? null,
      language: input.language ?? null,
    };
    await this.db('visitors').insert(row);
    return (await this.findVisitor(row.id))!;
  }

  async touchVisitor(
    id: string,
    patch: Partial<Pick<VisitorRow, 'name' | 'email' | 'phone' | 'language' | 'user_agent' | 'ip'>>,
    executor: Executor = this.db,
  ) {
    await executor('visitors')
      .where({ id })
      .update({ ...patch, last_seen_at: new Date() });
  }

  async blockVisitor(id: string, reason: string) {
    await this.db('visitors').where({ id }).update({ blocked_at: new Date(), blocked_reason: reason });
  }

  async recordPage(
    visitorId: string,
    dialogId: string | null,
    page: { url: string; title?: string | undefined; referrer?: string | undefined },
    executor: Executor = this.db,
  ) {
    await executor('visitor_pages').insert({
      visitor_id: visitorId,
      dialog_id: dialogId,
      url: page.url,
      title: page.title ?? null,
      referrer: page.referrer ?? null,
    });
  }

  async pages(visitorId: string, limit = 50): Promise<PageView[]> {
    const rows = await this.db('visitor_pages')
      .where({ visitor_id: visitorId })
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map((r: { url: string; title: string | null; referrer: string | null; at: Date }) => ({
      url: r.url,
      title: r.title,
      referrer: r.referrer,
      at: new Date(r.at).toISOString(),
    }));
  }

  async insertDialog(
    row: Partial<DialogRow> & Pick<DialogRow, 'id' | 'visitor_id' | 'site_id' | 'state' | 'snapshot'>,
    executor: Executor = this.db,
  ) {
    await executor('dialogs').insert({ ...row, snapshot: JSON.stringify(row.snapshot) });
  }

  async findDialog(id: string, executor: Executor = this.db): Promise<DialogRow | null> {
    return (await executor<DialogRow>('dialogs').where({ id }).first()) ?? null;
  }

  /**
   * Writes a transition only if nobody else wrote since `expectedVersion` was read: a node that lost
   * its lock (paused, partitioned) cannot overwrite a newer state.
   */
  async saveTransition(
    executor: Executor,
    id: string,
    expectedVersion: number,
    changes: Partial<DialogRow>,
  ): Promise<boolean> {
    const updated = await executor('dialogs')
      .where({ id, version: expectedVersion })
      .update({
        ...changes,
        ...(changes.snapshot !== undefined ? { snapshot: JSON.stringify(changes.snapshot) } : {}),
        version: expectedVersion + 1,
        updated_at: new Date(),
      });
    return updated === 1;
  }

  async recordEvent(
    executor: Executor,
    event: {
      dialogId: string;
      version: number;
      type: string;
      fromState: string | null;
      toState: string;
      payload: unknown;
      nodeId: string;
    },
  ) {
    await executor('dialog_events').insert({
      dialog_id: event.dialogId,
      version: event.version,
      type: event.type,
      from_state: event.fromState,
      to_state: event.toState,
      payload: JSON.stringify(event.payload),
      node_id: event.nodeId,
    });
  }

  /**
   * Inserts a message; a retry with the same client id or auto key returns the stored one, `created: false`.
   * A message with files claims them in the same transaction (opened here when `executor` is none).
   */
  async insertMessage(
    executor: Executor,
    message: NewMessage,
  ): Promise<{ message: MessageView; created: boolean }> {
    const files = message.attachments;
    if (files?.ids.length && !executor.isTransaction)
      return this.db.transaction((trx) => this.insertMessage(trx, message));
    const row = {
      id: randomUUID(),
      dialog_id: message.dialogId,
      author_kind: message.authorKind,
      operator_id: message.operatorId ?? null,
      auto_kind: message.autoKind ?? null,
      auto_key: message.autoKey ?? null,
      client_message_id: message.clientMessageId ?? null,
      body: message.body,
      meta: JSON.stringify({
        authorName: message.authorName ?? null,
        authorAvatarUrl: message.authorAvatarUrl ?? null,
      }),
      created_at: message.at ?? new Date(),
    };
    const inserted: MessageRow[] = await executor('messages')
      .insert(row)
      .onConflict()
      .ignore()
      .returning('*');
    if (inserted[0]) {
      if (files?.ids.length && this.attachments) {
        await this.attachments.claim(executor, {
          ids: files.ids,
          dialogId: message.dialogId,
          uploader: files.uploader,
          messageId: row.id,
        });
      }
      return { message: await this.oneWithAttachments(toMessageView(inserted[0]), executor), created: true };
    }
    const existing = await executor<MessageRow>('messages')
      .where({ dialog_id: message.dialogId })
      .andWhere((q) => {
        if (message.clientMessageId) q.where({ client_message_id: message.clientMessageId });
        else q.where({ auto_key: message.autoKey ?? '' });
      })
      .first();
    return { message: await this.oneWithAttachments(toMessageView(existing!), executor), created: false };
  }

  async findMessageByClientId(dialogId: string, clientMessageId: string): Promise<MessageView | null> {
    const row = await this.db<MessageRow>('messages')
      .where({ dialog_id: dialogId, client_message_id: clientMessageId })
      .first();
    return row ? this.oneWithAttachments(toMessageView(row)) : null;
  }

  async messages(dialogId: string): Promise<MessageView[]> {
    const rows = await this.db<MessageRow>('messages').where({ dialog_id: dialogId }).orderBy('seq');
    return this.withAttachments(rows.map(toMessageView));
  }

  async lastMessages(dialogIds: string[]): Promise<Map<string, MessageView>> {
    if (dialogIds.length === 0) return new Map();
    const rows = await this.db<MessageRow>('messages')
      .distinctOn('dialog_id')
      .whereIn('dialog_id', dialogIds)
      .orderBy([{ column: 'dialog_id' }, { column: 'seq', order: 'desc' }]);
    const views = await this.withAttachments(rows.map(toMessageView));
    return new Map(views.map((v) => [v.dialogId, v]));
  }

  /** The visitor's newest dialog, open or closed. */
  async latestDialogOfVisitor(visitorId: string): Promise<DialogRow | null> {
    return (
      (await this.db<DialogRow>('dialogs')
        .where({ visitor_id: visitorId })
        .orderBy('created_at', 'desc')
        .first()) ?? null
    );
  }

  /**
   * The visitor's open dialog, read after locking his row until the transaction ends: creations that
   * take this lock run one after the other and see each other's dialog, so no visitor gets two.
   */
  async lockOpenDialogOfVisitor(
    trx: Knex.Transaction,
    visitorId: string,
    openStates: readonly string[],
  ): Promise<DialogRow | null> {
    await trx('visitors').where({ id: visitorId }).forUpdate().first('id');
    const open = await trx<DialogRow>('dialogs')
      .where({ visitor_id: visitorId })
      .whereIn('state', openStates)
      .orderBy('created_at', 'desc')
      .first();
    return open ?? null;
  }

  /**
   * Erases the visitor and everything of his (dialogs with their messages, events and attachment rows,
   * pages, address blocks) in one transaction under his row lock, so no dialog of his starts meanwhile.
   * `conflict` while he has an open dialog. Returns the dialogs and attachments erased (their bytes are
   * the caller's to delete).
   */
  async eraseVisitor(
    visitorId: string,
    openStates: readonly string[],
  ): Promise<{ dialogIds: string[]; attachments: { id: string; dialog_id: string }[] } | null> {
    return this.db.transaction(async (trx) => {
      if (!(await trx('visitors').where({ id: visitorId }).first('id'))) return null;
      if (await this.lockOpenDialogOfVisitor(trx, visitorId, openStates))
        throw conflict('the visitor has an open dialog; close it first');
      const dialogIds = (await trx<DialogRow>('dialogs').where({ visitor_id: visitorId }).select('id')).map(
        (d) => d.id,
      );
      const attachments: { id: string; dialog_id: string }[] = dialogIds.length
        ? await trx('attachments').whereIn('dialog_id', dialogIds).select('id', 'dialog_id')
        : [];
      await trx('visitor_blocks').where({ visitor_id: visitorId }).delete();
      await trx('visitor_pages').where({ visitor_id: visitorId }).delete();
      if (dialogIds.length) {
        // Another visitor's dialog never links to his; his own links go first so the rows can go in any order.
        await trx('dialogs').whereIn('id', dialogIds).update({ previous_dialog_id: null });
        await trx('dialogs').whereIn('id', dialogIds).delete();
      }
      await trx('visitors').where({ id: visitorId }).delete();
      return { dialogIds, attachments };
    });
  }

  async dialogsOfVisitor(visitorId: string): Promise<DialogRow[]> {
    return this.db<DialogRow>('dialogs').where({ visitor_id: visitorId }).orderBy('created_at', 'desc');
  }

  async dialogsInStates(
    states: string[],
    filter: { operatorId?: string; groupIds?: string[] } = {},
  ): Promise<DialogRow[]> {
    const query = this.db<DialogRow>('dialogs').whereIn('state', states);
    if (filter.operatorId) query.where({ operator_id: filter.operatorId });
    if (filter.groupIds) query.whereIn('group_id', filter.groupIds);
    return query.orderBy('created_at');
  }

  async recentDialogs(limit: number): Promise<DialogRow[]> {
    return this.db<DialogRow>('dialogs').orderBy('updated_at', 'desc').limit(limit);
  }

  /** Recent handling times of a group (assignment to close), newest first, for honest wait estimates. */
  async recentHandleTimesMs(groupId: string, limit = 20): Promise<number[]> {
    const rows = await this.db<DialogRow>('dialogs')
      .where({ group_id: groupId })
      .whereNotNull('assigned_at')
      .whereNotNull('closed_at')
      .orderBy('closed_at', 'desc')
      .limit(limit);
    return rows
      .map((r) => new Date(r.closed_at!).getTime() - new Date(r.assigned_at!).getTime())
      .filter((ms) => ms > 0);
  }
}
