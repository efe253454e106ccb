/**
 * Messages the visitor wrote that the engine has not acknowledged yet, kept in localStorage so that a
 * reload, a lost connection or a second tab loses nothing. Each carries its clientMessageId: the engine
 * stores a resend with the same id once, and an item leaves the outbox only when its ack arrives.
 */
import type { AttachmentView } from '@hotline/client/attachments';
import type { MessageSendOutcome } from '@hotline/engine/protocol';
import type { KeyValueStorage } from './storage';

export { browserStorage, type KeyValueStorage, memoryStorage } from './storage';

export interface OutboxItem {
  clientMessageId: string;
  body: string;
  createdAt: string;
  /** Uploaded files the message carries (the caption is the body); kept to show them while sending. */
  attachments?: AttachmentView[];
}

export type SendResult = MessageSendOutcome;

export class Outbox {
  private readonly inFlight = new Set<string>();
  private flushing = false;
  private again = false;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key: string,
  ) {}

  /** Read fresh each time: another tab of the same site may have changed it. */
  list(): OutboxItem[] {
    try {
      const parsed: unknown = JSON.parse(this.storage.getItem(this.key) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter(isItem) : [];
    } catch {
      return [];
    }
  }

  add(item: OutboxItem): void {
    const items = this.list();
    if (items.some((i) => i.clientMessageId === item.clientMessageId)) return;
    this.write([...items, item]);
  }

  remove(clientMessageId: string): void {
    this.write(this.list().filter((i) => i.clientMessageId !== clientMessageId));
  }

  isSending(clientMessageId: string): boolean {
    return this.inFlight.has(clientMessageId);
  }

  /**
   * Sends the queued items in order, one at a time. While a flush runs, another call only asks it to
   * look again when done, so an item is never in flight twice from one page. A retryable failure stops
   * the flush (the next connect resumes it); a refusal removes the item and reports it, so the view
   * can offer a retry.
   */
  async flush(
    send: (item: OutboxItem) => Promise<SendResult>,
    onResult: (item: OutboxItem, result: SendResult) => void,
  ): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.again = false;
        for (const item of this.list()) {
          // Another tab may have delivered it meanwhile.
          if (!this.list().some((i) => i.clientMessageId === item.clientMessageId)) continue;
          this.inFlight.add(item.clientMessageId);
          let result: SendResult;
          try {
            result = await send(item);
          } catch (error) {
            result = { ok: false, retryable: true, error: { code: 'unavailable', message: String(error) } };
          } finally {
            this.inFlight.delete(item.clientMessageId);
          }
          if (result.ok || !result.retryable) this.remove(item.clientMessageId);
          onResult(item, result);
          if (!result.ok && result.retryable) return;
        }
      } while (this.again);
    } finally {
      this.flushing = false;
    }
  }

  private write(items: OutboxItem[]): void {
    try {
      if (items.length === 0) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, JSON.stringify(items));
    } catch {
      // Storage full or blocked: the in-page state still shows the message as unsent.
    }
  }
}

function isItem(value: unknown): value is OutboxItem {
  if (!value || typeof value !== 'object') return false;
  const item = value as Record<string, unknown>;
  return typeof item.clientMessageId === 'string' && typeof item.body === 'string';
}

/** A client message id unique enough across tabs and reloads. */
export function newClientMessageId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
