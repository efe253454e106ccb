import type {
  AuthorKind,
  ContactView,
  DialogKind,
  MessageView,
  PageView,
  VisitorCard,
} from '@hotline/protocol';

/** What the dialog, message and visitor repositories share: row shapes, their mappers, SQL fragments. */

export type { Executor } from './database';

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

/** A `dialogs` row: the columns named as one word are the `Dialog`'s fields as they are. */
export interface DialogRow
  extends Pick<
    Dialog,
    | 'id'
    | 'kind'
    | 'state'
    | 'snapshot'
    | 'version'
    | 'priority'
    | 'locale'
    | 'contact'
    | 'callback'
    | 'page'
    | 'outcome'
    | 'rating'
  > {
  visitor_id: string;
  site_id: string;
  group_id: string | null;
  topic_id: string | null;
  region_id: string | null;
  operator_id: string | null;
  previous_dialog_id: string | null;
  created_at: Date;
  updated_at: Date;
  queued_at: Date | null;
  assigned_at: Date | null;
  first_response_at: Date | null;
  first_auto_response_at: Date | null;
  closed_at: Date | null;
}

/**
 * The columns of a `DialogRow`, named rather than `*`: a named (prepared) statement's result must keep
 * its shape when a migration adds a column (Postgres refuses to run a cached plan whose result type
 * changed), and a read returns only what `toDialog` maps.
 */
export const DIALOG_COLUMNS = [
  'id',
  'visitor_id',
  'site_id',
  'kind',
  'state',
  'snapshot',
  'version',
  'group_id',
  'topic_id',
  'region_id',
  'priority',
  'locale',
  'operator_id',
  'contact',
  'callback',
  'page',
  'outcome',
  'rating',
  'previous_dialog_id',
  'created_at',
  'updated_at',
  'queued_at',
  'assigned_at',
  'first_response_at',
  'first_auto_response_at',
  'closed_at',
] as const satisfies readonly (keyof DialogRow)[];

/** `DIALOG_COLUMNS` as an SQL select list, each qualified by `alias`. */
export const dialogColumns = (alias: string) => DIALOG_COLUMNS.map((c) => `${alias}.${c}`).join(', ');

/** Pages on a visitor card and earlier dialogs in a holder's detail. */
export const HANDOVER_PAGES = 50;
export const HANDOVER_EARLIER = 10;

/** The visitor card's and the history's columns, as `handoverColumns` selects them. */
export interface HandoverColumns {
  /** Read as JSON: its dates are strings until `toVisitor`. */
  visitor: VisitorRow | null;
  pages: PageRow[] | null;
  messages: MessageWithFiles[] | null;
  earlier_count: string | number;
  earlier: { row: DialogRow; operator_name: string | null; messages: MessageWithFiles[] }[] | null;
}

export type MessageWithFiles = MessageRow & { has_files: boolean };

/** A dialog's messages in order, each with whether it has files (their files are read only then). */
export const messagesOf = (dialog: string, alias: string) =>
  `select coalesce(jsonb_agg(to_jsonb(${alias}) || jsonb_build_object('has_files',
     exists (select 1 from attachments a where a.message_id = ${alias}.id)) order by ${alias}.seq), '[]'::jsonb)
   from messages ${alias} where ${alias}.dialog_id = ${dialog}`;

/**
 * The visitor card's columns (his row, his newest pages) and, with `dialog`, that dialog's messages;
 * with `earlier`, his other dialogs too. `visitor` and `dialog` are SQL expressions.
 */
export function handoverColumns(visitor: string, dialog: string, earlier: boolean): string {
  const card = `(select to_jsonb(v) from visitors v where v.id = ${visitor}) as visitor,
    (select jsonb_agg(p order by p.at desc, p.id desc) from
      (select url, title, referrer, at, id from visitor_pages where visitor_id = ${visitor}
       order by at desc, id desc limit ${HANDOVER_PAGES}) p) as pages,
    (${messagesOf(dialog, 'm')}) as messages`;
  if (!earlier) return card;
  return `${card},
    (select count(*) from dialogs o where o.visitor_id = ${visitor} and o.id <> ${dialog}) as earlier_count,
    (select jsonb_agg(jsonb_build_object('row', to_jsonb(e),
        'operator_name', (select coalesce(o.display_name, o.name) from operators o where o.id = e.operator_id),
        'messages', (${messagesOf('e.id', 'em')})) order by e.created_at desc)
     from (select * from dialogs where visitor_id = ${visitor} and id <> ${dialog}
           order by created_at desc limit ${HANDOVER_EARLIER}) e) as earlier`;
}

