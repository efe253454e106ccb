/**
 * The realtime protocol shared by the engine, the widget and the operator console.
 * Client → server payloads are zod schemas (validated at the edge); server → client payloads are types.
 * Every client → server event takes an acknowledgement `Ack<T>`. docs/protocol.md describes each event.
 *
 * Namespaces: `/visitor` (auth: `{ siteId, visitorToken? }`) and `/operator` (auth: session cookie or
 * `{ token }` from POST /api/auth/login).
 */
import { DIALOG_KINDS, type DialogKind, PRESENCES, type Presence } from '@hotline/routing-rules/vocabulary';
import { z } from 'zod';
import type { DialogState } from './dialog-states';

export type { DialogKind, Presence };

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Dotted path of the offending field, when one field is at fault. */
  field?: string;
  /** With `rate_limited`: how long to wait before the same action is allowed again (REST also sends `Retry-After` in seconds). */
  retryAfterMs?: number;
}

export type Ack<T> = { data: T } | { error: ErrorBody };
export type AckCallback<T> = (response: Ack<T>) => void;

/**
 * One client → server event: what the client sends (the input of its zod schema, before defaults
 * and transforms) and what the acknowledgement carries.
 */
export interface Request<Payload, Acked> {
  payload: Payload;
  ack: Acked;
}

/** A namespace's requests by event name (`R` is the table itself: no index signature, so unknown names fail). */
export type RequestTable<R> = { [E in keyof R]: Request<unknown, unknown> };

/**
 * The socket.io event map of a request table. A mapped type, so `ClientEvents<R>[E]` stays a plain
 * function type for a generic `E`: clients type a request by its event name alone. The engine also
 * accepts `typing:set` and `page:change` without an ack; typed clients always pass one.
 */
export type ClientEvents<R extends RequestTable<R>> = {
  [E in keyof R]: (payload: R[E]['payload'], ack: AckCallback<R[E]['ack']>) => void;
};

// ---------- shared shapes ----------

export { type DialogState, OPEN_DIALOG_STATES } from './dialog-states';

export type AuthorKind = 'visitor' | 'operator' | 'auto' | 'system';

export interface MessageView {
  id: string;
  dialogId: string;
  seq: number;
  authorKind: AuthorKind;
  /** Display name as the reader should see it (operator's display name, team name, visitor name). */
  authorName: string | null;
  authorAvatarUrl: string | null;
  operatorId: string | null;
  /** For auto-messages: offline-reply, unanswered, queue-wait, contact-thanks, ... (console shows it; widget may not). */
  autoKind: string | null;
  clientMessageId: string | null;
  body: string;
  createdAt: string;
  /** Files sent with the message (its body is then the caption, possibly empty). */
  attachments?: AttachmentView[];
}

/**
 * A file in a message. `url` and `thumbnailUrl` are short-lived signed links (re-signed on every read
 * of the dialog): a path on the engine or a presigned S3 URL. `removed`: deleted by retention (the
 * message keeps this placeholder; `url` is then '').
 */
export interface AttachmentView {
  id: string;
  name: string;
  /** The sniffed MIME type. */
  type: string;
  size: number;
  kind: 'image' | 'file';
  url: string;
  thumbnailUrl?: string;
  width?: number;
  height?: number;
  removed?: true;
}

/** The slot `attachment:prepare` grants: `PUT` the bytes to `uploadUrl` before `expiresAt`. */
export interface AttachmentSlot {
  attachmentId: string;
  uploadUrl: string;
  expiresAt: string;
}

export interface ContactView {
  kind: 'phone' | 'email';
  value: string;
}

export interface PageView {
  url: string;
  title: string | null;
  referrer: string | null;
  at: string;
}

export interface VisitorCard {
  visitorId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  language: string | null;
  userAgent: string | null;
  ip: string | null;
  currentPage: PageView | null;
  pages: PageView[];
  referrer: string | null;
  earlierDialogs: number;
  blocked: boolean;
}

export interface DialogSummary {
  id: string;
  visitorId: string;
  siteId: string;
  kind: DialogKind;
  state: DialogState;
  groupId: string | null;
  topicId: string | null;
  regionId: string | null;
  priority: number;
  operatorId: string | null;
  operatorName: string | null;
  contact: ContactView | null;
  /** For call-back requests: the number to call and when the visitor prefers it. */
  callback: { phone: string; preferredTime?: string } | null;
  createdAt: string;
  queuedAt: string | null;
  assignedAt: string | null;
  closedAt: string | null;
  outcome: string | null;
  /** Since when the visitor's last message has gone unanswered, null when answered. */
  waitingSince: string | null;
  /**
   * When the unanswered threshold will take this dialog from its operator (groups with
   * rerouteOnUnanswered), for a countdown; null when nothing will. Typing or replying postpones it.
   */
  rerouteAt: string | null;
  lastMessage: MessageView | null;
}

