/**
 * Files and links in both UIs in Chromium against a real engine (Postgres + Redis): the visitor
 * pastes a screenshot into the widget and the operator sees its thumbnail in the console; the
 * operator attaches a PDF in the console and the visitor downloads the same bytes from the widget;
 * an oversized file and an `.exe` renamed `.png` are refused in the widget with a sentence; links in
 * bodies are links (rel="noopener noreferrer") in both UIs while a `javascript:` "link" stays text.
 * Screenshots go to artifacts/files/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../engine/test/support/engine';
import { postgresAvailable } from '../../engine/test/support/postgres';
import { buildWidget } from '../../widget/build';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'artifacts/files');
const ROUTING = fileURLToPath(new URL('./fixtures/routing.yaml', import.meta.url));
const CI = process.env.CI === 'true' || process.env.CI === '1';

/** A small but real PDF (the engine sniffs it as application/pdf). */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);
/** The start of a Windows executable ("MZ" header), named like a picture. */
const EXE = Buffer.concat([
  Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'latin1'),
  Buffer.alloc(2048, 0x41),
]);

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function shoot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

describe('files and links in the widget and the console (Chromium, real engine)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let consolePage: Page;
  let widget: Page;

  const newPage = async (viewport = { width: 1280, height: 860 }): Promise<Page> => {
    const context = await browser.newContext({ viewport, locale: 'en-US', acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    return page;
  };

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (CI) throw new Error(`Chromium is missing at ${CHROMIUM}: CI must run the browser tests`);
      this.skip();
    }
    if (!(await postgresAvailable())) this.skip();
    // Both UIs are built from this tree: the engine serves what they built.
    await buildWidget({ sourcemap: false });
    execFileSync('npm', ['run', 'build', '-w', '@hotline/operator-ui'], { cwd: ROOT, stdio: 'ignore' });
    server = await startTestServer('real', { routingConfigPath: ROUTING });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });

    // Anna (sales) online in the console; a visitor in the widget on the demo shop picks "Buying".
    consolePage = await newPage({ width: 1440, height: 900 });
    await consolePage.goto(`${server.url}/console/`);
    await consolePage.getByTestId('login-email').fill('anna@example.com');
    await consolePage.getByTestId('login-password').fill('demo-password');
    await consolePage.getByTestId('login-submit').click();
    await consolePage.getByTestId('presence').waitFor();
    await consolePage.getByTestId('presence-online').click();
    await until(
      async () => (await consolePage.getByTestId('load').textContent())?.includes('0 / 2') ?? false,
      'anna online',
    );

    widget = await newPage();
    await widget.goto(`${server.url}/demo/`);
    await widget.locator('.launcher').click();
    await widget.locator('.menu .choice', { hasText: 'Buying' }).click();
    await widget.locator('textarea').fill('Hello, I have a question about my receipt');
    await widget.keyboard.press('Enter');
    await widget.locator('.msg.mine .delivery[data-state=sent]').first().waitFor({ timeout: 15_000 });
    const item = consolePage.getByTestId('dialog-item').first();
    await item.waitFor({ timeout: 15_000 });
    await item.click();
    await consolePage
      .getByTestId('messages')
      .getByText('Hello, I have a question about my receipt')
      .waitFor();
    await widget.locator('.subtitle', { hasText: 'Anna' }).waitFor({ timeout: 15_000 });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.cleanup();
  });

  it('when the operator and the visitor write links, then both UIs show links with rel="noopener noreferrer" and a javascript: "link" as text', async () => {
    const composer = consolePage.getByTestId('composer');
    await composer.fill('See https://example.com/help/returns?order=7 or javascript:alert(document.cookie)');
    await composer.press('Enter');
    const reply = widget.locator('.msg.operator', { hasText: 'javascript:alert' });
    await reply.waitFor({ timeout: 15_000 });
    const links = reply.locator('a');
    expect(await links.count(), 'one link in the widget').to.equal(1);
    expect(await links.getAttribute('href')).to.equal('https://example.com/help/returns?order=7');
    expect(await links.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(await links.getAttribute('target')).to.equal('_blank');
    expect(await links.textContent()).to.equal('example.com/help/returns?order=7');
    expect(await reply.locator('.text').textContent()).to.contain('or javascript:alert(document.cookie)');

    await widget
      .locator('textarea')
      .fill('Is it this one? mailto:me@example.org <b>bold</b> javascript:void(0)');
    await widget.keyboard.press('Enter');
    const incoming = consolePage.getByTestId('message').filter({ hasText: 'Is it this one?' });
    await incoming.waitFor({ timeout: 15_000 });
    const consoleLinks = incoming.getByTestId('body-link');
    expect(await consoleLinks.count(), 'one link in the console').to.equal(1);
    expect(await consoleLinks.getAttribute('href')).to.equal('mailto:me@example.org');
    expect(await consoleLinks.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(await incoming.locator('b').count(), 'HTML in a body is text').to.equal(0);
    expect(await incoming.textContent()).to.contain('<b>bold</b> javascript:void(0)');
    await shoot(widget, 'links-widget');
    await shoot(consolePage, 'links-console');
  });

  it('when the visitor pastes a screenshot, then it uploads into the tray, goes with the caption and the operator sees its thumbnail', async () => {
    const screenshot = await widget.screenshot({ clip: { x: 0, y: 0, width: 640, height: 400 } });
    await widget.locator('textarea').fill('Here is my receipt');
    // A real paste event carrying the PNG, as the clipboard gives it after a screenshot.
    await widget.locator('textarea').evaluate((textarea, base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
      textarea.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true }),
      );
    }, screenshot.toString('base64'));
    await widget.locator('.tray-item[data-state=done]').waitFor({ timeout: 15_000 });
    await shoot(widget, 'widget-tray-ready');
    await widget.keyboard.press('Enter');
    await widget.locator('.msg.mine .thumb img').waitFor({ timeout: 15_000 });
    expect(await widget.locator('.tray-item').count(), 'the tray empties with the message').to.equal(0);

    const bubble = consolePage.getByTestId('message').filter({ hasText: 'Here is my receipt' });
    const thumb = bubble.getByTestId('attachment-image');
    await thumb.waitFor({ timeout: 15_000 });
    await until(
      () => thumb.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      'the thumbnail to load',
    );
    expect(await thumb.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(await thumb.getAttribute('target')).to.equal('_blank');
    // Full size from `url`: an image, served inline.
    const full = await consolePage.request.get(new URL((await thumb.getAttribute('href'))!, server.url).href);
    expect(full.status()).to.equal(200);
    expect(full.headers()['content-type']).to.match(/^image\//);
    await shoot(consolePage, 'console-thumbnail');
  });

  it('when the operator attaches a PDF, then the visitor gets a file card and downloads the same bytes', async () => {
    await consolePage
      .getByTestId('attach-input')
      .setInputFiles({ name: 'invoice-1234.pdf', mimeType: 'application/pdf', buffer: PDF });
    await consolePage
      .getByTestId('upload-item')
      .and(consolePage.locator('[data-state=done]'))
      .waitFor({ timeout: 15_000 });
    await shoot(consolePage, 'console-tray-ready');
    await consolePage.getByTestId('composer').fill('Your invoice');
    await consolePage.getByTestId('send').click();
    await consolePage
      .getByTestId('message')
      .filter({ hasText: 'Your invoice' })
      .getByTestId('attachment-file')
      .waitFor({ timeout: 15_000 });

    const card = widget.locator('.msg.operator', { hasText: 'Your invoice' }).locator('a.file');
    await card.waitFor({ timeout: 15_000 });
    expect(await card.locator('.file-name').textContent()).to.equal('invoice-1234.pdf');
    expect(await card.locator('.file-meta').textContent()).to.match(/^PDF · \d+ B$/);
    expect(await card.getAttribute('rel')).to.equal('noopener noreferrer');
    await shoot(widget, 'widget-file-card');
    const [download] = await Promise.all([
      widget.waitForEvent('download', { timeout: 15_000 }),
      card.click(),
    ]);
    const saved = readFileSync((await download.path())!);
    expect(saved.equals(PDF), 'the downloaded bytes are the PDF the operator sent').to.equal(true);
    expect(download.suggestedFilename()).to.equal('invoice-1234.pdf');
  });

  it('when the visitor picks a file over the size limit or an .exe renamed .png, then the widget refuses each with a sentence and sends nothing', async () => {
    const before = await consolePage.getByTestId('message').count();
    const picker = widget.locator('.compose input[type=file]');
    await picker.setInputFiles([
      { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(11 * 1024 * 1024, 0x20) },
      { name: 'holiday.png', mimeType: 'image/png', buffer: EXE },
    ]);
    const errors = widget.locator('.tray-item[data-state=failed] .error');
    await until(async () => (await errors.count()) === 2, 'both refusals', 15_000);
    const texts = await errors.allTextContents();
    console.log(`      refusals shown: ${JSON.stringify(texts)}`);
    expect(texts[0]).to.match(/^“scan\.pdf” is too big/);
    expect(texts[1]).to.equal('“holiday.png” cannot be sent: this type of file is not accepted.');
    expect(await errors.first().getAttribute('role')).to.equal('alert');
    await shoot(widget, 'widget-refusals');
    // Nothing to send: Enter with an empty caption sends no message.
    await widget.locator('textarea').press('Enter');
    await widget.waitForTimeout(500);
    expect(await consolePage.getByTestId('message').count()).to.equal(before);
    // Removing a refused file empties the tray.
    await widget.locator('.tray-remove').first().click();
    await widget.locator('.tray-remove').first().click();
    expect(await widget.locator('.tray-item').count()).to.equal(0);
  });

  it('when files are dropped on the widget panel and on the console composer, then each uploads into the tray; cancel/remove takes it out', async () => {
    const drop = async (page: Page, selector: string, name: string, text: string) =>
      page
        .locator(selector)
        .first()
        .evaluate(
          (target, file) => {
            const data = new DataTransfer();
            data.items.add(new File([file.text], file.name, { type: 'text/plain' }));
            for (const type of ['dragover', 'drop'])
              target.dispatchEvent(
                new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true, composed: true }),
              );
          },
          { name, text },
        );
    await drop(widget, '.panel', 'notes.txt', 'order 1234, the red kettle\n');
    await widget
      .locator('.tray-item[data-state=done]', { hasText: 'notes.txt' })
      .waitFor({ timeout: 15_000 });
    await widget.locator('.tray-remove').click();
    expect(await widget.locator('.tray-item').count()).to.equal(0);

    await drop(consolePage, '[data-testid=composer-area]', 'steps.txt', '1. unplug 2. wait 3. plug in\n');
    const item = consolePage.getByTestId('upload-item').filter({ hasText: 'steps.txt' });
    await item.and(consolePage.locator('[data-state=done]')).waitFor({ timeout: 15_000 });
    await item.getByTestId('upload-remove').click();
    expect(await consolePage.getByTestId('upload-item').count()).to.equal(0);
  });
});
