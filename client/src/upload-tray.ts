/**
 * The files a visitor or an operator is about to send: each is prepared over the socket
 * (`attachment:prepare`), then PUT to the engine with progress, and can be cancelled (abort) or
 * removed. Framework-free: the widget renders it with DOM nodes, the console with Vue; both get the
 * whole list on every change.
 */
import type {
  AttachmentSlot,
  AttachmentView,
  ErrorBody,
  MAX_ATTACHMENTS_PER_MESSAGE,
} from '@hotline/protocol';
import { problemFromAck, problemFromStatus, type UploadProblem } from './attachments';
import { type Result, unanswered } from './result';

export type PrepareResult = Result<AttachmentSlot>;
export type Prepare = (file: { name: string; size: number; type: string }) => Promise<PrepareResult>;

/** The HTTP part: PUT the bytes, report progress, and resolve with the status and the parsed body. */
export type Transport = (
  url: string,
  file: Blob,
  onProgress: (loaded: number) => void,
) => { done: Promise<{ status: number; body: unknown; retryAfter: string | null }>; abort(): void };

/** The engine's limit of files per message; typed by it (a value import would bundle zod into the widget). */
export const MAX_FILES_PER_MESSAGE: typeof MAX_ATTACHMENTS_PER_MESSAGE = 10;

export type UploadState = 'preparing' | 'uploading' | 'done' | 'failed';

export interface PendingUpload {
  key: string;
  name: string;
  size: number;
  type: string;
  state: UploadState;
  /** Bytes sent so far. */
  loaded: number;
  /** When done: what the engine stored (sniffed type, thumbnail link). */
  attachment: AttachmentView | null;
  problem: UploadProblem | null;
}

export interface UploadTrayOptions {
  /** Prefix for the engine's relative upload URL ('' on the engine's own origin). */
  server: string;
  prepare: Prepare;
  onChange: (items: readonly PendingUpload[]) => void;
  transport?: Transport;
}

let counter = 0;

export class UploadTray {
  private items: PendingUpload[] = [];
  private readonly aborts = new Map<string, () => void>();
  private readonly transport: Transport;

  constructor(private readonly options: UploadTrayOptions) {
    this.transport = options.transport ?? xhrTransport;
  }

  list(): readonly PendingUpload[] {
    return this.items;
  }

  /** Starts uploading these files; those beyond the per-message count are refused at once. */
  add(files: Iterable<File>): void {
    for (const file of files) {
      counter += 1;
      const item: PendingUpload = {
        key: `upload-${counter}`,
        name: file.name || 'file',
        size: file.size,
        type: file.type,
        state: 'preparing',
        loaded: 0,
        attachment: null,
        problem: null,
      };
      if (this.items.length >= MAX_FILES_PER_MESSAGE) {
        item.state = 'failed';
        item.problem = { reason: 'failed', detail: `at most ${MAX_FILES_PER_MESSAGE} files per message` };
        this.items = [...this.items, item];
        continue;
      }
      this.items = [...this.items, item];
      void this.upload(item.key, file);
    }
    this.changed();
  }

  /** Stops an upload in flight (or forgets a finished or failed one). */
  remove(key: string): void {
    this.aborts.get(key)?.();
    this.aborts.delete(key);
    this.items = this.items.filter((i) => i.key !== key);
    this.changed();
  }

  /** Uploads still running: the message waits for them. */
  get busy(): boolean {
    return this.items.some((i) => i.state === 'preparing' || i.state === 'uploading');
  }

  /** What is ready to go with the message. */
  ready(): AttachmentView[] {
    return this.items.flatMap((i) => (i.state === 'done' && i.attachment ? [i.attachment] : []));
  }

  /** The message took the ready files: they leave the tray (refused ones stay, with their reason). */
  takeReady(): AttachmentView[] {
    const ready = this.ready();
    this.items = this.items.filter((i) => i.state !== 'done');
    this.changed();
    return ready;
  }

  clear(): void {
    for (const abort of this.aborts.values()) abort();
    this.aborts.clear();
    this.items = [];
    this.changed();
  }

  private async upload(key: string, file: File): Promise<void> {
    let cancelled = false;
    this.aborts.set(key, () => {
      cancelled = true;
    });
    const prepared = await this.options
      .prepare({ name: file.name || 'file', size: file.size, type: file.type })
      .catch((error: unknown): PrepareResult => unanswered(String(error)));
    if (cancelled) return;
    if (!prepared.ok) {
      this.patch(key, { state: 'failed', problem: problemFromAck(prepared.error) });
      return;
    }
    this.patch(key, { state: 'uploading' });
    const request = this.transport(`${this.options.server}${prepared.data.uploadUrl}`, file, (loaded) =>
      this.patch(key, { loaded }),
    );
    this.aborts.set(key, () => {
      cancelled = true;
      request.abort();
    });
    const response = await request.done.catch(() => ({ status: 0, body: null, retryAfter: null }));
    this.aborts.delete(key);
    if (cancelled) return;
    const body = (response.body ?? {}) as { data?: AttachmentView; error?: ErrorBody };
    if (response.status === 201 && body.data)
      this.patch(key, { state: 'done', loaded: file.size, attachment: body.data });
    else
      this.patch(key, {
        state: 'failed',
        problem: problemFromStatus(response.status, body.error ?? null, response.retryAfter),
      });
  }

  private patch(key: string, changes: Partial<PendingUpload>): void {
    if (!this.items.some((i) => i.key === key)) return;
    this.items = this.items.map((i) => (i.key === key ? { ...i, ...changes } : i));
    this.changed();
  }

  private changed(): void {
    this.options.onChange(this.items);
  }
}

/** XMLHttpRequest, for its upload progress events (fetch has none for request bodies). */
export const xhrTransport: Transport = (url, file, onProgress) => {
  const xhr = new XMLHttpRequest();
  const done = new Promise<{ status: number; body: unknown; retryAfter: string | null }>((resolve) => {
    const finish = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body, retryAfter: xhr.getResponseHeader('Retry-After') });
    };
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    xhr.addEventListener('load', finish);
    xhr.addEventListener('error', () => resolve({ status: 0, body: null, retryAfter: null }));
    xhr.addEventListener('abort', () => resolve({ status: 0, body: null, retryAfter: null }));
  });
  xhr.open('PUT', url);
  xhr.send(file);
  return { done, abort: () => xhr.abort() };
};
