import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { MessageView, PageView } from '@hotline/protocol';
import { conflict } from '../errors';
import { type Database, runPrepared } from './database';
import {
  DIALOG_COLUMNS,
  type Dialog,
  type DialogRow,
  dialogColumns,
  type Executor,
  type HandoverColumns,
  handoverColumns,
  toPageView,
  toColumns,
  toDialog,
  toVisitor,
  type Visitor,
  type VisitorRow,
} from './dialog-rows';
import type { MessageRepository } from './message-repository';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Durable visitors and the pages they saw (`visitors`, `visitor_pages`). */
export class VisitorRepository {
  constructor(
    private readonly db: Database,
    /** The messages a visitor card's read brings along (a new holder's detail). */
    private readonly messages: MessageRepository,
  ) {}

  async findVisitorByToken(token: string): Promise<Visitor | null> {
    const row = await this.db<VisitorRow>('visitors')
      .where({ token_hash: hashToken(token) })
      .first();
    return row ? toVisitor(row) : null;
  }

  async findVisitor(id: string, executor: Executor = this.db): Promise<Visitor | null> {
    const row = await executor<VisitorRow>('visitors').where({ id }).first();
    return row ? toVisitor(row) : null;
  }

  async createVisitor(input: {
    token: string;
    siteId: string;
    userAgent?: string | null;
    ip?: string | null;
    language?: string | null;
  }): Promise<Visitor> {
    const row = {
      id: randomUUID(),
      token_hash: hashToken(input.token),
      site_id: input.siteId,
      user_agent: input.userAgent ?? null,
      ip: input.ip ?? null,
      language: input.language ?? null,
    };
    // One statement (the insert returns the row), named: every new visitor runs it. Named columns,
    // never `*`: a cached plan whose result type changed (a column added while a node runs) fails.
    const [created] = await runPrepared<VisitorRow>(
      this.db,
      'hotline_create_visitor',
      `insert into visitors (id, token_hash, site_id, user_agent, ip, language)
       values (?, ?, ?, ?, ?, ?)
       returning id, token_hash, site_id, name, email, phone, language, user_agent, ip, blocked_at, blocked_reason`,
      [row.id, row.token_hash, row.site_id, row.user_agent, row.ip, row.language],
    );
    return toVisitor(created!);
  }

  async touchVisitor(
    id: string,
    patch: Partial<Pick<Visitor, 'name' | 'email' | 'phone' | 'language' | 'userAgent' | 'ip'>>,
    executor: Executor = this.db,
  ) {
    await executor('visitors')
      .where({ id })
      .update({ ...toColumns(patch), last_seen_at: new Date() });
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

  /**
   * The visitor and his newest pages in one read (the visitor card); with `dialogId`, that dialog's
   * messages too, in the same statement (a new holder's detail).
   */
  async visitorWithPages(
    visitorId: string,
    dialogId: string | null = null,
  ): Promise<{ visitor: Visitor | null; pages: PageView[]; messages: MessageView[] }> {
    const result = await this.db.raw<{ rows: HandoverColumns[] }>(
      `select ${handoverColumns('?', '?', false)}`,
      [visitorId, visitorId, dialogId],
    );
    const row = result.rows[0];
    return {
      visitor: row?.visitor ? toVisitor(row.visitor) : null,
      pages: (row?.pages ?? []).map(toPageView),
      messages: await this.messages.withFiles(row?.messages ?? []),
    };
  }

  async pages(visitorId: string, limit = 50): Promise<PageView[]> {
    const rows = await this.db('visitor_pages')
      .where({ visitor_id: visitorId })
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(toPageView);
  }

  /**
   * The visitor and his newest dialog in one read (the visitor's write path: who he is, where his
   * message goes).
   */
  async visitorWithLatestDialog(
    visitorId: string,
  ): Promise<{ visitor: Visitor; latest: Dialog | null } | null> {
    // Named: every start and every visitor message reads it.
    const [row] = await runPrepared<DialogRow & { visitor: VisitorRow | null }>(
      this.db,
      'hotline_visitor_latest',
      `select to_jsonb(v) as visitor, ${dialogColumns('d')} from visitors v
         left join lateral (select ${DIALOG_COLUMNS.join(', ')} from dialogs where visitor_id = v.id
           order by created_at desc limit 1) d on true
         where v.id = ?`,
      [visitorId],
    );
    if (!row?.visitor) return null;
    const { visitor, ...dialog } = row;
    return {
      visitor: toVisitor(visitor),
      latest: dialog.id ? toDialog(dialog) : null,
    };
  }

  /**
   * The visitor's open dialog, read after locking his row until the transaction ends: creations that
   * take this lock run one after the other and see each other's dialog, so no visitor gets two.
   */
  async lockOpenDialogOfVisitor(
    trx: Knex.Transaction,
    visitorId: string,
    openStates: readonly string[],
  ): Promise<{ id: string } | null> {
    // Two statements, not one: a statement that waited for the lock still sees its own (older)
    // snapshot, so the look at his open dialog must come after the lock, in a statement of its own.
    await trx('visitors').where({ id: visitorId }).forUpdate().first('id');
    const result = await trx.raw<{ rows: { open_id: string | null }[] }>(
      `select id as open_id from dialogs where visitor_id = ? and state = any(?::text[])
       order by created_at desc limit 1`,
      [visitorId, [...openStates]],
    );
    const openId = result.rows[0]?.open_id ?? null;
    return openId ? { id: openId } : null;
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
}
