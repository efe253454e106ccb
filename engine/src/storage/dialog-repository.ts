import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { AuthorKind, MessageView, PageView } from '@hotline/protocol';
import { type Database, runPrepared } from './database';
import {
  DIALOG_COLUMNS,
  type Dialog,
  type DialogFields,
  type DialogRow,
  type Executor,
  type HandoverColumns,
  handoverColumns,
  type MessageRow,
  toMessageView,
  toPageView,
  toColumns,
  toDialog,
  toSnakeCase,
  toVisitor,
  type Visitor,
} from './dialog-rows';
import type { MessageRepository } from './message-repository';

export type { Dialog, DialogFields, Visitor } from './dialog-rows';

/** One event of the machine as the event log keeps it (`dialog_events`). */
export interface EventRecord {
  version: number;
  type: string;
  fromState: string | null;
  toState: string;
  payload: unknown;
}

/** What the outbox records: a transition of the machine, or a message stored without one. */
export type ChangeKind = 'transition' | 'message';

export interface StoredChange {
  id: number;
  dialogId: string;
  seq: number;
  kind: ChangeKind;
  payload: unknown;
  createdAt: string;
}

/** A dialog row as a write returned it, with what the change's views need from other rows. */
export interface CommittedDialog {
  row: Dialog;
  holder: { name: string; avatarUrl: string | null } | null;
  /** The dialog's newest message before this change's own. */
  lastMessage: MessageView | null;
  /** What its new holder is handed, when the write asked for it (`ChangeWrite.handover`). */
  handover: Handover | null;
}

/**
 * What a dialog's new holder needs besides the change (the visitor card, the history), read by the
 * change's own statement so that nobody reads the dialog again to hand it over.
 */
export interface Handover {
  visitor: Visitor | null;
  /** His newest pages, newest first (at most HANDOVER_PAGES). */
  pages: PageView[];
  /** The dialog's messages stored before this change, in order. */
  messages: MessageView[];
  /** How many other dialogs he has had. */
  earlierCount: number;
  /** The newest of them (at most HANDOVER_EARLIER), newest first, with their holder's name and messages. */
  earlier: { row: Dialog; operatorName: string | null; messages: MessageView[] }[];
}

/** A new dialog's fields: what it needs besides the columns' defaults. */
export type NewDialogFields = DialogFields &
  Pick<Dialog, 'id' | 'visitorId' | 'siteId' | 'state' | 'snapshot'>;

/** What a change statement writes beside the dialog row. */
export interface ChangeWrite {
  kind: ChangeKind;
  nodeId: string;
  events: EventRecord[];
  /** The author's message (a visitor's, an operator's): when it is stored already, nothing is written. */
  message?: NewMessage | undefined;
  /** Other messages stored with the change, in order (notes, auto-messages); a duplicate is skipped. */
  messages: NewMessage[];
  /** The page a new dialog starts on, recorded with it. */
  page?: { url: string; title?: string | undefined; referrer?: string | undefined } | null;
  /**
   * The outbox payload without its messages (the statement adds them as stored); null for a change of
   * kind `message`: the statement takes state, version and context from the row it locked.
   */
  payload: object | null;
  /** The dialog goes to a new holder: the statement also reads what he is handed (`Handover`). */
  handover?: boolean;
}

export interface WrittenChange {
  kind: 'written';
  committed: CommittedDialog;
  /** The messages stored, in order (a duplicate auto-message left out). */
  messages: MessageView[];
  /** `ChangeWrite.message` as stored (by this change, or by a resend that raced it). */
  author: MessageView | null;
  change: { id: number; seq: number; createdAt: Date };
}

export type WriteOutcome = WrittenChange | { kind: 'stale' } | { kind: 'resent'; message: MessageView };

/**
 * What a change statement returns: the dialog's columns it did not set (`Target.known`), all null when
 * it wrote nothing, and what the change's views need from other rows.
 */
type WrittenRow = Partial<DialogRow> & {
  change_seq: number | null;
  holder_name: string | null;
  holder_avatar_url: string | null;
  last_message?: MessageRow | null;
  stored: { id: string; seq: string | number }[];
  resent?: MessageRow | null;
  change_id: string | null;
  change_at: string | null;
} & Partial<HandoverColumns>;

