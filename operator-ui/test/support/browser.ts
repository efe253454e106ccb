/**
 * What the console's Chromium tests share: a visitor on a real socket, waiting on a condition, signing
 * in through the login page, and axe-core run inside the page.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessageView, VisitorDialogView } from '@hotline/protocol';
import type { Context } from 'mocha';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { startTestServer, type TestServer } from '../../../engine/test/support/engine';
import { postgresAvailable } from '../../../engine/test/support/postgres';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CI = process.env.CI === 'true' || process.env.CI === '1';

export interface Rig {
  server: TestServer;
  browser: Browser;
}

/**
 * A real engine (Postgres + Redis) on `routing` and a headless Chromium. Without Chromium or Postgres
 * the suite is skipped, except under CI, where a missing Chromium fails it. Builds the console first
 * when operator-ui/dist is missing.
 */
export async function startRig(mocha: Context, routing: string): Promise<Rig> {
  if (!existsSync(CHROMIUM)) {
    if (CI) throw new Error(`Chromium is missing at ${CHROMIUM}: CI must run the console's browser tests`);
    mocha.skip();
  }
  if (!(await postgresAvailable())) mocha.skip();
  if (!existsSync(join(ROOT, 'operator-ui/dist/index.html')))
    execFileSync('npm', ['run', 'build', '-w', '@hotline/operator-ui'], { cwd: ROOT, stdio: 'inherit' });
  const server = await startTestServer('real', { routingConfigPath: routing });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return { server, browser };
}

export async function stopRig(rig: Partial<Rig>, visitors: Visitor[], contexts: BrowserContext[]) {
  for (const v of visitors) v.socket.disconnect();
  for (const c of contexts) await c.close().catch(() => undefined);
  await rig.browser?.close();
  await rig.server?.cleanup();
}

export interface Visitor {
  socket: Socket;
  dialog: VisitorDialogView;
  messages: MessageView[];
}

export function ack<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(10_000)
      .emit(event, payload, (err: Error | null, response: { data?: T; error?: { message: string } }) => {
        if (err) reject(err);
        else if (response.error) reject(new Error(`${event}: ${response.error.message}`));
        else resolve(response.data as T);
      });
  });
}

/** A visitor of the demo site who starts a dialog in `groupId` with one message; `name` may be null. */
export async function startVisitor(
  url: string,
  groupId: string,
  body: string,
  name: string | null,
): Promise<Visitor> {
  const socket = io(`${url}/visitor`, {
    auth: { siteId: 'demo' },
    transports: ['websocket'],
    forceNew: true,
  });
  const messages: MessageView[] = [];
  socket.on('message:new', (m: MessageView) => messages.push(m));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  await ack(socket, 'session:resume', {});
  const dialog = await ack<VisitorDialogView>(socket, 'dialog:start', {
    choice: { groupId },
    page: {
      url: 'http://shop.example/catalog/kettles',
      title: 'Kettles — Test shop',
      referrer: 'https://www.google.com/',
    },
    language: 'en',
    ...(name ? { name } : {}),
    message: { clientMessageId: `c-${name ?? 'anon'}-${Date.now()}`, body },
  });
  return { socket, dialog, messages };
}

/** Polls `check` until it holds (never a fixed sleep: the CPU may be busy). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function shoot(page: Page, dir: string, name: string) {
  mkdirSync(dir, { recursive: true });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

export async function login(page: Page, url: string, email: string, beforeSubmit?: () => Promise<void>) {
  await page.goto(`${url}/console/`);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill('demo-password');
  await beforeSubmit?.();
  await page.getByTestId('login-submit').click();
  await page.getByTestId('presence').waitFor();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2 A/AA rules) in the page and returns its serious and critical violations,
 * printing the count for `label` so the run shows what was checked.
 */
export async function axeSerious(page: Page, label: string): Promise<AxeViolation[]> {
  // Evaluated through the debugger protocol: the console's CSP (script-src 'self') forbids inline script tags.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  console.log(
    `      axe ${label}: ${serious.length} serious/critical, ${violations.length - serious.length} other` +
      serious
        .map(
          (v) => `\n        ${v.impact} ${v.id}: ${v.help} ${JSON.stringify(v.nodes.map((n) => n.target))}`,
        )
        .join(''),
  );
  return serious;
}
