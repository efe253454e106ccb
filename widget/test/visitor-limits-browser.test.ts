/**
 * The widget in Chromium when the engine says no: a visitor writing too fast sees a polite notice,
 * keeps what he wrote and it is sent when allowed; a blocked visitor sees one clear sentence instead
 * of buttons that do nothing, also after clearing his storage. Screenshots go to artifacts/widget/.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWidget } from '../build';
import {
  chooseFirstEntry,
  launchBrowser,
  screenshotPath,
  startEngine,
  type TestEngine,
  TestOperator,
} from './support/browser';

async function send(page: Page, text: string) {
  await page.locator('textarea').fill(text);
  await page.keyboard.press('Enter');
}

describe('widget in Chromium when the engine limits or blocks the visitor', function () {
  this.timeout(90_000);
  let engine: TestEngine;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const operators: TestOperator[] = [];

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    return page;
  };

  before(async function () {
    browser = await launchBrowser(this);
    await buildWidget({ sourcemap: false });
    // The address block is what holds when he clears his storage (the other suites turn it off).
    engine = await startEngine({ VISITOR_MESSAGES_PER_10S: 2, VISITOR_BLOCK_ADDRESS_SECONDS: 60 });
  });

  after(async () => {
    for (const operator of operators) operator.close();
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await engine?.stop();
  });

  it('when the visitor sends too fast, then a polite notice says when, the text is kept and it is sent once allowed', async () => {
    const page = await newPage();
    await page.goto(`${engine.url}/demo/`);
    await page.locator('.launcher').click();
    await chooseFirstEntry(page);
    await page.locator('textarea').waitFor({ state: 'visible' });
    await send(page, 'first');
    await send(page, 'second');
    await send(page, 'third, too fast');
    const banner = page.locator('.banner', { hasText: 'too fast' });
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await banner.textContent()).to.match(
      /^You are sending messages too fast — we will try again in \d+ s\.$/,
    );
    const third = page.locator('.msg.mine', { hasText: 'third, too fast' });
    expect(await third.locator('.delivery').getAttribute('data-state')).to.equal('sending');
    const outbox = (await page.evaluate(
      'JSON.parse(localStorage.getItem("hotline:demo:outbox") || "[]")',
    )) as { body: string }[];
    expect(outbox.map((item) => item.body)).to.deep.equal(['third, too fast']);
    await page.screenshot({ path: screenshotPath('9-rate-limited-desktop') });

    await third.locator('.delivery[data-state=sent]').waitFor({ timeout: 15_000 });
    await banner.waitFor({ state: 'hidden' });
    expect(await page.locator('.msg.mine').count()).to.equal(3);
  });

  it('when an operator blocks the visitor, then the widget says the chat is not available and offers no controls, also after he clears his storage', async () => {
    const carl = await TestOperator.login(engine.url, 'carl@example.com');
    operators.push(carl);
    const page = await newPage();
    await page.goto(`${engine.url}/demo/`);
    await page.locator('.launcher').click();
    await chooseFirstEntry(page);
    await send(page, 'buy cheap pills');
    const { dialogId } = await carl.waitForMessage('buy cheap pills', 15_000);
    await carl.request('visitor:block', { dialogId, reason: 'spam' });

    const blocked = page.locator('.blocked');
    await blocked.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await blocked.textContent()).to.equal('This chat is not available to you.');
    const controls = async () => ({
      menu: await page.locator('.menu .choice').filter({ visible: true }).count(),
      composer: await page.locator('textarea').filter({ visible: true }).count(),
      rating: await page.locator('.stars').filter({ visible: true }).count(),
      endChat: await page.locator('.end-btn').filter({ visible: true }).count(),
    });
    expect(await controls()).to.deep.equal({ menu: 0, composer: 0, rating: 0, endChat: 0 });
    await page.screenshot({ path: screenshotPath('10-blocked-desktop') });

    // He clears his storage and comes back: a new token from the same address is refused as well.
    await page.evaluate('localStorage.clear(); sessionStorage.clear()');
    await page.reload();
    await page.locator('.launcher').click();
    await blocked.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await controls()).to.deep.equal({ menu: 0, composer: 0, rating: 0, endChat: 0 });
    await page.locator('.close').click();
    expect(await page.locator('.launcher').getAttribute('aria-label')).to.equal(
      'This chat is not available to you.',
    );
  });
});
