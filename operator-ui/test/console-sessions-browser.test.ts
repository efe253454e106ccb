/**
 * The console's session in Chromium against a real engine: after login no token sits in web storage
 * (the httpOnly cookie alone authenticates REST and the socket) and the console works — the socket
 * connects, presence goes online, a visitor's dialog arrives in the inbox. "My sessions" lists this
 * browser and an API client's session and revokes the latter; a logout elsewhere of this browser's
 * session sends the console back to the login screen. Screenshot: artifacts/console/my-sessions.png.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { startTestServer, type TestServer } from '../../engine/test/support/engine';
import { postgresAvailable } from '../../engine/test/support/postgres';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'operator-ui/dist/index.html');
const ARTIFACTS = join(ROOT, 'artifacts/console');
const ROUTING = fileURLToPath(new URL('./fixtures/routing.yaml', import.meta.url));
const CI = process.env.CI === 'true' || process.env.CI === '1';
const JWT_SHAPE = /eyJ[\w-]+\.[\w-]+\.[\w-]*/;

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Everything the page's scripts can read: both web storages and document.cookie. */
// A string, not a function: tsx would wrap a named helper in `__name`, unknown in the page.
function readableByScripts(
  page: Page,
): Promise<{ session: Record<string, string>; local: Record<string, string>; cookie: string }> {
  return page.evaluate(`({
    session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
    local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
    cookie: document.cookie,
  })`);
}

describe('console session in Chromium: cookie only, My sessions (real engine)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  let visitor: Socket | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (CI) throw new Error(`Chromium is missing at ${CHROMIUM}: CI must run the console's browser tests`);
      this.skip();
    }
    if (!(await postgresAvailable())) this.skip();
    if (!existsSync(DIST))
      execFileSync('npm', ['run', 'build', '-w', '@hotline/operator-ui'], { cwd: ROOT, stdio: 'inherit' });
    server = await startTestServer('real', { routingConfigPath: ROUTING });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    visitor?.disconnect();
    await browser?.close();
    await server?.cleanup();
  });

  it('when an operator logs in, then no token is in web storage or readable cookies, the console works on the cookie, My sessions revokes another session, and a logout elsewhere returns it to the login screen', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    await page.goto(`${server.url}/console/`);
    await page.getByTestId('login-email').fill('anna@example.com');
    await page.getByTestId('login-password').fill('demo-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('presence').waitFor();

    const cookie = (await context.cookies()).find((c) => c.name === 'hl_session');
    expect(cookie, 'session cookie').to.not.equal(undefined);
    expect(cookie!.httpOnly).to.equal(true);
    expect(cookie!.sameSite).to.equal('Strict');
    const readable = await readableByScripts(page);
    const everything = JSON.stringify(readable);
    expect(everything).not.to.contain(cookie!.value);
    expect(everything).not.to.match(JWT_SHAPE);
    expect(
      Object.keys({ ...readable.session, ...readable.local }).filter((k) => /token|session/i.test(k)),
    ).to.deep.equal([]);
    expect(readable.cookie).not.to.contain('hl_session');

    // The socket authenticates with the cookie: presence goes online and a visitor's dialog arrives.
    await page.getByTestId('presence-online').click();
    await until(
      async () => (await page.getByTestId('load').textContent())?.includes('0 / 2') ?? false,
      'load 0 / 2',
    );
    visitor = io(`${server.url}/visitor`, {
      auth: { siteId: 'demo' },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      visitor!.once('connect', () => resolve());
      visitor!.once('connect_error', reject);
    });
    await new Promise<void>((resolve, reject) =>
      visitor!.timeout(10_000).emit(
        'dialog:start',
        {
          choice: { groupId: 'sales' },
          page: { url: 'http://shop.example/' },
          name: 'Maria',
          message: { clientMessageId: 'c-1', body: 'Hello there' },
        },
        (err: Error | null) => (err ? reject(err) : resolve()),
      ),
    );
    await page.getByTestId('dialog-item').first().waitFor();
    await until(
      async () => (await page.getByTestId('load').textContent())?.includes('1 / 2') ?? false,
      'load 1 / 2',
    );
    expect(JSON.stringify(await readableByScripts(page))).not.to.match(JWT_SHAPE);

    // An API client's session of hers shows in My sessions and is revoked from there.
    const apiLogin = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'API client 1.0' },
      body: JSON.stringify({ email: 'anna@example.com', password: 'demo-password' }),
    });
    const apiToken = ((await apiLogin.json()) as { data: { token: string } }).data.token;
    await page.getByRole('link', { name: 'My sessions' }).click();
    await until(async () => (await page.getByTestId('session-row').count()) === 2, 'two sessions listed');
    const apiRow = page.getByTestId('session-row').filter({ hasText: 'API client 1.0' });
    expect(await apiRow.getAttribute('data-current')).to.equal('false');
    expect(await page.locator('[data-testid="session-row"][data-current="true"]').count()).to.equal(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'my-sessions.png') });
    await apiRow.getByTestId('session-revoke').click();
    await until(async () => (await page.getByTestId('session-row').count()) === 1, 'one session left');
    const me = await fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(me.status).to.equal(401);

    // Logged out elsewhere (the same session): the console is told over its socket and shows the login.
    // A cookie write from the console's own origin, as the browser sends it (the CSRF check).
    const logout = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: `hl_session=${cookie!.value}`, origin: new URL(server.url).origin },
    });
    expect(logout.status).to.equal(200);
    await page.waitForURL(/\/console\/login/, { timeout: 5000 });
    await page.getByTestId('login-email').waitFor();
    await context.close();
  });
});
