/**
 * Browser-test support: Debian's Chromium via playwright-core, a real engine started in-process on
 * port 0 (embedded database in a temp dir, in-memory routing store), operators as socket.io clients.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  DialogDetail,
  MessageView,
  OperatorClientToServer,
  OperatorServerToClient,
} from '@hotline/protocol';
import { type Browser, chromium, type Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/widget/', import.meta.url));
const ROUTING_YAML = fileURLToPath(new URL('../../../routing.yaml', import.meta.url));

/**
 * Chromium, or a skip when it is not installed (a developer machine); under CI a missing Chromium
 * fails the suite instead, so a broken image cannot pass silently.
 */
export async function launchBrowser(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true' || process.env.CI === '1')
      throw new Error(`Chromium is missing at ${CHROMIUM} (CI must run the browser tests)`);
    context.skip();
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface TestEngine {
  url: string;
  /** Drops every visitor socket on the server side, as a network cut would. */
  dropVisitors(): void;
  stop(): Promise<void>;
}

/** The part of the engine's `startServer` these tests use (kept structural: the widget does not typecheck the engine). */
interface EngineModule {
  startServer(
    overrides: Record<string, unknown>,
    options: { env: Record<string, string> },
  ): Promise<{
    url: string;
    io: { of(name: string): { disconnectSockets(close?: boolean): void } };
    stop(): Promise<void>;
  }>;
}

const ENGINE_SERVER = '../../../engine/src/server.ts';
const ENGINE_TEST_LIMITS = '../../../engine/test/support/limits.ts';

/**
 * A real engine; imported lazily so that an engine that does not load fails these tests only.
 * Visitor limits are out of the way unless `overrides` set them.
 */
export async function startEngine(overrides: Record<string, unknown> = {}): Promise<TestEngine> {
  const { startServer } = (await import(ENGINE_SERVER)) as EngineModule;
  const { UNLIMITED_VISITORS } = (await import(ENGINE_TEST_LIMITS)) as {
    UNLIMITED_VISITORS: Record<string, number>;
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'hotline-widget-test-'));
  const server = await startServer(
    {
      PORT: 0,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      dataDir,
      routingConfigPath: ROUTING_YAML,
      SEED_DEMO: true,
      TIMER_POLL_MS: 50,
      PRESENCE_GRACE_MS: 200,
      ...UNLIMITED_VISITORS,
      ...overrides,
    },
    { env: {} },
  );
  return {
    url: server.url,
    dropVisitors: () => server.io.of('/visitor').disconnectSockets(true),
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}

type OperatorSocket = Socket<OperatorServerToClient, OperatorClientToServer>;

export function emitAck<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(5_000)
      .emit(event, payload, (err: Error | null, response: { data?: T; error?: { message: string } }) => {
        if (err) reject(err);
        else if (response.error) reject(new Error(`${event}: ${response.error.message}`));
        else resolve(response.data as T);
      });
  });
}

/** An operator logged in over the API and online on `/operator`; accepts every offer it gets. */
export class TestOperator {
  readonly dialogs = new Map<string, DialogDetail>();
  readonly messages: MessageView[] = [];

  private constructor(readonly socket: OperatorSocket) {
    const keep = (dialog: DialogDetail) => this.dialogs.set(dialog.id, dialog);
    socket.on('dialog:assigned', keep);
    socket.on('dialog:offered', ({ dialog }) => {
      void emitAck<DialogDetail>(socket as unknown as Socket, 'offer:accept', { dialogId: dialog.id }).then(
        keep,
        () => undefined,
      );
    });
    socket.on('dialog:removed', ({ dialogId }) => this.dialogs.delete(dialogId));
    socket.on('message:new', (message) => this.messages.push(message));
  }

  static async login(url: string, email: string): Promise<TestOperator> {
    const response = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'demo-password' }),
    });
    if (!response.ok) throw new Error(`login ${email}: HTTP ${response.status}`);
    const { data } = (await response.json()) as { data: { token: string } };
    const socket: OperatorSocket = io(`${url}/operator`, {
      auth: { token: data.token },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const operator = new TestOperator(socket);
    await operator.request('presence:set', { status: 'online' });
    return operator;
  }

  request<T>(event: keyof OperatorClientToServer, payload: unknown): Promise<T> {
    return emitAck<T>(this.socket as unknown as Socket, event, payload);
  }

  say(dialogId: string, body: string): Promise<MessageView> {
    return this.request('message:send', {
      dialogId,
      clientMessageId: `op-${Date.now()}-${Math.random()}`,
      body,
    });
  }

  async waitForDialog(
    predicate: (dialog: DialogDetail) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<DialogDetail> {
    const started = Date.now();
    for (;;) {
      const found = [...this.dialogs.values()].find(predicate);
      if (found) return found;
      if (Date.now() - started > timeoutMs) throw new Error('no dialog reached the operator');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The dialog of the first visitor message with this body that reached him. */
  async waitForMessage(body: string, timeoutMs = 10_000): Promise<MessageView> {
    const started = Date.now();
    for (;;) {
      const found = this.messages.find((m) => m.body === body);
      if (found) return found;
      if (Date.now() - started > timeoutMs) throw new Error(`no message "${body}" reached the operator`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Clicks through the entry menu along the first button until the chat starts. */
export async function chooseFirstEntry(page: Page) {
  for (let step = 0; step < 5; step++) {
    const choice = page.locator('.menu .choice').first();
    if (!(await choice.isVisible().catch(() => false))) return;
    await choice.click();
    await page.waitForTimeout(100);
  }
}

/**
 * A background visitor (socket only) that starts a chat, to fill an operator's capacity or a queue.
 * The start's ack says "queued" either way (assignment follows it), so it waits to see which it became.
 */
export async function backgroundVisitor(
  url: string,
  siteId: string,
  choice: Record<string, string>,
  text: string,
  operator: TestOperator,
) {
  const socket = io(`${url}/visitor`, { auth: { siteId }, transports: ['websocket'], forceNew: true });
  let queuedAt: number | null = null;
  socket.on('queue:position', (position) => {
    queuedAt = position.position;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  await emitAck(socket, 'session:resume', {});
  const dialog = await emitAck<{ id: string; state: string }>(socket, 'dialog:start', {
    choice,
    page: { url: 'http://shop.test/background' },
    // Same language as the browser visitor, so routing rules give both the same priority.
    language: 'en',
    message: { clientMessageId: `bg-${Math.random()}`, body: text },
  });
  const started = Date.now();
  while (!operator.dialogs.has(dialog.id) && queuedAt === null && Date.now() - started < 3_000)
    await new Promise((r) => setTimeout(r, 25));
  return { socket, dialog, assigned: operator.dialogs.has(dialog.id), position: queuedAt as number | null };
}