export interface DialogDetail extends DialogSummary {
  messages: MessageView[];
  visitor: VisitorCard;
  /** Earlier dialogs of the same visitor, newest first, with their messages. */
  history: { dialog: DialogSummary; messages: MessageView[] }[];
}

/**
 * What a waiting visitor is shown (docs/protocol.md, _Queue positions_): his exact position in the
 * head of the queue, else the bound he is behind (his position is greater than `position`).
 */
export interface QueuePositionView {
  dialogId: string;
  /** Exact when `exact`; otherwise a true lower bound: he is behind the first `position`. */
  position: number;
  exact: boolean;
  /** Estimated wait with an exact position; null behind the head or with too little recent data. */
  eta: { minutes: number; qualifier: 'about' | 'less-than' } | null;
}

export interface GroupLiveStats {
  groupId: string;
  name: string;
  waiting: number;
  longestWaitSeconds: number;
  inProgress: number;
  operators: { operatorId: string; name: string; status: Presence; load: number; limit: number }[];
}

// ---------- strings from clients ----------

/**
 * Every string a client sends: no NUL byte (Postgres refuses it in text, so it would fail deep in a
 * write) and no other control character (C0, DEL, C1) but tab, newline and carriage return (they only
 * garble names, URLs and logs). Refused at the edge with the field named.
 */
const NO_CONTROL = /^[\P{Cc}\t\n\r]*$/u;
export const plainString = () => z.string().regex(NO_CONTROL, 'must not contain control characters');

// ---------- visitor → server ----------

const text = (max: number) =>
  plainString().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/**
 * A page URL or referrer from the visitor's browser: kept only when it is http(s). Anything else
 * (`javascript:`, `data:`, relative junk) is dropped to '' rather than refused, so a strange page never
 * costs the visitor his dialog, and the console never receives a URL it could run.
 */
const visitorUrl = () =>
  plainString()
    .max(2048)
    .transform((value) => (isHttpUrl(value) ? value : ''));

export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

export const PageInfoSchema = z.object({
  url: visitorUrl(),
  title: plainString().max(512).optional(),
  referrer: visitorUrl()
    .transform((value) => value || undefined)
    .optional(),
});

export const VisitorAuthSchema = z.object({
  siteId: plainString().min(1).max(64),
  visitorToken: plainString().min(16).max(128).optional(),
});

export const DialogStartSchema = z.object({
  choice: z
    .object({
      groupId: plainString().max(64).optional(),
      topicId: plainString().max(64).optional(),
      regionId: plainString().max(64).optional(),
    })
    .default({}),
  page: PageInfoSchema,
  language: plainString().max(35).optional(),
  name: plainString().trim().max(120).optional(),
  /** The first message may come with the start, so nothing is lost between the two events. */
  message: z.object({ clientMessageId: plainString().min(1).max(64), body: text(4000) }).optional(),
  kind: z.enum(DIALOG_KINDS).default('chat'),
  callback: z.object({ phone: text(40), preferredTime: plainString().max(120).optional() }).optional(),
});

/** At most this many files per message. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

/**
 * A message's body and files: with `attachmentIds` (uploaded by the sender into this dialog, not yet
 * sent) the body is a caption and may be empty; without, it must not be.
 */
const MessageContentSchema = z.object({
  /** Chosen by the client; a resend with the same id is stored once. */
  clientMessageId: plainString().min(1).max(64),
  body: plainString().trim().max(4000, 'must be at most 4000 characters').default(''),
  attachmentIds: z
    .array(z.uuid('must be attachment ids'))
    .max(MAX_ATTACHMENTS_PER_MESSAGE, `at most ${MAX_ATTACHMENTS_PER_MESSAGE} files per message`)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an attachment')
    .optional(),
});
const notEmpty: [
  (m: { body: string; attachmentIds?: string[] | undefined }) => boolean,
  { message: string; path: string[] },
] = [
  (m) => m.body.length > 0 || (m.attachmentIds?.length ?? 0) > 0,
  { message: 'must not be empty', path: ['body'] },
];

