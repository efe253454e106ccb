/**
 * The console in Chromium against a real engine on Postgres and Redis: an operator logs in, goes
 * online, answers a visitor with a quick reply, transfers one dialog and closes another; a supervisor
 * sees field errors in the groups editor, lowers the group's limit and watches the queue grow on the
 * dashboard while the operator stops receiving dialogs, then assigns a waiting dialog to an operator
 * with room and takes it over. Screenshots go to artifacts/console/.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { call, connectOperator } from '../../engine/test/support/clients';
import type { TestServer } from '../../engine/test/support/engine';
import {
  ack,
  shoot as shootIn,
  login as signIn,
  startRig,
  startVisitor,
  stopRig,
  until,
  type Visitor,
} from './support/browser';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'artifacts/console');
const ROUTING = fileURLToPath(new URL('./fixtures/routing.yaml', import.meta.url));
const VIEWPORT = { width: 1440, height: 900 };

const shoot = (page: Page, name: string) => shootIn(page, ARTIFACTS, name);
const login = (page: Page, url: string, email: string, screenshot?: string) =>
  signIn(page, url, email, screenshot ? () => shoot(page, screenshot) : undefined);

describe('console in Chromium against a real engine (Postgres + Redis)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const visitors: Visitor[] = [];

  before(async function () {
    ({ server, browser } = await startRig(this, ROUTING));
  });

  after(() => stopRig({ server, browser }, visitors, contexts));

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: VIEWPORT });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    return page;
  }

  it('when an operator is online, then he answers with a quick reply, transfers one dialog and closes another', async () => {
    // A personal quick reply for anna, as she would add it on the Quick replies screen.
    const loginResponse = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'anna@example.com', password: 'demo-password' }),
    });
    const cookie = loginResponse.headers.get('set-cookie')!.split(';')[0]!;
    const created = await fetch(`${server.url}/api/quick-replies`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie, Origin: server.url },
      body: JSON.stringify({
        shortcut: 'thanks',
        title: 'Thanks for waiting',
        body: 'Thank you for waiting, {name}! Let me check that for you.',
      }),
    });
    expect(created.status).to.equal(201);

    const page = await newPage();
    await login(page, server.url, 'anna@example.com', 'login');
    await page.getByTestId('presence-online').click();
    await until(
      async () => (await page.getByTestId('load').textContent())?.includes('0 / 2') ?? false,
      'load 0 / 2',
    );

    const maria = await startVisitor(server.url, 'sales', 'Hi, does the kettle come in red?', 'Maria');
    visitors.push(maria);
    const item = page.locator(`[data-dialog-id="${maria.dialog.id}"]`).first();
    await item.waitFor({ timeout: 10_000 });
    await item.click();
    await page.getByTestId('dialog-pane').waitFor();
    await page.getByTestId('messages').getByText('Hi, does the kettle come in red?').waitFor();
    expect(await page.getByTestId('visitor-name').textContent()).to.equal('Maria');

    // "/" opens the quick replies; Enter inserts the first match, Enter again sends.
    const composer = page.getByTestId('composer');
    await composer.click();
    await composer.pressSequentially('/than');
    await page.getByTestId('quick-reply-option').first().waitFor();
    await composer.press('Enter');
    expect(await composer.inputValue()).to.equal('Thank you for waiting, Maria! Let me check that for you.');
    await composer.press('Enter');
    await until(
      () =>
        maria.messages.some(
          (m) => m.authorKind === 'operator' && m.body.startsWith('Thank you for waiting, Maria'),
        ),
      'the visitor to get the reply',
    );
    await until(async () => (await composer.inputValue()) === '', 'the composer to clear');
    await ack(maria.socket, 'typing:set', { typing: true });
    await page.getByText('Maria is typing…').waitFor();
    await shoot(page, 'dialog-pane');

    const oleg = await startVisitor(server.url, 'sales', 'Where is my order 1234?', 'Oleg');
    visitors.push(oleg);
    await page.locator(`[data-dialog-id="${oleg.dialog.id}"]`).first().waitFor();
    await until(
      async () => (await page.getByTestId('load').textContent())?.includes('2 / 2') ?? false,
      'load 2 / 2',
    );

    // Transfer Maria's dialog to support with a note (Alt+T opens the form).
    await item.click();
    await page.keyboard.press('Alt+KeyT');
    await page.getByTestId('transfer-form').waitFor();
    await page.getByTestId('transfer-group').selectOption('support');
    await page.getByTestId('transfer-note').fill('Asks about red kettles, stock check needed');
    await page.getByTestId('transfer-submit').click();
    await page.getByTestId('transfer-form').waitFor({ state: 'detached' });
    await page
      .locator(`[data-testid="dialog-item"][data-dialog-id="${maria.dialog.id}"]`)
      .waitFor({ state: 'detached' });

    // Close Oleg's dialog with an outcome (Alt+C).
    await page.locator(`[data-dialog-id="${oleg.dialog.id}"]`).first().click();
    await page.getByTestId('dialog-pane').waitFor();
    await page.keyboard.press('Alt+KeyC');
    await page.getByTestId('outcome-resolved').check();
    await page.getByTestId('close-submit').click();
    await page
      .locator(`[data-testid="dialog-item"][data-dialog-id="${oleg.dialog.id}"]`)
      .waitFor({ state: 'detached' });
    await until(
      async () => (await page.getByTestId('load').textContent())?.includes('0 / 2') ?? false,
      'load back to 0 / 2',
    );
  });

  it('when a supervisor lowers the limit, then the operator stops receiving dialogs and the dashboard shows the queue grow', async () => {
    const anna = contexts[0]!.pages()[0]!;
    const admin = await newPage();
    await login(admin, server.url, 'admin@example.com');

    // An invalid limit is refused and the error is shown at the field.
    await admin.goto(`${server.url}/console/groups/sales`);
    await admin.getByTestId('group-limit').fill('0');
    await admin.getByTestId('save-group').click();
    const fieldError = admin.locator('[data-error-for="limits.default"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).to.match(/>= 1/);
    await shoot(admin, 'groups-editor-error');

    await admin.getByTestId('group-limit').fill('1');
    await admin.getByTestId('save-group').click();
    await admin.getByTestId('saved').waitFor();
    // The editor sends the whole group it cloned: a field it does not show is saved unchanged.
    const saved = await admin.request.get(`${server.url}/api/routing-config`);
    const { entered } = ((await saved.json()) as { data: { entered: { groups: Record<string, unknown>[] } } })
      .data;
    expect(entered.groups.find((g) => g.id === 'sales')).to.deep.include({
      holidays: ['2001-01-01'],
      limits: { default: 1 },
    });

    const first = await startVisitor(server.url, 'sales', 'Hello, I need a quote', 'Ivan');
    visitors.push(first);
    await anna.locator(`[data-dialog-id="${first.dialog.id}"]`).first().waitFor();
    await until(
      async () => (await anna.getByTestId('load').textContent())?.includes('1 / 1') ?? false,
      'anna full at 1 / 1',
    );

    await admin.goto(`${server.url}/console/dashboard`);
    const waiting = admin.locator('[data-testid="dashboard-group-sales"] [data-testid="group-waiting"]');
    await waiting.waitFor();
    expect(await waiting.textContent()).to.equal('0');

    const queued = [
      await startVisitor(server.url, 'sales', 'Is anyone there?', 'Pavel'),
      await startVisitor(server.url, 'sales', 'Question about prices', 'Sofia'),
    ];
    visitors.push(...queued);
    await until(
      async () => (await waiting.textContent()) === '2',
      'the dashboard to show 2 waiting in sales',
    );
    await admin.waitForTimeout(1500);
    await shoot(admin, 'dashboard');

    // Anna still holds only the one dialog her limit allows.
    expect(await anna.locator('[data-testid="dialog-item"]').count()).to.equal(1);
    for (const v of queued)
      expect(await anna.locator(`[data-dialog-id="${v.dialog.id}"]`).count()).to.equal(0);
  });

  it('when a visitor left a contact while nobody was online, then the lead shows in the leads list', async () => {
    const admin = contexts[1]!.pages()[0]!;
    const visitor = await startVisitor(server.url, 'support', 'Please call me back about a refund', 'Nina');
    visitors.push(visitor);
    await ack(visitor.socket, 'contact:leave', { contact: '+1 415 555 2671', name: 'Nina' });
    await admin.goto(`${server.url}/console/leads`);
    const lead = admin.locator(`[data-dialog-id="${visitor.dialog.id}"]`).first();
    await lead.waitFor();
    await lead.click();
    await admin.getByTestId('pick-lead').waitFor();
    await shoot(admin, 'leads');
  });
  it('when a supervisor assigns a waiting dialog to an operator with room and then takes it over, then each move shows at once', async () => {
    const admin = contexts[1]!.pages()[0]!;
    // Sales is full (anna 1 / 1) and two visitors wait; carl (support only) is online with room.
    const rows = await Promise.all(visitors.map((v) => server.engine.repo.findDialog(v.dialog.id)));
    const waitingId = rows.find((r) => r?.state === 'queued' && r.groupId === 'sales')!.id;
    const carl = await connectOperator(server.url, 'carl@example.com');
    const carlSelf = await call<{ operatorId: string }>(carl, 'presence:set', { status: 'online' });
    const adminId = (await server.engine.operatorsRepo.findByEmailWithHash('admin@example.com'))!.id;
    await server.engine.assignments.idle();
    const carlLoad = async () => (await server.engine.store.getOperator(carlSelf.operatorId))?.load ?? 0;
    const carlBefore = await carlLoad();

    await admin.goto(`${server.url}/console/all/${waitingId}`);
    await admin.locator(`[data-testid="dialog-pane"][data-dialog-id="${waitingId}"]`).waitFor();
    await admin.getByTestId('open-assign').click();
    await admin
      .locator(`[data-testid="assign-operator"] option[value="${carlSelf.operatorId}"]`)
      .waitFor({ state: 'attached' });
    await admin.getByTestId('assign-operator').selectOption(carlSelf.operatorId);
    await shoot(admin, 'supervisor-assign');
    await admin.getByTestId('assign-submit').click();
    await until(
      async () => (await server.engine.repo.findDialog(waitingId))?.operatorId === carlSelf.operatorId,
      'the dialog assigned to carl',
    );
    expect(await carlLoad()).to.equal(carlBefore + 1);

    // Offline, the supervisor is refused with the reason; online with room, the dialog becomes his.
    await admin.getByTestId('take-over').click();
    await admin.getByText('That operator is offline').waitFor();
    await admin.getByTestId('presence-online').click();
    await until(
      async () => (await server.engine.store.getOperator(adminId))?.status === 'online',
      'the supervisor online',
    );
    await admin.getByTestId('take-over').click();
    await until(
      async () => (await server.engine.repo.findDialog(waitingId))?.operatorId === adminId,
      'the dialog taken over',
    );
    await admin.getByTestId('open-transfer').waitFor();
    await shoot(admin, 'supervisor-took-over');
    expect(await carlLoad()).to.equal(carlBefore);
    expect((await server.engine.store.getOperator(adminId))?.load).to.equal(1);
    carl.close();
  });

  it('when a supervisor edits an operator profile, then it is saved under operatorEmail and takes effect', async () => {
    const admin = await newPage();
    await login(admin, server.url, 'admin@example.com');
    await admin.goto(`${server.url}/console/operators`);
    await admin.getByTestId('operator-row-carl@example.com').click();
    await admin.getByTestId('operator-limit').fill('4');
    await admin.getByTestId('save-profile').click();
    await admin.getByTestId('saved').waitFor();

    const read = await admin.request.get(`${server.url}/api/routing-config`);
    const { entered } = (
      (await read.json()) as { data: { entered: { operators: Record<string, unknown>[] } } }
    ).data;
    const carl = entered.operators.find((p) => p.operatorEmail === 'carl@example.com');
    expect(carl).to.deep.include({ limit: 4 });
    expect(entered.operators.every((p) => !('operatorId' in p))).to.equal(true);
    const carlId = (await server.engine.operatorsRepo.findByEmailWithHash('carl@example.com'))!.id;
    await until(async () => (await server.engine.store.getOperator(carlId))?.limit === 4, 'carl limit 4');
  });
});
