/**
 * The console in Russian and English, and the browser review's console defects, in Chromium against
 * a real engine (Postgres + Redis). axe-core runs inside the page on the login, inbox, dialog,
 * dashboard and group editor: 0 serious or critical violations each, printed. Screenshots of the
 * console in Russian go to artifacts/console-ru/ (and to docs/images/ with HOTLINE_DOCS_SCREENSHOTS=1).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { call, connectOperator } from '../../engine/test/support/clients';
import type { TestServer } from '../../engine/test/support/engine';
import {
  axeSerious,
  login,
  shoot,
  startRig,
  startVisitor,
  stopRig,
  until,
  type Visitor,
} from './support/browser';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'artifacts/console-ru');
const DOC_IMAGES = join(ROOT, 'docs/images');
const ROUTING = fileURLToPath(new URL('./fixtures/routing-two-groups.yaml', import.meta.url));
const VIEWPORT = { width: 1440, height: 900 };

/** A screenshot for the record; the docs' copies are refreshed only when asked. */
async function picture(page: Page, name: string) {
  await shoot(page, ARTIFACTS, name);
  if (process.env.HOTLINE_DOCS_SCREENSHOTS === '1') await shoot(page, DOC_IMAGES, name);
}

describe('console languages, accessibility and review defects in Chromium (Postgres + Redis)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const visitors: Visitor[] = [];
  let anna: Page;
  let admin: Page;
  let annaCookie = '';
  /** The engine has PUT /api/quick-replies/order and the quickReplies:changed push (helper wiring's change). */
  let ordered = false;

  before(async function () {
    ({ server, browser } = await startRig(this, ROUTING));
  });

  after(() => stopRig({ server, browser }, visitors, contexts));

  // A failed step leaves a picture of both consoles behind, to see what the test saw.
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    const name = (this.currentTest.title.slice(5, 40) || 'step').replace(/\W+/g, '-');
    if (anna) await shoot(anna, ARTIFACTS, `failed-${name}-anna`).catch(() => undefined);
    if (admin) await shoot(admin, ARTIFACTS, `failed-${name}-admin`).catch(() => undefined);
  });

  async function newPage(locale: string, errors?: string[]): Promise<Page> {
    const context = await browser.newContext({ viewport: VIEWPORT, locale });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors?.push(message.text());
    });
    return page;
  }

  async function api(method: string, path: string, body?: unknown) {
    return fetch(`${server.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Cookie: annaCookie, Origin: server.url },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /**
   * Opens one of anna's dialogs inside the app: a page load would drop her socket, and past the test
   * engine's 200 ms presence grace her dialogs would go back to the queue.
   */
  async function openDialog(dialogId: string) {
    await anna.locator('nav a[href="/console/dialogs"]').click();
    await anna.locator(`[data-testid="dialog-item"][data-dialog-id="${dialogId}"]`).click();
    await anna.locator(`[data-testid="dialog-pane"][data-dialog-id="${dialogId}"]`).waitFor();
  }

  const systemNotes = async (dialogId: string) =>
    (
      await server.engine.database
        .db('messages')
        .where({ dialog_id: dialogId, author_kind: 'system' })
        .where('body', 'like', 'Transfer note%')
    ).length;

  it('when the browser speaks Russian, then the login page does too, logs no error (no 401) and passes axe', async () => {
    const errors: string[] = [];
    const page = await newPage('ru-RU', errors);
    await page.goto(`${server.url}/console/`);
    await page.getByTestId('login-email').waitFor();
    expect(await page.locator('h1').textContent()).to.equal('Вход в консоль');
    expect(await page.getByTestId('login-submit').textContent()).to.contain('Войти');
    expect(await page.evaluate(() => document.documentElement.lang)).to.equal('ru');
    expect(await axeSerious(page, 'login (ru)')).to.deep.equal([]);
    await picture(page, 'console-ru-login');
    expect(errors, 'console errors on the login page').to.deep.equal([]);

    const english = await newPage('en-US', errors);
    await english.goto(`${server.url}/console/`);
    await english.getByTestId('login-email').waitFor();
    expect(await english.locator('h1').textContent()).to.equal('Sign in to the console');
    // The switch on the login page changes the language at once and is remembered in this browser.
    await english.getByTestId('login-locale').selectOption('ru');
    await english.locator('h1', { hasText: 'Вход в консоль' }).waitFor();
    await english.reload();
    await english.locator('h1', { hasText: 'Вход в консоль' }).waitFor();
    expect(errors, 'console errors on the login pages').to.deep.equal([]);
  });

  it('when an operator signs in in Russian, then the inbox and the dialog speak Russian, pass axe, and a quick reply without a known name drops {name} with its comma', async () => {
    const response = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'anna@example.com', password: 'demo-password' }),
    });
    annaCookie = response.headers.get('set-cookie')!.split(';')[0]!;
    ordered = (await api('PUT', '/api/quick-replies/order', { ids: [] })).status !== 404;
    if (!ordered)
      console.log('      (this engine has no quick-reply order nor push yet: those steps reload instead)');

    anna = await newPage('ru-RU');
    await login(anna, server.url, 'anna@example.com');
    await anna.getByTestId('presence-online').click();
    await until(
      async () => (await anna.getByTestId('load').textContent())?.includes('0 / 3') ?? false,
      'load 0 / 3',
    );
    expect(await anna.locator('h1').textContent()).to.equal('Мои диалоги');
    expect(await axeSerious(anna, 'inbox (ru)')).to.deep.equal([]);

    const nameless = await startVisitor(server.url, 'sales', 'Добрый день, есть красные чайники?', null);
    visitors.push(nameless);
    await anna.locator(`[data-dialog-id="${nameless.dialog.id}"]`).first().click();
    await anna.getByTestId('dialog-pane').waitFor();
    await until(
      async () => (await anna.getByTestId('load').textContent())?.includes('1 / 3') ?? false,
      'load 1 / 3',
    );

    // An empty library says so under "/" and links to adding one.
    const composer = anna.getByTestId('composer');
    await composer.click();
    await composer.pressSequentially('/');
    const empty = anna.getByTestId('quick-reply-empty');
    await empty.waitFor();
    expect(await empty.textContent()).to.contain('Быстрых ответов пока нет');
    expect(await anna.getByTestId('quick-reply-add').getAttribute('href')).to.equal('/console/quick-replies');
    await composer.press('Escape');
    await composer.fill('');

    // Added "in another tab" (the API with her session): it appears under "/" without a reload.
    const created = await api('POST', '/api/quick-replies', {
      shortcut: 'hello',
      title: 'Приветствие',
      body: 'Здравствуйте, {name}! Чем могу помочь?',
    });
    expect(created.status).to.equal(201);
    if (!ordered) {
      // The library is read again when its screen opens.
      await anna.locator('nav a[href="/console/quick-replies"]').click();
      await anna.getByTestId('quick-reply-row').waitFor();
      await openDialog(nameless.dialog.id);
    }
    await composer.click();
    await composer.pressSequentially('/hel');
    await anna.getByTestId('quick-reply-option').first().waitFor();
    const preview = anna.getByTestId('quick-reply-preview');
    expect(await preview.textContent()).to.contain('Здравствуйте! Чем могу помочь?');
    expect(await preview.textContent()).not.to.contain('{name}');
    await composer.press('Enter');
    expect(await composer.inputValue()).to.equal('Здравствуйте! Чем могу помочь?');
    await composer.press('Enter');
    await until(
      () =>
        nameless.messages.some(
          (m) => m.authorKind === 'operator' && m.body === 'Здравствуйте! Чем могу помочь?',
        ),
      'the visitor to get the reply without {name}',
    );
    expect(nameless.messages.some((m) => m.body.includes('{'))).to.equal(false);
    expect(await axeSerious(anna, 'dialog (ru)')).to.deep.equal([]);
    await picture(anna, 'console-ru-dialog');
  });

  it('when a visitor sends a 300-character word, then the message pane does not scroll sideways', async () => {
    const visitor = visitors[0]!;
    const before = await anna.getByTestId('dialog-pane').boundingBox();
    await new Promise<void>((resolve) =>
      visitor.socket.emit('message:send', { clientMessageId: 'long-word', body: 'ю'.repeat(300) }, () =>
        resolve(),
      ),
    );
    await anna.getByTestId('messages').getByText('ю'.repeat(300)).waitFor();
    const widths = await anna
      .getByTestId('messages')
      .evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(widths.scroll).to.be.at.most(widths.client);
    expect((await anna.getByTestId('dialog-pane').boundingBox())?.width).to.equal(before?.width);
  });

  it('when the operator orders his quick replies, then Alt+1 inserts his first', async function () {
    if (!ordered) this.skip();
    const bye = await api('POST', '/api/quick-replies', {
      shortcut: 'bye',
      title: 'Прощание',
      body: 'Всего доброго!',
    });
    expect(bye.status).to.equal(201);
    await anna.locator('nav a[href="/console/quick-replies"]').click();
    await until(async () => (await anna.getByTestId('quick-reply-row').count()) === 2, 'two replies listed');
    expect(await anna.getByTestId('quick-reply-row').first().textContent()).to.contain('/hello');
    await anna.getByTestId('qr-up').nth(1).click();
    await until(
      async () =>
        (await anna.getByTestId('quick-reply-row').first().textContent())?.includes('/bye') ?? false,
      'bye first',
    );
    await openDialog(visitors[0]!.dialog.id);
    const composer = anna.getByTestId('composer');
    await composer.click();
    await anna.keyboard.press('Alt+Digit1');
    expect(await composer.inputValue()).to.equal('Всего доброго!');
    await composer.fill('');
  });

  it('when a transfer is refused (operator offline), then the refusal is a sentence, no note is saved, a retry adds none, and the next transfer form is clean', async () => {
    const dialogId = visitors[0]!.dialog.id;
    await openDialog(dialogId);
    await anna.getByTestId('open-transfer').click();
    const form = anna.getByTestId('transfer-form');
    await form.waitFor();
    // The groups are offered by name, no id to type.
    const groupNames = await anna.locator('[data-testid="transfer-group"] option').allTextContents();
    expect(groupNames).to.include.members(['Sales', 'Support', 'VIP']);
    await anna.getByTestId('transfer-to-operator').click();
    const carl = (await server.engine.operatorsRepo.findByEmailWithHash('carl@example.com'))!.id;
    await anna.getByTestId('transfer-operator').selectOption(carl);
    await anna.getByTestId('transfer-note').fill('Проверить наличие на складе');
    for (const attempt of [1, 2]) {
      await anna.getByTestId('transfer-submit').click();
      const error = anna.locator('[data-error-for="toOperatorId"]');
      await error.waitFor();
      expect(await error.textContent(), `attempt ${attempt}`).to.contain('Этот оператор не в сети');
      expect(await anna.getByTestId('transfer-operator').getAttribute('aria-invalid')).to.equal('true');
      expect(await systemNotes(dialogId), `notes after refused attempt ${attempt}`).to.equal(0);
    }
    await anna.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });
    await anna.getByTestId('open-transfer').click();
    expect(await anna.getByTestId('transfer-note').inputValue()).to.equal('');
    await anna.getByTestId('transfer-group').selectOption('support');
    await anna.getByTestId('transfer-note').fill('Нужна проверка склада');
    await anna.getByTestId('transfer-submit').click();
    await form.waitFor({ state: 'detached' });
    await until(async () => (await systemNotes(dialogId)) === 1, 'exactly one note after the transfer');
    await until(
      async () => (await anna.getByTestId('load').textContent())?.includes('0 / 3') ?? false,
      'load 0 / 3',
    );
  });

  it('when the operator is in two groups, then the dashboard counts each dialog once, in its own group, and every tile equals the dialogs behind it', async () => {
    for (const name of ['Ivan', 'Olga']) {
      const v = await startVisitor(server.url, 'sales', `Вопрос от ${name}`, name);
      visitors.push(v);
      await anna.locator(`[data-dialog-id="${v.dialog.id}"]`).first().waitFor();
    }
    admin = await newPage('ru-RU');
    await login(admin, server.url, 'admin@example.com');
    await admin.goto(`${server.url}/console/dashboard`);
    const held = async (groupId: string) =>
      (
        await server.engine.database
          .db('dialogs')
          .whereIn('state', ['assigned', 'active'])
          .where({ group_id: groupId })
      ).length;
    const queued = async (groupId: string) =>
      (await server.engine.database.db('dialogs').where({ state: 'queued', group_id: groupId })).length;
    const tile = (groupId: string, what: string) =>
      admin.locator(`[data-testid="dashboard-group-${groupId}"] [data-testid="${what}"]`);
    await until(
      async () => (await tile('sales', 'group-in-progress').textContent()) === '2',
      'sales 2 in progress',
    );
    let total = 0;
    for (const groupId of ['sales', 'support', 'vip']) {
      expect(
        Number(await tile(groupId, 'group-in-progress').textContent()),
        `${groupId} in progress`,
      ).to.equal(await held(groupId));
      expect(Number(await tile(groupId, 'group-waiting').textContent()), `${groupId} waiting`).to.equal(
        await queued(groupId),
      );
      total += await held(groupId);
    }
    expect(await tile('vip', 'group-in-progress').textContent()).to.equal('0');
    expect(Number(await admin.getByTestId('total-in-progress').textContent())).to.equal(total);
    expect(await axeSerious(admin, 'dashboard (ru)')).to.deep.equal([]);
    await picture(admin, 'console-ru-dashboard');

    // The supervisor's "My dialogs" count stays empty while messages arrive in dialogs he only watches.
    await admin.goto(`${server.url}/console/all`);
    await admin.locator(`[data-dialog-id="${visitors[1]!.dialog.id}"]`).first().waitFor();
    await new Promise<void>((resolve) =>
      visitors[1]!.socket.emit('message:send', { clientMessageId: 'more', body: 'Есть кто?' }, () =>
        resolve(),
      ),
    );
    await admin.locator(`[data-dialog-id="${visitors[1]!.dialog.id}"]`).getByText('Есть кто?').waitFor();
    expect(await admin.getByTestId('nav-count-dialogs').count()).to.equal(0);
  });

  it('when a dialog leaves the operator, then the notice names it, stays off the open dialog, goes by itself, and the load drops without a reload', async () => {
    const [, ivan, olga] = visitors;
    await openDialog(olga!.dialog.id);
    await until(
      async () => (await anna.getByTestId('load').textContent())?.includes('2 / 3') ?? false,
      'load 2 / 3',
    );
    const supervisor = await connectOperator(server.url, 'admin@example.com');
    await call(supervisor, 'presence:set', { status: 'online' });
    await call(supervisor, 'dialog:takeover', { dialogId: ivan!.dialog.id });
    const notice = anna.getByTestId('removed-notice');
    await notice.waitFor();
    expect(await notice.textContent()).to.contain('Ivan');
    const noticeBox = (await notice.boundingBox())!;
    const paneBox = (await anna.getByTestId('dialog-pane').boundingBox())!;
    expect(noticeBox.y + noticeBox.height).to.be.at.most(paneBox.y + 0.5);
    await until(
      async () => (await anna.getByTestId('load').textContent())?.includes('1 / 3') ?? false,
      'load 1 / 3',
    );
    await notice.waitFor({ state: 'detached', timeout: 20_000 });
    supervisor.close();
  });

  it('when the close form opens, then each outcome radio is named by its own label', async () => {
    await anna.getByTestId('open-close').click();
    await anna.getByTestId('close-form').waitFor();
    for (const label of ['Решено', 'Перезвонили', 'Спам']) {
      const radio = anna.getByRole('radio', { name: label, exact: true });
      expect(await radio.count(), label).to.equal(1);
    }
    expect(await anna.getByRole('group', { name: 'Итог' }).count()).to.equal(1);
    await anna.keyboard.press('Escape');
  });

  it('when a group fails to save, then the error is scrolled into view, the field is aria-invalid, the hours are labelled, and the editor passes axe', async () => {
    await admin.goto(`${server.url}/console/groups/sales`);
    await admin.getByTestId('group-limit').fill('0');
    // Open the working hours, so their time fields show, and go to the bottom of the form.
    await admin.locator('.hours input[type="checkbox"]').uncheck();
    const times = admin.locator('.hours input[type="time"]');
    await times.first().waitFor();
    for (const label of await times.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label'))))
      expect(label).to.match(/^(Пн|Вт|Ср|Чт|Пт): (начало|конец)/);
    await admin.locator('.editor').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await admin.getByTestId('save-group').click();
    const error = admin.getByTestId('form-error');
    await error.waitFor();
    await until(async () => {
      const box = await error.boundingBox();
      return box !== null && box.y >= 0 && box.y + box.height <= VIEWPORT.height;
    }, 'the error in view');
    expect(await admin.getByTestId('group-limit').getAttribute('aria-invalid')).to.equal('true');
    expect(await axeSerious(admin, 'group editor (ru)')).to.deep.equal([]);
    await picture(admin, 'console-ru-groups');
  });

  it('when the operator picks English in his menu, then the console switches at once', async () => {
    await anna.getByTestId('locale-select').selectOption('en');
    await anna.locator('h1', { hasText: 'My dialogs' }).waitFor();
    if (ordered) {
      const me = (await (await api('GET', '/api/auth/me')).json()) as { data: { locale?: string } };
      expect(me.data.locale).to.equal('en');
    }
    await anna.getByTestId('locale-select').selectOption('ru');
    await anna.locator('h1', { hasText: 'Мои диалоги' }).waitFor();
  });
});