export const VisitorMessageSchema = MessageContentSchema.refine(...notEmpty);

/** `attachment:prepare`: a slot for one file (the visitor's open dialog when `dialogId` is omitted). */
export const AttachmentPrepareSchema = z.object({
  dialogId: z.uuid('must be a dialog id').optional(),
  name: plainString().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
  size: z.number().int('must be a whole number of bytes').positive('must be more than 0 bytes'),
  type: plainString().max(255).default(''),
});

export const TypingSchema = z.object({ typing: z.boolean() });
export const ContactSchema = z.object({ contact: text(120), name: plainString().trim().max(120).optional() });
export const CallbackRequestSchema = z.object({
  phone: text(40),
  preferredTime: plainString().max(120).optional(),
});
export const VisitorCloseSchema = z.object({ rating: z.number().int().min(1).max(5).optional() });
export const PageChangeSchema = PageInfoSchema;

export interface VisitorSession {
  visitorToken: string;
  visitorId: string;
  /** The open (or recently closed, reopenable) dialog with its history. */
  dialog: VisitorDialogView | null;
}

export interface VisitorDialogView {
  id: string;
  state: DialogState;
  operatorName: string | null;
  operatorAvatarUrl: string | null;
  messages: MessageView[];
  queue: QueuePositionView | null;
  /** The engine asks for a contact (offline / unanswered / long wait). */
  contactRequested: boolean;
  contact: ContactView | null;
}

type In<S extends z.ZodType> = z.input<S>;

/** `callback:request` also reports the page the visitor is on. */
export const VisitorCallbackSchema = CallbackRequestSchema.extend({ page: PageInfoSchema.optional() });

export interface VisitorRequests {
  'session:resume': Request<Record<string, never>, VisitorSession>;
  'dialog:start': Request<In<typeof DialogStartSchema>, VisitorDialogView>;
  'message:send': Request<In<typeof VisitorMessageSchema>, MessageView>;
  'contact:leave': Request<In<typeof ContactSchema>, ContactView>;
  'callback:request': Request<In<typeof VisitorCallbackSchema>, VisitorDialogView>;
  'dialog:close': Request<In<typeof VisitorCloseSchema>, null>;
  'attachment:prepare': Request<In<typeof AttachmentPrepareSchema>, AttachmentSlot>;
  'typing:set': Request<In<typeof TypingSchema>, null>;
  'page:change': Request<In<typeof PageChangeSchema>, null>;
}

export type VisitorClientToServer = ClientEvents<VisitorRequests>;

export interface VisitorServerToClient {
  'message:new': (message: MessageView) => void;
  'dialog:state': (update: {
    dialogId: string;
    state: DialogState;
    operatorName: string | null;
    operatorAvatarUrl: string | null;
    contactRequested: boolean;
  }) => void;
  'queue:position': (position: QueuePositionView) => void;
  'typing:operator': (update: { dialogId: string; typing: boolean }) => void;
}

// ---------- operator → server ----------

export const PresenceSchema = z.object({ status: z.enum(PRESENCES) });
export const DialogRefSchema = z.object({ dialogId: z.uuid('must be a dialog id') });
export const OperatorMessageSchema = MessageContentSchema.extend({
  dialogId: z.uuid('must be a dialog id'),
}).refine(...notEmpty);
/** The operator names the dialog the file goes to. */
export const OperatorAttachmentPrepareSchema = AttachmentPrepareSchema.extend({
  dialogId: z.uuid('must be a dialog id'),
});
export const OperatorTypingSchema = z.object({
  dialogId: z.uuid('must be a dialog id'),
  typing: z.boolean(),
});
export const TransferSchema = z
  .object({
    dialogId: z.uuid('must be a dialog id'),
    toGroupId: plainString().min(1).max(64).optional(),
    toOperatorId: z.uuid('must be an operator id').optional(),
    note: plainString().trim().max(1000).optional(),
  })
  .refine((v) => Boolean(v.toGroupId) !== Boolean(v.toOperatorId), {
    message: 'give exactly one of toGroupId or toOperatorId',
    path: ['toGroupId'],
  });
/** A supervisor hands a queued dialog to a named operator (online, with room). */
export const AssignSchema = z.object({
  dialogId: z.uuid('must be a dialog id'),
  operatorId: z.uuid('must be an operator id'),
});
export const CloseSchema = z.object({
  dialogId: z.uuid('must be a dialog id'),
  outcome: z.enum(['resolved', 'called-back', 'e-mailed', 'no-answer', 'spam', 'other']).default('resolved'),
});
/** How an operator may close a dialog. */
export type CloseOutcome = z.infer<typeof CloseSchema>['outcome'];
export const BlockSchema = z.object({ dialogId: z.uuid('must be a dialog id'), reason: text(500) });