/** The write would give the visitor a second open dialog (a reopen racing a start): nothing was written. */
export class OpenDialogExists extends Error {
  constructor() {
    super('the visitor has another open dialog');
  }
}

function isOpenDialogConflict(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    error.code === '23505' &&
    'constraint' in error &&
    error.constraint === 'dialogs_one_open_per_visitor'
  );
}

/** The dialog's insert or update a change statement starts with (its `d`), as SQL and its bindings. */
interface Target {
  sql: string;
  bindings: Knex.Value[];
  /**
   * The columns it sets, with the values as the engine has them: the statement returns only the
   * others (a transition's snapshot, dates and context columns are not sent back and parsed again).
   */
  known: Record<string, unknown>;
  /** An insert: the dialog had no messages before this change. */
  created: boolean;
}

/** A column's value as a binding: anything but undefined (a row's values are JSON-like and Dates). */
const isBinding = (entry: [string, unknown]): entry is [string, Knex.Value] => entry[1] !== undefined;

/**
 * A jsonb column's object as its JSON text, as pg would send it: knex refuses a raw binding that holds
 * an undefined field anywhere (a page without a referrer), where JSON leaves the field out.
 */
const asBinding = (value: Knex.Value): Knex.Value =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  !(value instanceof Date) &&
  !Buffer.isBuffer(value)
    ? JSON.stringify(value)
    : value;

/**
 * The columns with a value: an absent field keeps its column's default (an insert) or value (an update).
 * `as`: `asBinding` for the statement's bindings; none for what a read of the written row gives back.
 */
const present = (
  columns: Record<string, unknown>,
  as: (value: Knex.Value) => Knex.Value = (value) => value,
) =>
  Object.fromEntries(
    Object.entries(columns)
      .filter(isBinding)
      .map(([column, value]) => [column, as(value)]),
  );

/**
 * The update of a dialog row a change starts with: `set` (with its `values`) where the row is `id` (at
 * `version`, when given) and, for a resendable message, where that message is not stored already.
 */
function changeUpdate(
  set: string,
  values: Knex.Value[],
  known: Record<string, unknown>,
  where: { id: string; version?: number },
  write: ChangeWrite,
): Target {
  const resent = write.message?.clientMessageId;
  const bindings = [...values, where.id];
  let sql = `update dialogs set ${set} where id = ?`;
  if (where.version !== undefined) {
    sql += ' and version = ?';
    bindings.push(where.version);
  }
  if (resent) {
    sql += ' and not exists (select 1 from messages where dialog_id = ? and client_message_id = ?)';
    bindings.push(where.id, resent);
  }
  return {
    sql: `${sql} returning ${DIALOG_COLUMNS.join(', ')}, change_seq`,
    bindings,
    known: { ...known, id: where.id },
    created: false,
  };
}

/**
 * The name each text of the change statement is prepared under. Its texts are few (one per set of
 * columns a transition writes, with or without a handover or a resend check), so the map stays small.
 */
const changeStatementNames = new Map<string, string>();
function changeStatementName(sql: string): string {
  let name = changeStatementNames.get(sql);
  if (name === undefined) {
    name = `hotline_change_${changeStatementNames.size + 1}`;
    changeStatementNames.set(sql, name);
  }
  return name;
}

/** A dialog by id (`findDialog`). */
const FIND_DIALOG = `select ${DIALOG_COLUMNS.join(', ')} from dialogs where id = ?`;

/** A visitor's newest dialog (`latestDialogOfVisitor`). */
const LATEST_DIALOG = `select ${DIALOG_COLUMNS.join(', ')} from dialogs where visitor_id = ? order by created_at desc limit 1`;

