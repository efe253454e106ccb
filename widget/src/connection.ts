/**
 * The visitor's socket to the engine: session resume with the stored visitor token, dialog start,
 * the outbox of unacknowledged messages, typing, contact, call-back, close and page reports. It turns
 * server pushes into store updates; views never touch the socket.
 */
import type { AttachmentView } from '@hotline/client/attachments';
import { Outbox, type OutboxItem } from '@hotline/client/outbox';
import { ACK_TIMEOUT_MS, requester } from '@hotline/client/request';
import type { Result } from '@hotline/client/result';
import type { KeyValueStorage } from '@hotline/client/storage';
import type { PrepareResult } from '@hotline/client/upload-tray';
import type {
  ContactView,
  ErrorBody,
  MessageView,
  VisitorClientToServer,
  VisitorDialogView,
  VisitorRequests,
  VisitorServerToClient,
} from '@hotline/protocol';
import { io, type Socket } from 'socket.io-client';
import type { RouteTarget } from './site-config';
import { dialogInfo, fromServer, isDialogOpen, pendingMessage, type Store, upsertMessage } from './store';

type VisitorSocket = Socket<VisitorServerToClient, VisitorClientToServer>;
const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const OPERATOR_TYPING_TTL_MS = 8_000;

export interface ConnectionOptions {
  server: string;
  siteId: string;
  storage: KeyValueStorage;
  store: Store;
  /** The page as the engine should see it (url, title, referrer). */
  page: () => { url: string; title?: string; referrer?: string };
  language: () => string | undefined;
}

export class Connection {
  readonly outbox: Outbox;
  private socket: VisitorSocket | null = null;
  private resumed = false;
  private pendingStart: { choice: RouteTarget } | null = null;
  private lastPageUrl: string | null = null;
  private typingSentAt = 0;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;
  private operatorTypingTimer: ReturnType<typeof setTimeout> | undefined;
  private slowDownTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly ask = requester<VisitorRequests>(() => this.socket, ACK_TIMEOUT_MS);

  constructor(private readonly options: ConnectionOptions) {
    const { store } = options;
    this.outbox = new Outbox(
      options.storage,
      `hotline:${options.siteId}:outbox`,
      (item) => this.sendItem(item),
      {
        onSent: (message) =>
          store.update((s) => ({ messages: upsertMessage(s.messages, fromServer(message)) })),
        onFailed: (item) => store.update((s) => ({ messages: upsertMessage(s.messages, pendingOf(item)) })),
      },
    );
  }

  private get tokenKey(): string {
    return `hotline:${this.options.siteId}:visitor`;
  }

  /** The stored visitor token: its presence means "this browser has talked to us before". */
  get token(): string | null {
    try {
      return this.options.storage.getItem(this.tokenKey);
    } catch {
      return null;
    }
  }

  get started(): boolean {
    return this.socket !== null;
  }

