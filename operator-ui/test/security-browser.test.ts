/**
 * The engine's Content-Security-Policy in Chromium: the demo shop with the widget and the console
 * load and work with no violation reported (securitypolicyviolation events and console errors), and
 * a visitor URL that would run code (stored before the engine dropped such URLs) is never a link.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VisitorDialogView, VisitorSession } from '@hotline/protocol';
import { expect } from 'chai';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { call, closeAllSockets, connectVisitor } from '../../engine/test/support/clients';
import { startTestServer, type TestServer } from '../../engine/test/support/engine';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROUTING = fileURLToPath(new URL('./fixtures/routing.yaml', import.meta.url));
const CI = process.env.CI === 'true' || process.env.CI === '1';

/** What a page reported: CSP violations (by event and by console message) and page errors. */
interface Reports {
  violations: string[];
  errors: string[];
}

describe('security headers in Chromium (CSP on the console and the demo)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (CI) throw new Error(`Chromium is missing at ${CHROMIUM}: CI must run the browser tests`);
      this.skip();
    }
    for (const [dist, workspace] of [
      ['operator-ui/dist/index.html', '@hotline/operator-ui'],
      ['widget/dist/widget.js', '@hotline/widget'],
    ] as const) {
      if (!existsSync(join(ROOT, dist)))
        execFileSync('npm', ['run', 'build', '-w', workspace], { cwd: ROOT, stdio: 'inherit' });
    }
    server = await startTestServer('embedded', { routingConfigPath: ROUTING });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  after(async () => {
    closeAllSockets();
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.cleanup();
  });

  async function watchedPage(): Promise<{ page: Page; reports: Reports }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    const reports: Reports = { violations: [], errors: [] };
    await page.exposeFunction('reportViolation', (text: string) => reports.violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { reportViolation(text: string): void }).reportViolation(
          `${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`,
        );
      });
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) reports.violations.push(message.text());
    });
    page.on('pageerror', (error) => reports.errors.push(error.message));
    return { page, reports };
  }

  it('when the demo shop loads and the widget opens, then no CSP violation is reported', async () => {
    const { page, reports } = await watchedPage();
    await page.goto(`${server.url}/demo/`);
    await page.locator('.launcher').waitFor({ state: 'visible' });
    await page.locator('.launcher').click();
    await page.locator('[role=dialog]').waitFor({ state: 'visible' });
    // The site config came through (its menu), so the widget's fetch and socket were allowed.
    await page.locator('.menu .choice').first().waitFor({ state: 'visible' });
    await page.goto(`${server.url}/demo/delivery`);
    await page.locator('#spa-nav').click();
    await page.waitForFunction(() => location.hash === '#faq');
    await page.locator('.launcher').waitFor({ state: 'visible' });
    await page.goto(`${server.url}/demo/hostile`);
    await page.locator('.launcher').waitFor({ state: 'visible' });
    // The widget's constructed stylesheet applies under style-src 'self' (its launcher keeps its own look).
    expect(await page.locator('.launcher').evaluate((el) => getComputedStyle(el).borderRadius)).to.not.equal(
      '0px',
    );
    console.log(
      `      demo: ${reports.violations.length} CSP violations, ${reports.errors.length} page errors`,
    );
    expect(reports.violations).to.deep.equal([]);
    expect(reports.errors).to.deep.equal([]);
  });

  it('when an operator works in the console, then no CSP violation is reported and a javascript: page URL is plain text', async () => {
    const visitor = await connectVisitor(server.url);
    const session = await call<VisitorSession>(visitor, 'session:resume', {});
    const { page, reports } = await watchedPage();
    await page.goto(`${server.url}/console/`);
    await page.getByTestId('login-email').fill('anna@example.com');
    await page.getByTestId('login-password').fill('demo-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('presence').waitFor();
    await page.getByTestId('presence-online').click();

    const dialog = await call<VisitorDialogView>(visitor, 'dialog:start', {
      choice: { groupId: 'sales' },
      page: {
        url: 'https://shop.example/catalog',
        title: 'Catalog',
        referrer: 'javascript:alert(document.cookie)',
      },
      language: 'en',
      name: 'Mallory',
      message: { clientMessageId: 'csp-1', body: 'Hello' },
    });
    // A URL that would run code, as an older engine stored it (the schema drops it today).
    await server.engine.visitorRepo.recordPage(session.visitorId, dialog.id, {
      url: 'javascript:alert(document.cookie)',
      title: 'Click me',
    });

    const item = page.locator(`[data-dialog-id="${dialog.id}"]`).first();
    await item.waitFor({ timeout: 15_000 });
    await item.click();
    const card = page.getByTestId('visitor-card');
    await card.getByText('Click me').first().waitFor();
    const hrefs = await card
      .locator('a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    const unsafe = hrefs.filter((href) => !/^(https?:|mailto:|tel:)/.test(href));
    const external = await card
      .locator('a[href^="http"]')
      .evaluateAll((links) => links.map((a) => `${a.getAttribute('target')} ${a.getAttribute('rel')}`));
    console.log(
      `      console: ${reports.violations.length} CSP violations, ${hrefs.length} links on the visitor card, ${unsafe.length} not http(s)/mailto/tel`,
    );
    expect(unsafe).to.deep.equal([]);
    expect(
      await card
        .getByText('Click me')
        .first()
        .evaluate((el) => el.closest('a')),
    ).to.equal(null);
    expect(hrefs).to.include('https://shop.example/catalog');
    for (const attributes of external) expect(attributes).to.equal('_blank noopener noreferrer');
    expect(reports.violations).to.deep.equal([]);
    expect(reports.errors).to.deep.equal([]);
  });
});