/** A message's row (its id made here) and its view without `seq` (the insert assigns it). */
function messageDraft(message: NewMessage): {
  message: NewMessage;
  row: Record<string, unknown>;
  view: MessageView;
} {
  const id = randomUUID();
  const createdAt = message.at ?? new Date();
  // No author to show (a visitor's, a system message): no meta at all, as a read maps it (toMessageView).
  const meta =
    message.authorName == null && message.authorAvatarUrl == null
      ? null
      : { authorName: message.authorName ?? null, authorAvatarUrl: message.authorAvatarUrl ?? null };
  const columns = {
    id,
    dialog_id: message.dialogId,
    author_kind: message.authorKind,
    operator_id: message.operatorId ?? null,
    auto_kind: message.autoKind ?? null,
    auto_key: message.autoKey ?? null,
    client_message_id: message.clientMessageId ?? null,
    body: message.body,
    meta,
  };
  return {
    message,
    row: { ...columns, created_at: createdAt.toISOString() },
    view: toMessageView({ ...columns, seq: 0, created_at: createdAt }),
  };
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
/**
 * Durable dialogs and their changes (`dialogs`; the outbox `dialog_changes` read back). A change is ONE
 * statement by design (`writeChange`): the dialog row, its messages, events, page and outbox row are
 * written together, so it stays here rather than split by table. Postgres is the source of truth;
 * Redis is rebuilt from here.
 */
export class DialogRepository {
  constructor(
    private readonly db: Database,
    /** The messages a change's statement stores or reads, as views with their files. */
    private readonly messages: MessageRepository,
  ) {}

  /** A transaction, for a change whose hooks write more than its one statement. */
  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Where a change's statement runs without a transaction of its own (autocommit). */
  executor(): Executor {
    return this.db;
  }

  /** The visitor's rating of his dialog (given as he closes it). */
  async rate(dialogId: string, rating: number): Promise<void> {
    await this.db('dialogs').where({ id: dialogId }).update({ rating });
  }

  /** Whose dialogs these are: dialog id → visitor id (unknown ids are left out). */
  async visitorsOf(dialogIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db('dialogs')
      .whereIn('id', [...dialogIds])
      .select<{ id: string; visitor_id: string }[]>('id', 'visitor_id');
    return new Map(rows.map((row) => [row.id, row.visitor_id]));
  }

  /** The views with their files (signed links made now); views of messages without files are unchanged. */

  /** Inserts the row as it is (no change, no events): what an engine that died before routing left. */
  async insertDialog(dialog: NewDialogFields): Promise<void> {
    await this.db('dialogs').insert(toColumns(dialog));
  }

  async findDialog(id: string, executor: Executor = this.db): Promise<Dialog | null> {
    // Named and run straight on the pool: the engine reads a dialog before each of its transitions.
    const [row] = await runPrepared<DialogRow>(executor, 'hotline_find_dialog', FIND_DIALOG, [id]);
    return row ? toDialog(row) : null;
  }

  /**
   * Creates a dialog with its change in ONE statement (no transaction needed): the row, its messages,
   * events, page and outbox row. Null when the visitor has an open dialog already (the partial unique
   * index `dialogs_one_open_per_visitor`: nothing is written).
   */
  async createDialog(
    dialog: NewDialogFields,
    write: ChangeWrite,
    executor: Executor = this.db,
  ): Promise<WrittenChange | null> {
    const columns = present({ ...toColumns(dialog), change_seq: 1 }, asBinding);
    const insert: Target = {
      sql: `insert into dialogs (${Object.keys(columns).join(', ')})
            values (${Object.keys(columns)
              .map(() => '?')
              .join(', ')})
            on conflict do nothing returning ${DIALOG_COLUMNS.join(', ')}, change_seq`,
      bindings: Object.values(columns),
      known: present(toSnakeCase(dialog)),
      created: true,
    };
    const written = await this.writeChange(executor, insert, dialog.id, write);
    return written.kind === 'written' ? written : null;
  }

  /**
   * Writes a transition only if nobody else wrote since `expectedVersion` was read (a node that lost
   * its lock cannot overwrite a newer state), with its messages, events and outbox row, in ONE
   * statement. `stale` when someone wrote first, `resent` when the author's message was stored before
   * (nothing written); throws `OpenDialogExists` when the write would give the visitor a second open dialog.
   */
  async saveTransition(
    executor: Executor,
    id: string,
    expectedVersion: number,
    changes: DialogFields,
    write: ChangeWrite,
  ): Promise<WriteOutcome> {
    const set = { version: expectedVersion + 1, updated_at: new Date() };
    const columns = present({ ...toColumns(changes), ...set }, asBinding);
    const update = changeUpdate(
      `${Object.keys(columns)
        .map((c) => `${c} = ?`)
        .join(', ')}, change_seq = change_seq + 1`,
      Object.values(columns),
      present({ ...toSnakeCase(changes), ...set }),
      { id, version: expectedVersion },
      write,
    );
    return this.writeChange(executor, update, id, write);
  }

  /**
   * A change without a transition (a message stored in a state that takes none): the row's
   * `change_seq` moves, nothing else of it; `resent` when the author's message was stored before.
   */
  async saveMessage(executor: Executor, id: string, write: ChangeWrite): Promise<WriteOutcome> {
    const updatedAt = new Date();
    const update = changeUpdate(
      'change_seq = change_seq + 1, updated_at = ?',
      [updatedAt],
      { updated_at: updatedAt },
      { id },
      write,
    );
    return this.writeChange(executor, update, id, write);
  }

  /**
   * The one statement of a change: `target` (the dialog's insert or update, RETURNING the row) and,
   * only when it wrote, the messages (a duplicate client id or auto key is skipped), the events, the
   * page and the outbox row, whose `seq` is the row's `change_seq` (docs/changes.md). The outbox
   * payload gets the messages as stored (with their `seq`).
   */
  private async writeChange(
    executor: Executor,
    target: Target,
    dialogId: string,
    write: ChangeWrite,
  ): Promise<WriteOutcome> {
    const all = write.message ? [write.message, ...write.messages] : write.messages;
    const drafts = all.map((m) => messageDraft(m));
    const events = write.events.map((e) => ({
      dialog_id: dialogId,
      version: e.version,
      type: e.type,
      from_state: e.fromState,
      to_state: e.toState,
      payload: e.payload,
      node_id: write.nodeId,
    }));
    const page = write.page;
    const resent = write.message?.clientMessageId ?? null;
    const returned = DIALOG_COLUMNS.filter((column) => !(column in target.known));
    // The newest message before this change's own is for a summary of a change that stores none: a
    // new dialog has none before, and an author's message is stored whenever the row is written.
    const lastMessage = !target.created && !write.message;
    const sql = `with d as (${target.sql}),
       m as (insert into messages (id, dialog_id, author_kind, operator_id, auto_kind, auto_key,
               client_message_id, body, meta, created_at)
             select x.id, x.dialog_id, x.author_kind, x.operator_id, x.auto_kind, x.auto_key,
               x.client_message_id, x.body, x.meta, x.created_at
             from jsonb_populate_recordset(null::messages, ?::jsonb) with ordinality as x
             where exists (select 1 from d) order by x.ordinality
             on conflict do nothing returning id, seq),
       e as (insert into dialog_events (dialog_id, version, type, from_state, to_state, payload, node_id)
             select x.dialog_id, x.version, x.type, x.from_state, x.to_state, x.payload, x.node_id
             from jsonb_populate_recordset(null::dialog_events, ?::jsonb) as x where exists (select 1 from d)),
       p as (insert into visitor_pages (visitor_id, dialog_id, url, title, referrer)
             select d.visitor_id, d.id, ?, ?, ? from d where ?),
       v as (select (view->>'id')::uuid as id, view from jsonb_array_elements(?::jsonb) as views(view)),
       c as (insert into dialog_changes (dialog_id, seq, kind, payload, node_id)
             select d.id, d.change_seq, ?, coalesce(?::jsonb, jsonb_build_object('event', null,
               'from', d.snapshot->>'value', 'to', d.snapshot->>'value', 'version', d.version,
               'context', d.snapshot->'context')) || jsonb_build_object('messages', coalesce(
               (select jsonb_agg(v.view || jsonb_build_object('seq', m.seq) order by m.seq)
                from m join v on v.id = m.id), '[]'::jsonb)), ?
             from d returning id, seq, created_at)
       select ${[...returned.map((column) => `d.${column}`), 'd.change_seq'].join(', ')},
         h.name as holder_name, h.avatar_url as holder_avatar_url,
         ${
           lastMessage
             ? `(select to_jsonb(lm) from messages lm where lm.dialog_id = d.id order by lm.seq desc limit 1)
                  as last_message,`
             : ''
         }
         (select coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'seq', m.seq)), '[]'::jsonb) from m)
           as stored,
         ${
           resent
             ? `(select to_jsonb(dm) from messages dm where dm.dialog_id = ? and dm.client_message_id = ?)
                  as resent,`
             : ''
         }
         c.id as change_id, c.created_at as change_at
         ${write.handover ? `, ${handoverColumns('d.visitor_id', 'd.id', true)}` : ''}
       from (select 1) as one left join d on true left join c on true
         left join lateral (select coalesce(o.display_name, o.name) as name, o.avatar_url from operators o
           where o.id = d.operator_id) h on true`;
    const rows = await runPrepared<WrittenRow>(executor, changeStatementName(sql), sql, [
      ...target.bindings,
      JSON.stringify(drafts.map((d) => d.row)),
      JSON.stringify(events),
      page?.url ?? null,
      page?.title ?? null,
      page?.referrer ?? null,
      page !== null && page !== undefined,
      JSON.stringify(drafts.map((d) => d.view)),
      write.kind,
      write.payload === null ? null : JSON.stringify(write.payload),
      write.nodeId,
      ...(resent ? [dialogId, resent] : []),
    ]).catch((error: unknown) => {
      if (isOpenDialogConflict(error)) throw new OpenDialogExists();
      throw error;
    });
    const {
      stored,
      resent: previous,
      change_id,
      change_at,
      holder_name,
      holder_avatar_url,
      last_message,
      visitor,
      pages,
      messages,
      earlier_count,
      earlier,
      ...columns
    } = rows[0]!;
    if (columns.change_seq === null) {
      if (previous)
        return { kind: 'resent', message: await this.messages.oneWithAttachments(toMessageView(previous)) };
      return { kind: 'stale' };
    }
    const seqOf = new Map(stored.map((m) => [m.id, Number(m.seq)]));
    const written = drafts.filter((d) => seqOf.has(d.view.id));
    let views = written.map((d) => ({ ...d.view, seq: seqOf.get(d.view.id)! }));
    // The row as written: what the statement set, as the engine has it, and what it read back.
    const row = { ...columns, ...target.known } as DialogRow;
    const change = { id: Number(change_id), seq: columns.change_seq, createdAt: new Date(change_at!) };
    if (written.some((d) => d.message.attachments?.ids.length)) {
      if (!executor.isTransaction) throw new Error('messages with files are stored in a transaction');
      views = await this.claimFiles(executor, change.id, written, views);
    }
    const author = write.message
      ? (views.find((v) => v.id === drafts[0]!.view.id) ??
        (resent ? await this.messages.findMessageByClientId(dialogId, resent) : null))
      : null;
    return {
      kind: 'written',
      committed: {
        row: toDialog(row),
        holder: holder_name === null ? null : { name: holder_name, avatarUrl: holder_avatar_url },
        lastMessage: last_message ? toMessageView(last_message) : null,
        handover: write.handover
          ? {
              visitor: visitor ? toVisitor(visitor) : null,
              pages: (pages ?? []).map(toPageView),
              messages: await this.messages.withFiles(messages ?? [], executor),
              earlierCount: Number(earlier_count ?? 0),
              earlier: await Promise.all(
                (earlier ?? []).map(async (e) => ({
                  row: toDialog(e.row),
                  operatorName: e.operator_name,
                  messages: await this.messages.withFiles(e.messages, executor),
                })),
              ),
            }
          : null,
      },
      messages: views,
      author,
      change,
    };
  }

  /** Claims the files of a change's messages in its transaction; the outbox payload gets their views. */
  private async claimFiles(
    trx: Executor,
    changeId: number,
    drafts: { message: NewMessage }[],
    stored: MessageView[],
  ): Promise<MessageView[]> {
    const views: MessageView[] = [];
    for (const [i, { message }] of drafts.entries()) {
      const view = stored[i]!;
      const files = message.attachments;
      if (!files?.ids.length) {
        views.push(view);
        continue;
      }
      await this.messages.claim(trx, {
        ids: files.ids,
        dialogId: message.dialogId,
        uploader: files.uploader,
        messageId: view.id,
      });
      views.push(await this.messages.oneWithAttachments(view, trx));
    }
    await trx.raw(
      `update dialog_changes set payload = payload || jsonb_build_object('messages', ?::jsonb) where id = ?`,
      [JSON.stringify(views), changeId],
    );
    return views;
  }

  /**
   * Outbox rows after the global id `afterId`, oldest first, at most `limit`; only those written by
   * transactions older than every transaction still running (docs/changes.md: how to read without
   * skipping).
   */
  async changesSince(afterId: number, limit: number): Promise<StoredChange[]> {
    const rows = await this.db('dialog_changes')
      .where('id', '>', afterId)
      .andWhereRaw('tx_id < pg_snapshot_xmin(pg_current_snapshot())')
      .orderBy('id')
      .limit(limit)
      .select<
        { id: string; dialog_id: string; seq: number; kind: ChangeKind; payload: unknown; created_at: Date }[]
      >('id', 'dialog_id', 'seq', 'kind', 'payload', 'created_at');
    return rows.map((r) => ({
      id: Number(r.id),
      dialogId: r.dialog_id,
      seq: r.seq,
      kind: r.kind,
      payload: r.payload,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** The holder and visitor of a dialog, one narrow read (typing indicators). */
  async holderOf(
    id: string,
  ): Promise<{ visitorId: string; operatorId: string | null; state: string } | null> {
    const row = await this.db('dialogs')
      .where({ id })
      .first<{ visitor_id: string; operator_id: string | null; state: string } | undefined>(
        'visitor_id',
        'operator_id',
        'state',
      );
    return row ? { visitorId: row.visitor_id, operatorId: row.operator_id, state: row.state } : null;
  }

  /** The visitor's newest dialog, open or closed. */
  async latestDialogOfVisitor(visitorId: string): Promise<Dialog | null> {
    // Named: a session's resume and the queue positions read it; planning it each time cost more than running it.
    const [row] = await runPrepared<DialogRow>(this.db, 'hotline_latest_dialog', LATEST_DIALOG, [visitorId]);
    return row ? toDialog(row) : null;
  }

  async dialogsOfVisitor(visitorId: string): Promise<Dialog[]> {
    const rows = await this.db<DialogRow>('dialogs')
      .where({ visitor_id: visitorId })
      .orderBy('created_at', 'desc');
    return rows.map(toDialog);
  }

  async dialogsInStates(
    states: string[],
    filter: { operatorId?: string; groupIds?: string[] } = {},
  ): Promise<Dialog[]> {
    const query = this.db<DialogRow>('dialogs').whereIn('state', states);
    if (filter.operatorId) query.where({ operator_id: filter.operatorId });
    if (filter.groupIds) query.whereIn('group_id', filter.groupIds);
    return (await query.orderBy('created_at')).map(toDialog);
  }

  async recentDialogs(limit: number): Promise<Dialog[]> {
    return (await this.db<DialogRow>('dialogs').orderBy('updated_at', 'desc').limit(limit)).map(toDialog);
  }

  /** Recent handling times of a group (assignment to close), newest first, for honest wait estimates. */
  async recentHandleTimesMs(groupId: string, limit = 20): Promise<number[]> {
    const rows = await this.db<DialogRow>('dialogs')
      .where({ group_id: groupId })
      .whereNotNull('assigned_at')
      .whereNotNull('closed_at')
      .orderBy('closed_at', 'desc')
      .limit(limit)
      // Only the two times: this runs on queue-position flushes.
      .select('assigned_at', 'closed_at');
    return rows
      .map((r) => new Date(r.closed_at!).getTime() - new Date(r.assigned_at!).getTime())
      .filter((ms) => ms > 0);
  }
}
