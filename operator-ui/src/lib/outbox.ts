import type { AttachmentView } from '@hotline/client/attachments';
import type { ErrorBody, MessageSendOutcome, MessageView } from '@hotline/engine/protocol';
import type { KeyValueStorage } from '@hotline/widget/storage';

export { type KeyValueStorage, memoryStorage } from '@hotline/widget/storage';

export interface PendingMessage {
  dialogId: string;
  clientMessageId: string;
  body: string;
  /** Uploaded files the message carries (the body is their caption). */
  attachments?: AttachmentView[];
  createdAt: string;
  /** queued: waits for a connection; sending: emitted, ack pending; failed: the engine refused it. */
  status: 'queued' | 'sending' | 'failed';
  error?: ErrorBody;
}

export type SendOutcome = MessageSendOutcome;

export type SendMessage = (item: PendingMessage) => Promise<SendOutcome>;

let counter = 0;
/** A clientMessageId unique per tab and time: the engine stores one message per id. */
export function newClientMessageId(): string {
  counter += 1;
  const random =
    globalThis.crypto?.randomUUID?.() ?? `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  return `op-${random}-${counter}`;
}

/**
 * The operator's unsent messages, kept in storage so a reload or a lost connection loses nothing.
 * Each message keeps its clientMessageId for life: a resend after a reconnect is stored once by the
 * engine, and the outbox itself never has the same message in flight twice. Messages go out one at a
 * time in the order they were written; the first retryable failure stops the flush until the next one.
 */
export class Outbox {
  private items: PendingMessage[];
  private flushing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key: string,
    private readonly send: SendMessage,
    private readonly onChange: (items: PendingMessage[]) => void = () => undefined,
    private readonly onSent: (message: MessageView, item: PendingMessage) => void = () => undefined,
  ) {
    this.items = this.load().map((item) =>
      item.status === 'sending' ? { ...item, status: 'queued' } : item,
    );
  }

  list(dialogId?: string): PendingMessage[] {
    return dialogId ? this.items.filter((i) => i.dialogId === dialogId) : [...this.items];
  }

  /** Queues a message and returns it; call flush() to send. */
  add(
    dialogId: string,
    body: string,
    clientMessageId = newClientMessageId(),
    attachments: AttachmentView[] = [],
  ): PendingMessage {
    const existing = this.items.find((i) => i.clientMessageId === clientMessageId);
    if (existing) return existing;
    const item: PendingMessage = {
      dialogId,
      clientMessageId,
      body,
      ...(attachments.length ? { attachments } : {}),
      createdAt: new Date().toISOString(),
      status: 'queued',
    };
    this.items.push(item);
    this.changed();
    return item;
  }

  /** The engine confirmed the message some other way (a `message:new` echo): it leaves the outbox. */
  confirm(clientMessageId: string): boolean {
    const before = this.items.length;
    this.items = this.items.filter((i) => i.clientMessageId !== clientMessageId);
    if (this.items.length !== before) this.changed();
    return this.items.length !== before;
  }

  retry(clientMessageId: string) {
    this.update(clientMessageId, { status: 'queued', error: undefined });
  }

  discard(clientMessageId: string) {
    this.confirm(clientMessageId);
  }

  /** Drops what belongs to a dialog that is no longer the operator's. */
  discardDialog(dialogId: string) {
    const before = this.items.length;
    this.items = this.items.filter((i) => i.dialogId !== dialogId || i.status === 'sending');
    if (before !== this.items.length) this.changed();
  }

  /** Sends every queued message once, in order. Concurrent calls join the running flush. */
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

  private async flushOnce() {
    for (;;) {
      const next = this.items.find((i) => i.status === 'queued');
      if (!next) return;
      this.update(next.clientMessageId, { status: 'sending' });
      let outcome: SendOutcome;
      try {
        outcome = await this.send({ ...next, status: 'sending' });
      } catch (error) {
        outcome = {
          ok: false,
          retryable: true,
          error: { code: 'unavailable', message: (error as Error).message },
        };
      }
      if (outcome.ok) {
        const sent = this.items.find((i) => i.clientMessageId === next.clientMessageId) ?? next;
        this.confirm(next.clientMessageId);
        this.onSent(outcome.message, sent);
      } else if (outcome.retryable) {
        this.update(next.clientMessageId, { status: 'queued' });
        return;
      } else {
        this.update(next.clientMessageId, { status: 'failed', error: outcome.error });
      }
    }
  }

  private update(clientMessageId: string, patch: Partial<PendingMessage>) {
    let touched = false;
    this.items = this.items.map((item) => {
      if (item.clientMessageId !== clientMessageId) return item;
      touched = true;
      const next = { ...item, ...patch };
      if (patch.error === undefined && 'error' in patch) delete next.error;
      return next;
    });
    if (touched) this.changed();
  }

  private load(): PendingMessage[] {
    try {
      const raw = this.storage.getItem(this.key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed)
        ? (parsed as PendingMessage[]).filter((i) => i && typeof i.clientMessageId === 'string')
        : [];
    } catch {
      return [];
    }
  }

  private changed() {
    try {
      if (this.items.length === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(this.items));
    } catch {
      // Storage full or blocked: the in-memory list still works for this tab.
    }
    this.onChange(this.list());
  }
}
