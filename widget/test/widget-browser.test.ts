/**
 * The widget in Chromium against a real engine: offline contact capture, queue position, operator
 * reply, continuity across reloads and pages, and isolation from hostile page CSS. Screenshots of the
 * main states go to artifacts/widget/ at desktop and mobile sizes.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { buildWidget } from '../build';
import {
  backgroundVisitor,
  chooseFirstEntry,
  launchBrowser,
  screenshotPath,
  startEngine,
  type TestEngine,
  TestOperator,
} from './support/browser';

const DESKTOP = { width: 1280, height: 800 };
const MOBILE = { width: 390, height: 844 };

type Target = Record<string, string>;

/** The route of the first entry the menu offers (choice option or the bot's first leaf). */
async function firstTarget(url: string): Promise<Target> {
  const body = (await (await fetch(`${url}/api/sites/demo/widget`)).json()) as {
    data: { entryMenu?: unknown };
  };
  const menu = body.data.entryMenu as
    | { kind: 'choice'; options: { target: Target }[] }
    | { kind: 'bot'; root: { buttons: { next?: unknown; target?: Target }[] } }
    | undefined;
  if (menu?.kind === 'choice') return menu.options[0]?.target ?? {};
  type Node = { buttons: { next?: Node; target?: Target }[] };
  let node = (menu as { root?: Node } | undefined)?.root;
  while (node) {
    const button: { next?: Node; target?: Target } | undefined = node.buttons[0];
    if (!button?.next) return button?.target ?? {};
    node = button.next;
  }
  return {};
}

async function shoot(page: Page, name: string) {
  const size = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(150);
  await page.screenshot({ path: screenshotPath(`${name}-desktop`) });
  await page.setViewportSize(MOBILE);
  await page.waitForTimeout(150);
  await page.screenshot({ path: screenshotPath(`${name}-mobile`) });
  await page.setViewportSize(size);
}

