/**
 * The README's quick start, followed in Chromium from a clean database, at 03:00 in Moscow (the hour
 * the shipped config once left the README's operator without chats): the engine starts as `npm start`
 * starts it (embedded PGlite and store, SEED_DEMO, the shipped routing.yaml), anna logs in to the
 * console and goes online, the demo shop's visitor asks his first question through the widget, anna
 * answers it with a quick reply, and the visitor sees the answer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { chooseFirstEntry, launchBrowser } from '../../../widget/test/support/browser';
import { startTestServer, type TestServer } from '../support/engine';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HOUR = 3_600_000;
const QUESTION = 'Hello, can I return a bag of beans I have not opened?';
const ANSWER = 'Hello! Yes: unopened beans can be returned within 14 days. I will send you the form.';

/**
 * The next 03:00 in Moscow (00:00 UTC; Moscow keeps UTC+3 all year) from now: never in the past, so
 * session tokens signed on the engine's clock are still valid on the real one.
 */
function nextThreeAmMoscow(): number {
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  return midnight.getTime();
}

const moscowHour = (at: number) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', hour: '2-digit', hourCycle: 'h23' }).format(
    new Date(at),
  );

describe('README quick start in Chromium: the first chat at 03:00 Moscow', function () {
  this.timeout(120_000);
  const startAt = nextThreeAmMoscow();
  const realStart = Date.now();
  // The engine's clock (routing, working hours, thresholds) starts at 03:00 Moscow and runs on.
  const clock = () => startAt + (Date.now() - realStart);
  let server: TestServer;
  let browser: Browser;
  const pages: Page[] = [];

  /** A page in its own browser context whose clock shows the engine's night. */
  const newPage = async (locale: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale });
    pages.push(page);
    await page.clock.install({ time: clock() });
    page.on('pageerror', (error) => console.error('page error:', error.message));
    return page;
  };

  before(async function () {
    browser = await launchBrowser(this);
    // What `npm start` builds (each part only when its inputs changed).
    execFileSync(process.execPath, ['scripts/build.mjs', 'widget', 'console'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    for (const built of ['widget/dist/widget.js', 'operator-ui/dist/index.html'])
      expect(existsSync(`${ROOT}${built}`), built).to.equal(true);
    server = await startTestServer('embedded', { SEED_DEMO: true }, { clock });
  });

  after(async () => {
    for (const page of pages)
      await page
        .context()
        .close()
        .catch(() => undefined);
    await browser?.close();
    await server?.cleanup();
  });

  it('when anna is online and the demo visitor asks his first question, then anna gets it and her quick reply reaches him', async () => {
    expect(moscowHour(clock()), 'the engine believes it is 03:xx in Moscow').to.equal('03');

    // anna's quick reply, as she adds it on the console's Quick replies screen.
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'anna@example.com', password: 'demo-password' }),
    });
    expect(login.status, 'the README login works on a fresh database').to.equal(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const created = await fetch(`${server.url}/api/quick-replies`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie, Origin: server.url },
      body: JSON.stringify({ shortcut: 'returns', title: 'Returns of unopened beans', body: ANSWER }),
    });
    expect(created.status).to.equal(201);

    // README: log in as anna in the console and go online.
    const console_ = await newPage('ru-RU');
    await console_.goto(`${server.url}/console/`);
    for (const [field, value] of [
      ['login-email', 'anna@example.com'],
      ['login-password', 'demo-password'],
    ] as const)
      await console_.getByTestId(field).fill(value);
    await console_.getByTestId('login-submit').click();
    await console_.getByTestId('presence').waitFor();
    await console_.getByTestId('presence-online').click();

    // README: open the demo shop, open the chat, pick a topic and ask.
    const shop = await newPage('en-US');
    await shop.goto(`${server.url}/demo/`);
    await shop.locator('.launcher').click();
    await chooseFirstEntry(shop);
    await shop.locator('textarea').fill(QUESTION);
    await shop.keyboard.press('Enter');

    // The question reaches anna (no supervisor change, no wait for a second tier).
    const item = console_.locator('[data-dialog-id]').first();
    await item.waitFor({ timeout: 20_000 });
    await item.click();
    await console_.getByTestId('messages').getByText(QUESTION).waitFor({ timeout: 10_000 });

    // She answers with her quick reply: "/" opens the list, Enter inserts, Enter sends.
    const composer = console_.getByTestId('composer');
    await composer.click();
    await composer.pressSequentially('/retu');
    await console_.getByTestId('quick-reply-option').first().waitFor();
    await composer.press('Enter');
    expect(await composer.inputValue()).to.equal(ANSWER);
    await composer.press('Enter');

    // The visitor sees it, signed by anna.
    const reply = shop.locator('.msg.operator', { hasText: ANSWER });
    await reply.waitFor({ timeout: 15_000 });
    expect(await reply.count()).to.equal(1);
    // With anna's picture: a file of the demo shop, served by the engine itself.
    const picture = reply.locator('img.avatar');
    expect(await picture.getAttribute('src')).to.equal('/demo/img/anna.svg');
    const served = await fetch(`${server.url}/demo/img/anna.svg`);
    expect([served.status, served.headers.get('content-type')]).to.deep.equal([200, 'image/svg+xml']);
    expect(clock() - startAt, 'all of it within the night hour').to.be.lessThan(HOUR);
  });
});
