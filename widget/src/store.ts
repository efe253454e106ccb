/**
 * The widget's whole state in one object, changed only through `update`, observed by the views.
 * Message merging lives here so that server history, live pushes and the local outbox agree.
 */
import type {
  AuthorKind,
  ContactView,
  DialogState,
  MessageView,
  QueuePositionView,
  VisitorDialogView,
} from '@hotline/protocol';
import type { AttachmentView } from '@hotline/client/attachments';
import { OPEN_DIALOG_STATES as OPEN_STATES } from '@hotline/protocol/dialog-states';
import type { SiteWidgetConfig } from './site-config';

export type View = 'menu' | 'chat' | 'callback' | 'callback-done';
export type Delivery = 'sending' | 'sent' | 'failed';
export type ConnectionStatus = 'idle' | 'connecting' | 'online' | 'reconnecting';

export interface ChatMessage {
  /** Stable key: the client id of the visitor's own messages, the server id of the rest. */
  key: string;
  id: string | null;
  clientMessageId: string | null;
  authorKind: AuthorKind;
  authorName: string | null;
  authorAvatarUrl: string | null;
  autoKind: string | null;
  body: string;
  attachments: AttachmentView[];
  createdAt: string;
  /** Server order; a message not stored yet sorts last. */
  seq: number;
  /** Only the visitor's own messages have a delivery state. */
  delivery: Delivery | null;
}

export interface DialogInfo {
  id: string;
  state: DialogState;
  operatorName: string | null;
  operatorAvatarUrl: string | null;
  contactRequested: boolean;
  contact: ContactView | null;
}

export interface WidgetState {
  open: boolean;
  greetingVisible: boolean;
  view: View;
  config: SiteWidgetConfig;
  locale: string;
  connection: ConnectionStatus;
  dialog: DialogInfo | null;
  messages: ChatMessage[];
  queue: QueuePositionView | null;
  operatorTyping: boolean;
  /** Indices of the bot buttons pressed so far. */
  botPath: number[];
  /** A dialog:start is on its way. */
  starting: boolean;
  unread: number;
  rated: boolean;
  callbackPhone: string | null;
  /** The engine refused this visitor (blocked by an operator): the chat says so and offers nothing. */
  blocked: boolean;
  /** Until when the engine asked us to slow down (`rate_limited`); what waited is retried then. */
  rateLimitedUntil: number | null;
  /** The menu path the visitor chose for this chat ("Returns › Return an item"), echoed in the chat. */
  choice: string | null;
}

export type Listener = (state: WidgetState, previous: WidgetState) => void;

export class Store {
  private listeners = new Set<Listener>();

  constructor(private state: WidgetState) {}

  get(): WidgetState {
    return this.state;
  }

  update(patch: Partial<WidgetState> | ((state: WidgetState) => Partial<WidgetState>)): void {
    const previous = this.state;
    const changes = typeof patch === 'function' ? patch(previous) : patch;
    this.state = { ...previous, ...changes };
    for (const listener of this.listeners) listener(this.state, previous);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * The states in which the visitor's chat goes on: every open state but `lead`, a dialog that waits for
 * an operator to reach him by the contact he left (for him the chat has ended).
 */
export const OPEN_DIALOG_STATES: readonly DialogState[] = OPEN_STATES.filter((s) => s !== 'lead');

export function isDialogOpen(dialog: DialogInfo | null): boolean {
  return dialog !== null && OPEN_DIALOG_STATES.includes(dialog.state);
}

export function fromServer(message: MessageView): ChatMessage {
  return {
    key: message.authorKind === 'visitor' && message.clientMessageId ? message.clientMessageId : message.id,
    id: message.id,
    clientMessageId: message.clientMessageId,
    authorKind: message.authorKind,
    authorName: message.authorName,
    authorAvatarUrl: message.authorAvatarUrl,
    autoKind: message.autoKind,
    body: message.body,
    attachments: message.attachments ?? [],
    createdAt: message.createdAt,
    seq: message.seq,
    delivery: message.authorKind === 'visitor' ? 'sent' : null,
  };
}

export function pendingMessage(
  clientMessageId: string,
  body: string,
  createdAt: string,
  delivery: Delivery = 'sending',
  attachments: AttachmentView[] = [],
): ChatMessage {
  return {
    key: clientMessageId,
    id: null,
    clientMessageId,
    authorKind: 'visitor',
    authorName: null,
    authorAvatarUrl: null,
    autoKind: null,
    body,
    attachments,
    createdAt,
    seq: Number.POSITIVE_INFINITY,
    delivery,
  };
}

/**
 * Inserts or replaces a message by key (a server copy replaces the pending one with the same client
 * id and never goes back to "sending"), keeping server order and pending messages last.
 */
export function upsertMessage(list: readonly ChatMessage[], incoming: ChatMessage): ChatMessage[] {
  const index = list.findIndex(
    (m) => m.key === incoming.key || (incoming.id !== null && m.id === incoming.id),
  );
  const next = [...list];
  if (index >= 0) {
    const current = next[index]!;
    if (current.id !== null && incoming.id === null) return next;
    next[index] = incoming;
  } else {
    next.push(incoming);
  }
  return next.sort((a, b) => a.seq - b.seq || a.createdAt.localeCompare(b.createdAt));
}

export function dialogInfo(view: VisitorDialogView): DialogInfo {
  return {
    id: view.id,
    state: view.state,
    operatorName: view.operatorName,
    operatorAvatarUrl: view.operatorAvatarUrl,
    contactRequested: view.contactRequested,
    contact: view.contact,
  };
}

/**
 * The operator who took the dialog since the previous state (an assignment or a transfer of the same
 * dialog, or of the one being started), else null. A reload (no dialog before) announces nobody.
 */
export function joinedOperator(previous: WidgetState, state: WidgetState): string | null {
  const before = previous.dialog;
  const now = state.dialog;
  if (!now?.operatorName || !isDialogOpen(now)) return null;
  const sameDialog = before ? before.id === now.id : previous.starting;
  if (!sameDialog || before?.operatorName === now.operatorName) return null;
  return now.operatorName;
}

/**
 * Adds "<name> joined the chat" as a line of the widget's own (not stored by the engine) after the
 * messages there now, unless the last such line of the dialog says the same: a late start ack can
 * briefly turn the dialog back to "no operator", which is no new arrival.
 */
export function withJoinedNotice(
  list: readonly ChatMessage[],
  dialogId: string,
  body: string,
): ChatMessage[] {
  const prefix = `joined-${dialogId}-`;
  const notices = list.filter((m) => m.key.startsWith(prefix));
  if (notices[notices.length - 1]?.body === body) return [...list];
  const stored = list.filter((m) => Number.isFinite(m.seq)).map((m) => m.seq);
  const key = `${prefix}${notices.length}`;
  return upsertMessage(list, {
    ...pendingMessage(key, body, new Date().toISOString()),
    clientMessageId: null,
    authorKind: 'system',
    seq: (stored.length ? Math.max(...stored) : 0) + 0.5,
    delivery: null,
  });
}