describe('widget in Chromium against a real engine', function () {
  this.timeout(60_000);
  let engine: TestEngine;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const operators: TestOperator[] = [];
  const sockets: Socket[] = [];

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    return page;
  };

  before(async function () {
    browser = await launchBrowser(this);
    await buildWidget({ sourcemap: false });
    engine = await startEngine();
  });

  after(async () => {
    for (const socket of sockets) socket.disconnect();
    for (const operator of operators) operator.close();
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await engine?.stop();
  });

  it('when the page loads, then the launcher shows at once and opens the entry menu', async () => {
    const page = await newPage();
    await page.goto(`${engine.url}/demo/`);
    await page.locator('.launcher').waitFor({ state: 'visible' });
    expect(await page.locator('.launcher').getAttribute('aria-expanded')).to.equal('false');
    await page.waitForTimeout(300);
    await shoot(page, '1-launcher');
    await page.locator('.launcher').click();
    await page.locator('[role=dialog]').waitFor({ state: 'visible' });
    expect(await page.locator('.menu .choice').count()).to.be.greaterThan(0);
    await shoot(page, '2-menu');
    await page.keyboard.press('Escape');
    await page.locator('[role=dialog]').waitFor({ state: 'hidden' });
    expect(
      await page.evaluate(
        () => document.querySelector('hotline-widget')?.shadowRoot?.activeElement?.className,
      ),
    ).to.equal('launcher');
  });

  it('when no operator is online, then the chat asks for a contact; a bad phone shows the error and sends nothing; a good one shows the thanks', async () => {
    const page = await newPage();
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(String(frame.payload))));
    await page.goto(`${engine.url}/demo/`);
    await page.locator('.launcher').click();
    await chooseFirstEntry(page);
    // Offline is the same chat: the engine answers the first message with a request for a contact.
    await page.locator('textarea').fill('Do you ship to Kazan?');
    await page.keyboard.press('Enter');
    const card = page.locator('.contact-card');
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    await shoot(page, '5-offline-contact');

    await page.locator('input[name=contact]').fill('12-34');
    await card.locator('button[type=submit]').click();
    const error = card.locator('.error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).to.match(/phone number/);
    expect(await page.locator('input[name=contact]').getAttribute('aria-invalid')).to.equal('true');
    await page.waitForTimeout(300);
    expect(sent.filter((frame) => frame.includes('contact:leave'))).to.deep.equal([]);

    await page.locator('input[name=contact]').fill('8 912 345-67-89');
    await card.locator('button[type=submit]').click();
    const thanks = page.locator('.log .thanks');
    await thanks.waitFor({ state: 'visible' });
    expect(await thanks.textContent()).to.contain('+79123456789');
    expect(sent.filter((frame) => frame.includes('contact:leave'))).to.have.length(1);
    await shoot(page, '6-thank-you');
  });

  describe('with an operator', () => {
    // Carl is the primary operator of "support", the group the bot's first answers lead to (open 24/7).
    let carl: TestOperator;
    let page: Page;
    const assignedToCarl: string[] = [];

    before(async () => {
      carl = await TestOperator.login(engine.url, 'carl@example.com');
      operators.push(carl);
    });

    it('when the operator is full, then the visitor sees the queue position and it updates as capacity frees', async () => {
      const target = await firstTarget(engine.url);
      // Fill Carl's capacity, then one more in the queue ahead of the browser visitor.
      let queuedAhead = 0;
      for (let i = 0; i < 12 && queuedAhead === 0; i++) {
        const { socket, dialog, assigned } = await backgroundVisitor(
          engine.url,
          'demo',
          target,
          `background ${i}`,
          carl,
        );
        sockets.push(socket);
        if (assigned) assignedToCarl.push(dialog.id);
        else queuedAhead += 1;
      }
      expect(queuedAhead, 'a background visitor waits in the queue').to.equal(1);

      page = await newPage();
      await page.goto(`${engine.url}/demo/`);
      await page.locator('.launcher').click();
      await chooseFirstEntry(page);
      const queue = page.locator('.queue');
      await page
        .waitForFunction(
          () =>
            /number 2/.test(
              document.querySelector('hotline-widget')?.shadowRoot?.querySelector('.queue')?.textContent ??
                '',
            ),
          undefined,
          { timeout: 10_000 },
        )
        .catch(async (error) => {
          console.log(
            'queue line:',
            await queue.textContent(),
            '| log:',
            await page.locator('.log').textContent(),
          );
          throw error;
        });
      await shoot(page, '3-queued');

      await carl.request('dialog:close', { dialogId: assignedToCarl.shift(), outcome: 'resolved' });
      await page.waitForFunction(
        () =>
          /number 1/.test(
            document.querySelector('hotline-widget')?.shadowRoot?.querySelector('.queue')?.textContent ?? '',
          ),
        undefined,
        { timeout: 10_000 },
      );
      expect(await queue.textContent()).to.match(/You are number 1 in the queue/);

      await carl.request('dialog:close', { dialogId: assignedToCarl.shift(), outcome: 'resolved' });
      await page.locator('.subtitle', { hasText: 'Carl' }).waitFor({ state: 'visible', timeout: 10_000 });
      expect(await queue.isVisible()).to.equal(false);
    });

    it('when the visitor writes, then the message is delivered (✓) and the operator reply shows with her name', async () => {
      await page.locator('textarea').fill('Hello from the browser');
      await page.keyboard.press('Enter');
      await page.locator('.msg.mine .delivery[data-state=sent]').first().waitFor({ timeout: 10_000 });
      const started = Date.now();
      let dialogId: string | undefined;
      while (!dialogId && Date.now() - started < 10_000) {
        dialogId = carl.messages.find((m) => m.body === 'Hello from the browser')?.dialogId;
        if (!dialogId) await page.waitForTimeout(50);
      }
      expect(dialogId, 'the operator received the message').to.be.a('string');
      await carl.request('typing:set', { dialogId, typing: true }).catch(() => undefined);
      await carl.say(dialogId!, 'Hi, this is Carl. How can I help?');
      const reply = page.locator('.msg.operator', { hasText: 'Hi, this is Carl' });
      await reply.waitFor({ timeout: 10_000 });
      expect(await reply.locator('.author').textContent()).to.equal('Carl');
      expect(await page.locator('.msg.mine', { hasText: 'Hello from the browser' }).count()).to.equal(1);
      await shoot(page, '4-chat-with-operator');
    });

    it('when the visitor reloads or opens another page of the site, then the same dialog and history are shown', async () => {
      await page.reload();
      await page.locator('[role=dialog]').waitFor({ state: 'visible', timeout: 10_000 });
      await page.locator('.msg.operator', { hasText: 'Hi, this is Carl' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('.msg.mine', { hasText: 'Hello from the browser' }).count()).to.equal(1);

      await page.goto(`${engine.url}/demo/delivery`);
      await page.locator('.msg.operator', { hasText: 'Hi, this is Carl' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('.subtitle').textContent()).to.equal('Carl');
    });

    it('when the connection drops, then "Reconnecting…" shows, a message typed meanwhile is queued and sent once after reconnect', async () => {
      // Cut the connection on the server side and refuse reconnects until the network is "back".
      let networkUp = false;
      await page.routeWebSocket(/socket\.io/, (ws) => {
        if (networkUp) ws.connectToServer();
        else ws.close();
      });
      await page.route(/socket\.io/, (route) => (networkUp ? route.continue() : route.abort()));
      engine.dropVisitors();
      await page.locator('.banner', { hasText: 'Reconnecting' }).waitFor({ timeout: 10_000 });
      await shoot(page, '8-reconnecting');
      await page.locator('textarea').fill('Written while offline');
      await page.keyboard.press('Enter');
      await page
        .locator('.msg.mine', { hasText: 'Written while offline' })
        .locator('.delivery[data-state=sending]')
        .waitFor();
      const outbox = await page.evaluate('JSON.parse(localStorage.getItem("hotline:demo:outbox") || "[]")');
      expect(outbox).to.have.length(1);
      networkUp = true;
      await page
        .locator('.msg.mine', { hasText: 'Written while offline' })
        .locator('.delivery[data-state=sent]')
        .waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      expect(carl.messages.filter((m) => m.body === 'Written while offline')).to.have.length(1);
    });
  });

  it('when the host page has aggressive global CSS, then the widget looks the same', async () => {
    const measure = async (path: string) => {
      const page = await newPage();
      await page.goto(`${engine.url}${path}`);
      await page.locator('.launcher').click();
      await page.locator('.menu .choice').first().waitFor();
      await page.waitForTimeout(300);
      // A string, so the test compiler's helpers do not end up in the page.
      const result = await page.evaluate(`(() => {
        const root = document.querySelector('hotline-widget').shadowRoot;
        const pick = (selector) => {
          const el = root.querySelector(selector);
          const box = el.getBoundingClientRect();
          const style = getComputedStyle(el);
          return {
            box: [box.x, box.y, box.width, box.height].map(Math.round),
            style: [style.fontSize, style.color, style.fontFamily, style.display, style.backgroundColor, style.transform, style.padding],
          };
        };
        return { launcher: pick('.launcher'), panel: pick('.panel'), title: pick('.title'), choice: pick('.menu .choice'), close: pick('.close') };
      })()`);
      return { page, result };
    };
    const plain = await measure('/demo/');
    const hostile = await measure('/demo/hostile');
    await hostile.page.screenshot({ path: screenshotPath('7-hostile-css-desktop') });
    expect(hostile.result).to.deep.equal(plain.result);
    expect(await hostile.page.evaluate(() => getComputedStyle(document.body).color)).to.equal(
      'rgb(255, 0, 0)',
    );
  });
});
