/**
 * The one outbox of both UIs: messages written but not yet acknowledged by the engine, kept in
 * storage so a reload, a lost connection or a second tab loses nothing.
 *
 * Exactly once across reconnects: every item keeps its clientMessageId for life, and the engine
 * stores a resend with the same id once. Within one page an item is never in flight twice (flushes
 * join the running one). Items go out one at a time, in the order written. A retryable failure (no
 * ack) stops the flush until the next one; a refusal marks the item `failed`, with the engine's error,
 * until it is retried or discarded.
 *
 * Storage is read fresh on every call: another tab of the same site may have sent or added items.
 */
import type { AttachmentView, ErrorBody, MessageView } from '@hotline/protocol';
import { newClientMessageId } from './ids';
import type { Result } from './result';
import type { KeyValueStorage } from './storage';

export interface OutboxItem {
  clientMessageId: string;
  /** The dialog it goes to; none for the visitor (his open dialog). */
  dialogId?: string;
  body: string;
  createdAt: string;
  /** Uploaded files the message carries (the body is their caption); kept to show them while sending. */
  attachments?: AttachmentView[];
  /** queued: waits for a connection; sending: emitted by this page, ack pending; failed: refused. */
  status: 'queued' | 'sending' | 'failed';
  /** Why the engine refused it (with `failed`). */
  error?: ErrorBody;
}

export interface OutboxDraft {
  body: string;
  dialogId?: string;
  attachments?: AttachmentView[];
  /** Given when re-queuing a message that already has one (the engine then stores it once). */
  clientMessageId?: string;
  createdAt?: string;
}

export type SendMessage = (item: OutboxItem) => Promise<Result<MessageView>>;

export interface OutboxEvents {
  /** The list changed (added, sent, failed, retried, discarded). */
  onChange?: (items: OutboxItem[]) => void;
  /** The engine stored the message; it has left the outbox. */
  onSent?: (message: MessageView, item: OutboxItem) => void;
  /** The engine refused the message; it stays, `failed`, until retried or discarded. */
  onFailed?: (item: OutboxItem) => void;
}

type Stored = Omit<OutboxItem, 'status'> & { status: 'queued' | 'failed' };