export interface MessageRow {
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

export interface PageRow {
  url: string;
  title: string | null;
  referrer: string | null;
  at: Date | string;
}

export const toPageView = (r: PageRow): PageView => ({
  url: r.url,
  title: r.title,
  referrer: r.referrer,
  at: new Date(r.at).toISOString(),
});

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

/** A dialog as the engine sees it (outside storage/): camelCase, its dates as Dates. */
export interface Dialog {
  id: string;
  visitorId: string;
  siteId: string;
  kind: DialogKind;
  state: string;
  /** The machine's persisted state and context: parsed where it is used (dialog-snapshot.ts). */
  snapshot: unknown;
  version: number;
  groupId: string | null;
  topicId: string | null;
  regionId: string | null;
  priority: number;
  locale: string;
  operatorId: string | null;
  contact: ContactView | null;
  callback: { phone: string; preferredTime?: string } | null;
  page: { url: string; title?: string; referrer?: string } | null;
  outcome: string | null;
  rating: number | null;
  previousDialogId: string | null;
  createdAt: Date;
  updatedAt: Date;
  queuedAt: Date | null;
  assignedAt: Date | null;
  firstResponseAt: Date | null;
  firstAutoResponseAt: Date | null;
  closedAt: Date | null;
}

/** A visitor as the engine sees it (his token's hash stays in storage/); his card's fields as the card has them. */
export interface Visitor
  extends Pick<VisitorCard, 'name' | 'email' | 'phone' | 'language' | 'userAgent' | 'ip'> {
  id: string;
  siteId: string;
  blockedAt: Date | null;
  blockedReason: string | null;
}

/** A row read by knex has Dates; one read as JSON (`to_jsonb`) has strings: both become Dates. */
const dateOf = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/** The one mapping of a dialog row (a plain read, a change's RETURNING, a JSON column) to a `Dialog`. */
export function toDialog(row: DialogRow): Dialog {
  return {
    id: row.id,
    visitorId: row.visitor_id,
    siteId: row.site_id,
    kind: row.kind,
    state: row.state,
    snapshot: row.snapshot,
    version: row.version,
    groupId: row.group_id,
    topicId: row.topic_id,
    regionId: row.region_id,
    priority: row.priority,
    locale: row.locale,
    operatorId: row.operator_id,
    contact: row.contact,
    callback: row.callback,
    page: row.page,
    outcome: row.outcome,
    rating: row.rating,
    previousDialogId: row.previous_dialog_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    queuedAt: dateOf(row.queued_at),
    assignedAt: dateOf(row.assigned_at),
    firstResponseAt: dateOf(row.first_response_at),
    firstAutoResponseAt: dateOf(row.first_auto_response_at),
    closedAt: dateOf(row.closed_at),
  };
}

export function toVisitor(row: VisitorRow): Visitor {
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    language: row.language,
    userAgent: row.user_agent,
    ip: row.ip,
    blockedAt: dateOf(row.blocked_at),
    blockedReason: row.blocked_reason,
  };
}

/** A dialog's fields as it is written (the columns a create or a transition sets). */
export type DialogFields = Partial<Omit<Dialog, 'createdAt' | 'updatedAt'>>;

/** camelCase fields to their snake_case columns, the values as they are. */
export function toSnakeCase(fields: DialogFields | Partial<Visitor>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      value,
    ]),
  );
}

/** camelCase fields to their snake_case columns (a snapshot as JSON), for an insert or update. */
export function toColumns(fields: DialogFields | Partial<Visitor>): Record<string, unknown> {
  const columns = toSnakeCase(fields);
  if ('snapshot' in columns) columns.snapshot = JSON.stringify(columns.snapshot);
  return columns;
}