  /** Opens the socket once; socket.io reconnects it with backoff after that. */
  connect(): void {
    if (this.socket) return;
    const { server, siteId, store } = this.options;
    store.update({ connection: 'connecting' });
    const socket: VisitorSocket = io(`${server}/visitor`, {
      auth: (cb) => cb(this.token ? { siteId, visitorToken: this.token } : { siteId }),
      withCredentials: false,
    });
    this.socket = socket;
    socket.on('connect', () => void this.resume());
    socket.on('disconnect', (reason) => {
      this.resumed = false;
      store.update({ connection: 'reconnecting', operatorTyping: false });
      // A server-side disconnect is not retried by socket.io on its own.
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 2_000);
    });
    socket.on('connect_error', (error: Error & { data?: ErrorBody }) => {
      store.update({ connection: 'reconnecting' });
      if (error.data && this.refused(error.data, () => socket.connect())) return;
      if (!socket.active) setTimeout(() => socket.connect(), 5_000);
    });
    socket.on('message:new', (message) => this.receive(message));
    socket.on('dialog:state', (update) => {
      store.update((s) => {
        if (s.dialog && s.dialog.id !== update.dialogId && isDialogOpen(s.dialog)) return {};
        const closed = update.state === 'closed' || update.state === 'abandoned';
        return {
          dialog: {
            id: update.dialogId,
            state: update.state,
            operatorName: update.operatorName,
            operatorAvatarUrl: update.operatorAvatarUrl,
            contactRequested: update.contactRequested,
            contact: s.dialog?.id === update.dialogId ? s.dialog.contact : null,
          },
          queue: update.state === 'queued' ? s.queue : null,
          operatorTyping: closed ? false : s.operatorTyping,
          view: s.view === 'menu' ? 'chat' : s.view,
        };
      });
    });
    socket.on('queue:position', (position) => {
      store.update((s) => (s.dialog && s.dialog.id !== position.dialogId ? {} : { queue: position }));
    });
    socket.on('typing:operator', ({ typing }) => {
      clearTimeout(this.operatorTypingTimer);
      store.update({ operatorTyping: typing });
      if (typing)
        this.operatorTypingTimer = setTimeout(
          () => store.update({ operatorTyping: false }),
          OPERATOR_TYPING_TTL_MS,
        );
    });
  }

  /** After each (re)connect: who am I, what is my dialog; then send what waited. */
  private async resume(): Promise<void> {
    const { store, storage } = this.options;
    const result = await this.request('session:resume', {});
    if (!result.ok) {
      if (!result.retryable && !this.refused(result.error, () => void this.resume()))
        store.update({ connection: 'reconnecting' });
      return;
    }
    const session = result.data;
    try {
      storage.setItem(this.tokenKey, session.visitorToken);
    } catch {
      // Without storage the visitor is new on every page; the chat still works on this one.
    }
    this.resumed = true;
    store.update({ connection: 'online' });
    if (session.dialog) this.applyDialog(session.dialog);
    else if (!this.pendingStart)
      store.update((s) =>
        s.dialog ? { dialog: null, queue: null, view: s.view === 'chat' ? 'menu' : s.view } : {},
      );
    if (this.pendingStart) await this.doStart();
    else if (session.dialog && isDialogOpen(dialogInfo(session.dialog))) this.reportPage();
    void this.flush();
  }

  /** Replaces the dialog and its history with the server's view, keeping unsent local messages. */
  private applyDialog(view: VisitorDialogView): void {
    this.options.store.update((s) => {
      const sameDialog = s.dialog?.id === view.id;
      let messages = sameDialog ? s.messages.filter((m) => m.id === null) : [];
      for (const m of view.messages) messages = upsertMessage(messages, fromServer(m));
      for (const item of this.outbox.list()) {
        if (!messages.some((m) => m.key === item.clientMessageId))
          messages = upsertMessage(messages, pendingOf(item));
      }
      return {
        dialog: dialogInfo(view),
        messages,
        queue: view.queue,
        view: s.view === 'callback' || s.view === 'callback-done' ? s.view : 'chat',
        rated: sameDialog ? s.rated : false,
      };
    });
  }

  private receive(message: MessageView): void {
    const { store } = this.options;
    store.update((s) => ({
      messages: upsertMessage(s.messages, fromServer(message)),
      operatorTyping: message.authorKind === 'operator' ? false : s.operatorTyping,
      unread: !s.open && message.authorKind !== 'visitor' ? s.unread + 1 : s.unread,
    }));
  }

  /** Starts a chat with the visitor's menu choice; connects first when needed. */
  startDialog(choice: RouteTarget): void {
    this.pendingStart = { choice };
    this.options.store.update({
      starting: true,
      view: 'chat',
      messages: [],
      dialog: null,
      queue: null,
      rated: false,
    });
    this.connect();
    if (this.resumed) void this.doStart();
  }

  private async doStart(): Promise<void> {
    const start = this.pendingStart;
    if (!start) return;
    const { store } = this.options;
    const page = this.options.page();
    const result = await this.request('dialog:start', {
      choice: start.choice,
      page,
      language: this.options.language(),
    });
    if (!result.ok && result.retryable) return; // resumed again on reconnect
    if (!result.ok && this.refused(result.error, () => void this.doStart())) return;
    this.pendingStart = null;
    store.update({ starting: false });
    if (result.ok) {
      this.lastPageUrl = page.url;
      this.applyDialog(result.data);
      void this.flush();
    } else {
      store.update({ view: 'menu' });
      this.systemNotice(result.error.message);
    }
  }

  /** The engine's origin, for the upload URLs it hands out (paths on the engine). */
  get server(): string {
    return this.options.server;
  }

  /** Asks the engine for an upload slot in the visitor's open dialog. */
  prepareAttachment(file: { name: string; size: number; type: string }): Promise<PrepareResult> {
    return this.request('attachment:prepare', { name: file.name, size: file.size, type: file.type });
  }

  /** Queues a message (text, uploaded files or both) in the outbox and sends it when possible. */
  send(body: string, attachments: AttachmentView[] = []): void {
    const text = body.trim();
    if (!text && attachments.length === 0) return;
    const item = this.outbox.add({ body: text, attachments });
    this.options.store.update((s) => ({ messages: upsertMessage(s.messages, pendingOf(item)) }));
    this.stopTyping();
    this.connect();
    void this.flush();
  }

  /** Puts a failed message back in the outbox, with the same client id (the engine stores it once). */
  retry(clientMessageId: string): void {
    const message = this.options.store.get().messages.find((m) => m.clientMessageId === clientMessageId);
    if (message?.delivery !== 'failed') return;
    // Still in the outbox as failed, or not (another tab discarded it): queued again with its id.
    this.outbox.add({
      clientMessageId,
      body: message.body,
      createdAt: message.createdAt,
      attachments: message.attachments,
    });
    this.outbox.retry(clientMessageId);
    this.options.store.update((s) => ({
      messages: upsertMessage(s.messages, { ...message, delivery: 'sending' }),
    }));
    this.connect();
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.resumed || this.pendingStart) return;
    await this.outbox.flush();
  }

  private async sendItem(item: OutboxItem): Promise<Result<MessageView>> {
    const attachmentIds = item.attachments?.map((a) => a.id);
    const result = await this.request('message:send', {
      clientMessageId: item.clientMessageId,
      body: item.body,
      ...(attachmentIds?.length ? { attachmentIds } : {}),
    });
    if (result.ok) return result;
    // Too fast: the message stays queued and goes when the engine allows.
    if (this.refused(result.error, () => void this.flush()))
      return { ok: false, retryable: true, error: result.error };
    // A timeout while still connected will not heal by itself: let the visitor retry.
    return { ok: false, retryable: result.retryable && !this.socket?.connected, error: result.error };
  }

  /** Called on each keystroke; tells the engine at most every few seconds, and when the visitor stops. */
  typing(): void {
    if (!this.resumed || !isDialogOpen(this.options.store.get().dialog)) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      void this.ask('typing:set', { typing: true });
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (this.typingSentAt === 0) return;
    this.typingSentAt = 0;
    if (this.resumed) void this.ask('typing:set', { typing: false });
  }

  async leaveContact(contact: string): Promise<Result<ContactView>> {
    const result = await this.request('contact:leave', { contact });
    if (result.ok)
      this.options.store.update((s) => (s.dialog ? { dialog: { ...s.dialog, contact: result.data } } : {}));
    return result;
  }

  async requestCallback(
    phone: string,
    preferredTime: string | undefined,
  ): Promise<Result<VisitorDialogView>> {
    this.connect();
    await this.whenResumed();
    const result = await this.request('callback:request', {
      phone,
      ...(preferredTime ? { preferredTime } : {}),
      page: this.options.page(),
    });
    if (result.ok) {
      this.options.store.update({
        dialog: dialogInfo(result.data),
        callbackPhone: phone,
        view: 'callback-done',
      });
    }
    return result;
  }

  async close(rating?: number): Promise<Result<null>> {
    const result = await this.request('dialog:close', rating ? { rating } : {});
    if (result.ok) {
      this.options.store.update((s) => ({
        dialog: s.dialog && isDialogOpen(s.dialog) ? { ...s.dialog, state: 'closed' } : s.dialog,
        queue: null,
        rated: s.rated || Boolean(rating),
      }));
    }
    return result;
  }

  /** Tells the engine the visitor is on another page (a page load or an SPA navigation). */
  reportPage(): void {
    if (!this.resumed || !isDialogOpen(this.options.store.get().dialog)) return;
    const page = this.options.page();
    if (page.url === this.lastPageUrl) return;
    this.lastPageUrl = page.url;
    void this.ask('page:change', page);
  }

  private systemNotice(body: string): void {
    const id = `notice-${Date.now()}`;
    this.options.store.update((s) => ({
      messages: upsertMessage(s.messages, {
        key: id,
        id,
        clientMessageId: null,
        authorKind: 'system',
        authorName: null,
        authorAvatarUrl: null,
        autoKind: null,
        body,
        attachments: [],
        createdAt: new Date().toISOString(),
        seq: Number.MAX_SAFE_INTEGER,
        delivery: null,
      }),
    }));
  }

  /**
   * Refusals that are not about this one request: `rate_limited` (wait retryAfterMs, then `again`)
   * and `forbidden` (this visitor is blocked: stop, the views say so). False for any other error.
   */
  private refused(error: ErrorBody, again: () => void): boolean {
    const { store } = this.options;
    if (error.code === 'forbidden') {
      clearTimeout(this.slowDownTimer);
      this.pendingStart = null;
      store.update({ blocked: true, starting: false, rateLimitedUntil: null });
      this.socket?.disconnect();
      return true;
    }
    if (error.code !== 'rate_limited') return false;
    const wait = Math.max(500, error.retryAfterMs ?? 5_000);
    store.update({ rateLimitedUntil: Date.now() + wait });
    clearTimeout(this.slowDownTimer);
    this.slowDownTimer = setTimeout(() => {
      store.update({ rateLimitedUntil: null });
      again();
    }, wait);
    return true;
  }

  private whenResumed(timeoutMs = ACK_TIMEOUT_MS): Promise<void> {
    if (this.resumed) return Promise.resolve();
    return new Promise((resolve) => {
      const started = Date.now();
      const check = () =>
        this.resumed || Date.now() - started > timeoutMs ? resolve() : setTimeout(check, 100);
      check();
    });
  }

  /** A typed request; a `forbidden` answer (blocked meanwhile) makes every control say so, whatever asked. */
  private async request<E extends keyof VisitorRequests & string>(
    event: E,
    payload: VisitorRequests[E]['payload'],
  ): Promise<Result<VisitorRequests[E]['ack']>> {
    const result = await this.ask(event, payload);
    if (!result.ok && !result.retryable && result.error.code === 'forbidden')
      this.refused(result.error, () => undefined);
    return result;
  }

  disconnect(): void {
    clearTimeout(this.slowDownTimer);
    this.socket?.disconnect();
    this.socket = null;
    this.resumed = false;
  }
}

function pendingOf(item: OutboxItem) {
  const delivery = item.status === 'failed' ? 'failed' : 'sending';
  return pendingMessage(item.clientMessageId, item.body, item.createdAt, delivery, item.attachments ?? []);
}