export class Outbox {
  /** Sent by this page, ack pending: shown as `sending`, never stored so (a reload resends it). */
  private readonly inFlight = new Set<string>();
  private flushing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key: string,
    private readonly send: SendMessage,
    private readonly events: OutboxEvents = {},
  ) {}

  list(dialogId?: string): OutboxItem[] {
    return this.read()
      .filter((item) => dialogId === undefined || item.dialogId === dialogId)
      .map((item) => (this.inFlight.has(item.clientMessageId) ? { ...item, status: 'sending' } : item));
  }

  isSending(clientMessageId: string): boolean {
    return this.inFlight.has(clientMessageId);
  }

  /** Queues a message and returns it (the queued one when its id is already there); call flush() to send. */
  add(draft: OutboxDraft): OutboxItem {
    const items = this.read();
    const clientMessageId = draft.clientMessageId ?? newClientMessageId();
    const existing = items.find((i) => i.clientMessageId === clientMessageId);
    if (existing) return existing;
    const item: Stored = {
      clientMessageId,
      ...(draft.dialogId === undefined ? {} : { dialogId: draft.dialogId }),
      body: draft.body,
      createdAt: draft.createdAt ?? new Date().toISOString(),
      ...(draft.attachments?.length ? { attachments: draft.attachments } : {}),
      status: 'queued',
    };
    this.write([...items, item]);
    return item;
  }

  /** The engine has the message (its ack, or a `message:new` echo): it leaves the outbox. */
  confirm(clientMessageId: string): boolean {
    const items = this.read();
    const rest = items.filter((i) => i.clientMessageId !== clientMessageId);
    if (rest.length !== items.length) this.write(rest);
    return rest.length !== items.length;
  }

  /** A failed message goes back in the queue with its id. */
  retry(clientMessageId: string): void {
    this.patch(clientMessageId, { status: 'queued' });
  }

  discard(clientMessageId: string): void {
    this.confirm(clientMessageId);
  }

  /** Drops what waits for a dialog that is no longer the sender's (not what is in flight). */
  discardDialog(dialogId: string): void {
    const items = this.read();
    const rest = items.filter((i) => i.dialogId !== dialogId || this.inFlight.has(i.clientMessageId));
    if (rest.length !== items.length) this.write(rest);
  }

  /** Sends every queued message once, in order. A call during a flush joins it (and makes it look again). */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.flushOnce();
      } while (this.again);
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const tried = new Set<string>();
    for (;;) {
      // Fresh each time: another tab may have delivered or discarded the next one meanwhile.
      const next = this.read().find((i) => i.status === 'queued' && !tried.has(i.clientMessageId));
      if (!next) return;
      tried.add(next.clientMessageId);
      this.inFlight.add(next.clientMessageId);
      this.changed();
      let result: Result<MessageView>;
      try {
        result = await this.send({ ...next, status: 'sending' });
      } catch (error) {
        result = { ok: false, retryable: true, error: { code: 'unavailable', message: String(error) } };
      } finally {
        this.inFlight.delete(next.clientMessageId);
      }
      if (result.ok) {
        this.confirm(next.clientMessageId);
        this.events.onSent?.(result.data, next);
      } else if (result.retryable) {
        this.changed();
        return;
      } else {
        const failed = this.patch(next.clientMessageId, { status: 'failed', error: result.error });
        if (failed) this.events.onFailed?.(failed);
      }
    }
  }

  private patch(clientMessageId: string, patch: Partial<Stored>): OutboxItem | null {
    let touched: Stored | null = null;
    const items = this.read().map((item) => {
      if (item.clientMessageId !== clientMessageId) return item;
      const { error: _dropped, ...rest } = item;
      touched = { ...rest, ...patch };
      return touched;
    });
    if (touched) this.write(items);
    return touched;
  }

  private read(): Stored[] {
    try {
      const parsed: unknown = JSON.parse(this.storage.getItem(this.key) ?? '[]');
      return Array.isArray(parsed) ? parsed.flatMap(storedItem) : [];
    } catch {
      return [];
    }
  }

  private write(items: Stored[]): void {
    try {
      if (items.length === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(items));
    } catch {
      // Storage full or blocked: the page's own view still shows the message as unsent.
    }
    this.changed();
  }

  private changed(): void {
    this.events.onChange?.(this.list());
  }
}

/** A stored item, or nothing for junk; `sending` left by a closed page is queued again. */
function storedItem(value: unknown): Stored[] {
  if (!value || typeof value !== 'object') return [];
  const clientMessageId = field(value, 'clientMessageId');
  const body = field(value, 'body');
  if (typeof clientMessageId !== 'string' || typeof body !== 'string') return [];
  const createdAt = field(value, 'createdAt');
  const dialogId = field(value, 'dialogId');
  const attachments = field(value, 'attachments');
  const error = field(value, 'error');
  const failed = field(value, 'status') === 'failed' && isErrorBody(error);
  const files = Array.isArray(attachments) ? attachments.filter(isAttachment) : [];
  return [
    {
      clientMessageId,
      ...(typeof dialogId === 'string' ? { dialogId } : {}),
      body,
      createdAt: typeof createdAt === 'string' ? createdAt : new Date(0).toISOString(),
      ...(files.length ? { attachments: files } : {}),
      status: failed ? 'failed' : 'queued',
      ...(failed ? { error } : {}),
    },
  ];
}

const field = (value: object, key: string): unknown => Reflect.get(value, key);

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof field(value, 'code') === 'string' &&
    typeof field(value, 'message') === 'string'
  );
}

/** Enough of an attachment to show it again (this page wrote it; another version may have too). */
function isAttachment(value: unknown): value is AttachmentView {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof field(value, 'id') === 'string' &&
    typeof field(value, 'name') === 'string' &&
    typeof field(value, 'url') === 'string'
  );
}