export interface OperatorSelf {
  operatorId: string;
  name: string;
  email: string;
  role: 'operator' | 'supervisor';
  status: Presence;
  load: number;
  limit: number;
}

type DialogRef = In<typeof DialogRefSchema>;

export interface OperatorRequests {
  'presence:set': Request<In<typeof PresenceSchema>, OperatorSelf>;
  'dialogs:list': Request<Record<string, never>, { mine: DialogSummary[]; leads: DialogSummary[] }>;
  'dialog:open': Request<DialogRef, DialogDetail>;
  'offer:accept': Request<DialogRef, DialogDetail>;
  'offer:decline': Request<DialogRef, null>;
  'message:send': Request<In<typeof OperatorMessageSchema>, MessageView>;
  'dialog:transfer': Request<In<typeof TransferSchema>, DialogSummary>;
  /** Supervisors only: a queued dialog to a named operator with room. */
  'dialog:assign': Request<In<typeof AssignSchema>, DialogSummary>;
  /** Supervisors only: a held dialog becomes the supervisor's (he needs room under his limit). */
  'dialog:takeover': Request<DialogRef, DialogDetail>;
  'dialog:close': Request<In<typeof CloseSchema>, DialogSummary>;
  'lead:pick': Request<DialogRef, DialogDetail>;
  'visitor:block': Request<In<typeof BlockSchema>, null>;
  'dashboard:subscribe': Request<Record<string, never>, GroupLiveStats[]>;
  'attachment:prepare': Request<In<typeof OperatorAttachmentPrepareSchema>, AttachmentSlot>;
  'typing:set': Request<In<typeof OperatorTypingSchema>, null>;
}

export type OperatorClientToServer = ClientEvents<OperatorRequests>;

export interface OperatorServerToClient {
  'self:update': (self: OperatorSelf) => void;
  'dialog:assigned': (dialog: DialogDetail) => void;
  'dialog:offered': (offer: { dialog: DialogDetail; expiresAt: string }) => void;
  'dialog:updated': (dialog: DialogSummary) => void;
  /** The dialog left this operator (transferred, closed by someone else, offer expired). */
  'dialog:removed': (update: { dialogId: string; reason: string }) => void;
  'message:new': (message: MessageView) => void;
  'typing:visitor': (update: { dialogId: string; typing: boolean }) => void;
  'lead:new': (dialog: DialogSummary) => void;
  'dashboard:update': (stats: GroupLiveStats[]) => void;
  /** This connection's session was revoked; the server disconnects the socket right after. */
  'session:revoked': (update: { reason: SessionRevokeReason }) => void;
  /** His quick replies changed (created, deleted, reordered, in any of his tabs): the whole list, in his order. */
  'quickReplies:changed': (update: { quickReplies: QuickReply[] }) => void;
}

/** A canned answer: an operator's own (`personal`) or shared with a group by a supervisor (`group`). */
export interface QuickReply {
  id: string;
  scope: 'personal' | 'group';
  groupId: string | null;
  shortcut: string;
  title: string;
  body: string;
}

/** Between engine nodes (through the socket.io Redis adapter); clients never see them. */
export interface InterServerEvents {
  /** These groups' queues moved on the sending node: push the new positions to your own visitors. */
  'queue:changed': (groupIds: string[]) => void;
  /** Something the dashboard counts changed on the sending node, which has no supervisor to push to. */
  'dashboard:changed': () => void;
}

/** Why an operator session ended before its expiry (`session:revoked`, `GET /api/auth/sessions`). */
export type SessionRevokeReason =
  | 'logout'
  | 'revoked'
  | 'password-changed'
  | 'deactivated'
  | 'role-changed'
  | 'revoked-by-supervisor';

/** One of my sessions, as `GET /api/auth/sessions` lists it. */
export interface OperatorSessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/**
 * The engine's socket.io `Server` maps: one server carries both namespaces, so its maps are both
 * namespaces' maps together; each namespace is then typed by its own (`Namespace<VisitorClientToServer, …>`).
 */
export type ClientToServerEvents = VisitorClientToServer & OperatorClientToServer;
export type ServerToClientEvents = VisitorServerToClient & OperatorServerToClient;
