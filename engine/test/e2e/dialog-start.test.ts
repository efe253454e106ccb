import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ErrorBody, VisitorDialogView, VisitorSession } from '@hotline/protocol';
import type { RoutingStore } from '../../src/routing-store/routing-store';
import {
  call,
  callRaw,
  chatStart,
  clientId,
  connectOperator,
  connectVisitor,
  login,
  next,
  type OperatorSocket,
  type VisitorSocket,
} from '../support/clients';
import { type Backends, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';

/** The reconciler runs this often here, so repairs show within a test's patience. */
const RECONCILE_MS = 400;

/**
 * Makes the engine's real store fail the calls of `method` that `matches` (at most `times` of them,
 * until `heal()`), as a node dying or starved at that step would; other calls go through.
 */
function injectFault<K extends 'listOperators' | 'enqueueAndAssign' | 'holdNew'>(
  store: RoutingStore,
  method: K,
  matches: (...args: Parameters<RoutingStore[K]>) => boolean,
  times = Number.POSITIVE_INFINITY,
): { failures: () => number; heal: () => void } {
  const original = store[method];
  let failures = 0;
  const heal = () => {
    store[method] = original;
  };
  store[method] = (async (...args: Parameters<RoutingStore[K]>) => {
    if (failures < times && matches(...args)) {
      failures += 1;
      if (failures >= times) heal();
      throw new Error(`injected fault: ${method}`);
    }
    return (original as (...a: Parameters<RoutingStore[K]>) => unknown).apply(store, args);
  }) as RoutingStore[K];
  return { failures: () => failures, heal };
}

const NUL = '\u0000';

interface StartPayload {
  choice: { groupId: string; topicId: string; regionId: string };
  page: { url: string; title: string; referrer: string };
  language: string;
  name: string;
  message: { clientMessageId: string; body: string };
}

async function errorOf(
  socket: VisitorSocket | OperatorSocket,
  event: string,
  payload: unknown,
): Promise<ErrorBody> {
  const response = await callRaw(socket, event, payload);
  if (!('error' in response))
    throw new Error(`${event} was accepted: ${JSON.stringify(response.data).slice(0, 200)}`);
  return response.error;
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`dialog:start, validate then route (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(
      backends,
      { routingConfigPath: TEST_ROUTING, RECONCILE_INTERVAL_MS: RECONCILE_MS },
      (s) => {
        server = s;
      },
    );

    const onlineAnna = async () => {
      const anna = await connectOperator(server.url, 'anna@example.com'); // sales (the default route), limit 2
      await call(anna, 'presence:set', { status: 'online' });
      await server.engine.assignments.idle();
      return anna;
    };

    it('when the chosen group does not exist (a stale widget), then the dialog takes the default route and an online operator with room gets it', async () => {
      const anna = await onlineAnna();
      const visitor = await connectVisitor(server.url);
      const assigned = next<{ id: string }>(anna, 'dialog:assigned');
      const view = await call<VisitorDialogView>(
        visitor,
        'dialog:start',
        chatStart('renamed-group', 'anyone there?'),
      );
      expect(view.state).not.to.equal('created');
      expect((await assigned).id).to.equal(view.id);
      const row = await server.engine.repo.findDialog(view.id);
      expect(row).to.include({ groupId: 'sales', state: 'assigned' });
      const again = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('renamed-group'));
      expect(again).to.include({ id: view.id, state: 'assigned' });
    });

    it('when the chosen topic or region does not exist, then the dialog takes the default route and keeps no stale id', async () => {
      for (const choice of [
        { topicId: 'gone-topic' },
        { regionId: 'gone-region' },
        { groupId: 'gone', topicId: 'gone', regionId: 'gone' },
      ]) {
        const visitor = await connectVisitor(server.url);
        const view = await call<VisitorDialogView>(visitor, 'dialog:start', {
          choice,
          page: { url: 'http://shop.test/' },
        });
        const row = await server.engine.repo.findDialog(view.id);
        expect(row, JSON.stringify(choice)).to.include({
          groupId: 'sales',
          topicId: null,
          regionId: null,
          state: 'offline',
        });
      }
    });

    it('when a string field of dialog:start holds a NUL byte or a control character, then bad_request names the field and nothing is stored', async () => {
      const visitor = await connectVisitor(server.url);
      const { visitorId } = await call<VisitorSession>(visitor, 'session:resume');
      const base = (): StartPayload => ({
        choice: { groupId: 'support', topicId: 'returns', regionId: 'moscow' },
        page: { url: 'http://shop.test/', title: 'Shop', referrer: 'http://search.test/' },
        language: 'en',
        name: 'Maria',
        message: { clientMessageId: clientId(), body: 'Hello\nthere\ttab' },
      });
      const b = base();
      const cases: [string, StartPayload][] = [
        ['choice.groupId', { ...b, choice: { ...b.choice, groupId: `sup${NUL}port` } }],
        ['choice.topicId', { ...b, choice: { ...b.choice, topicId: `re${NUL}` } }],
        ['choice.regionId', { ...b, choice: { ...b.choice, regionId: NUL } }],
        ['page.url', { ...b, page: { ...b.page, url: `http://shop.test/${NUL}` } }],
        ['page.title', { ...b, page: { ...b.page, title: `Shop${NUL}` } }],
        ['page.referrer', { ...b, page: { ...b.page, referrer: `x${NUL}` } }],
        ['language', { ...b, language: `en${NUL}` }],
        ['name', { ...b, name: `Ma${NUL}ria` }],
        ['message.clientMessageId', { ...b, message: { ...b.message, clientMessageId: `id${NUL}` } }],
        ['message.body', { ...b, message: { ...b.message, body: `Hello ${NUL} there` } }],
        ['message.body', { ...b, message: { ...b.message, body: 'bell \u0007' } }],
        ['name', { ...b, name: 'escape \u001b[31m' }],
      ];
      for (const [field, payload] of cases) {
        expect(await errorOf(visitor, 'dialog:start', payload), field).to.include({
          code: 'bad_request',
          field,
        });
      }
      const callback = {
        kind: 'callback',
        callback: { phone: `+1 555 0100${NUL}` },
        page: { url: 'http://shop.test/' },
      };
      expect(await errorOf(visitor, 'dialog:start', callback)).to.include({
        code: 'bad_request',
        field: 'callback.phone',
      });
      const preferred = {
        kind: 'callback',
        callback: { phone: '+1 202 555 0100', preferredTime: `noon${NUL}` },
        page: { url: 'http://shop.test/' },
      };
      expect(await errorOf(visitor, 'dialog:start', preferred)).to.include({
        code: 'bad_request',
        field: 'callback.preferredTime',
      });
      expect(
        await errorOf(visitor, 'callback:request', { phone: '+1 202 555 0100', page: { url: `a${NUL}` } }),
      ).to.include({
        code: 'bad_request',
        field: 'page.url',
      });
      expect(
        await errorOf(visitor, 'message:send', { clientMessageId: clientId(), body: `hi${NUL}` }),
      ).to.include({ code: 'bad_request', field: 'body' });
      expect(await errorOf(visitor, 'message:send', { clientMessageId: `c${NUL}`, body: 'hi' })).to.include({
        code: 'bad_request',
        field: 'clientMessageId',
      });

      const { repo, visitorRepo } = server.engine;
      expect(await repo.dialogsOfVisitor(visitorId)).to.deep.equal([]);
      expect(await visitorRepo.pages(visitorId)).to.deep.equal([]);
      expect((await visitorRepo.findVisitor(visitorId))?.name).to.equal(null);
      expect(visitor.connected).to.equal(true);
      // The same payload without the bad byte goes through; tabs and newlines are text.
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', base());
      expect(view.messages.map((m) => m.body)).to.deep.equal(['Hello\nthere\ttab']);
    });

    it('when contact or page events hold a NUL byte, then bad_request names the field and nothing is stored', async () => {
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('night'));
      const { visitorId } = await call<VisitorSession>(visitor, 'session:resume');
      expect(await errorOf(visitor, 'contact:leave', { contact: `+1 202 555 0100${NUL}` })).to.include({
        code: 'bad_request',
        field: 'contact',
      });
      expect(
        await errorOf(visitor, 'contact:leave', { contact: '+1 202 555 0100', name: `Bob${NUL}` }),
      ).to.include({ code: 'bad_request', field: 'name' });
      expect(await errorOf(visitor, 'page:change', { url: `http://shop.test/${NUL}` })).to.include({
        code: 'bad_request',
        field: 'url',
      });
      expect(
        await errorOf(visitor, 'page:change', { url: 'http://shop.test/', title: `T${NUL}` }),
      ).to.include({ code: 'bad_request', field: 'title' });
      const { repo, visitorRepo } = server.engine;
      expect((await visitorRepo.findVisitor(visitorId))?.name).to.equal(null);
      expect((await repo.findDialog(view.id))?.contact).to.equal(null);
      expect((await visitorRepo.pages(visitorId)).map((p) => p.url)).to.deep.equal(['http://shop.test/']);
    });

    it('when an operator sends a NUL byte over the socket or the REST API, then bad_request names the field', async () => {
      const anna = await onlineAnna();
      const visitor = await connectVisitor(server.url);
      const assigned = next<{ id: string }>(anna, 'dialog:assigned');
      await call(visitor, 'dialog:start', chatStart('sales'));
      const { id } = await assigned;
      expect(
        await errorOf(anna, 'message:send', { dialogId: id, clientMessageId: clientId(), body: `hi${NUL}` }),
      ).to.include({ code: 'bad_request', field: 'body' });
      expect(
        await errorOf(anna, 'dialog:transfer', { dialogId: id, toGroupId: 'support', note: `n${NUL}` }),
      ).to.include({ code: 'bad_request', field: 'note' });
      const token = await login(server.url, 'anna@example.com');
      const response = await fetch(`${server.url}/api/quick-replies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ shortcut: 'hi', title: 'Hi', body: `Hello${NUL}` }),
      });
      expect(response.status).to.equal(400);
      expect(((await response.json()) as { error: ErrorBody }).error).to.include({
        code: 'bad_request',
        field: 'body',
      });
    });

    it('when one visitor starts from several tabs at once, then they all get the same single dialog', async () => {
      const first = await connectVisitor(server.url);
      const { visitorId, visitorToken } = await call<VisitorSession>(first, 'session:resume');
      const tabs = [
        first,
        ...(await Promise.all(Array.from({ length: 4 }, () => connectVisitor(server.url, { visitorToken })))),
      ];
      const views = await Promise.all(
        tabs.map((tab, i) => call<VisitorDialogView>(tab, 'dialog:start', chatStart('night', `tab ${i}`))),
      );
      expect(new Set(views.map((v) => v.id)).size).to.equal(1);
      const dialogs = await server.engine.repo.dialogsOfVisitor(visitorId);
      expect(dialogs).to.have.length(1);
      const bodies = (await server.engine.messageRepo.messages(dialogs[0]!.id))
        .filter((m) => m.authorKind === 'visitor')
        .map((m) => m.body);
      expect(bodies.sort()).to.deep.equal(['tab 0', 'tab 1', 'tab 2', 'tab 3', 'tab 4']);
    });

    it('when a visitor writes with no dialog, then it is created routed with his message and an online operator gets both', async () => {
      const anna = await onlineAnna();
      const visitor = await connectVisitor(server.url);
      const { visitorId } = await call<VisitorSession>(visitor, 'session:resume');
      const assigned = next<{ id: string; messages: { body: string }[] }>(anna, 'dialog:assigned');
      const message = await call<{ dialogId: string }>(visitor, 'message:send', {
        clientMessageId: clientId(),
        body: 'no menu, just writing',
      });
      const dialog = await assigned;
      expect(dialog.id).to.equal(message.dialogId);
      expect(dialog.messages.map((m) => m.body)).to.deep.equal(['no menu, just writing']);
      const rows = await server.engine.repo.dialogsOfVisitor(visitorId);
      expect(rows.map((r) => [r.groupId, r.state])).to.deep.equal([['sales', 'assigned']]);
      const events = await server.engine.database
        .db('dialog_events')
        .where({ dialog_id: dialog.id })
        .orderBy('version');
      expect(
        events.map((e: { type: string; to_state: string }) => `${e.type}>${e.to_state}`).slice(0, 2),
      ).to.deep.equal(['VISITOR_MESSAGE>created', 'ROUTE>queued']);
    });

    it('when a closed dialog is reopened but its group no longer exists, then it takes the default route instead of refusing the message', async () => {
      const anna = await onlineAnna();
      const visitor = await connectVisitor(server.url);
      const assigned = next<{ id: string }>(anna, 'dialog:assigned');
      const view = await call<VisitorDialogView>(
        visitor,
        'dialog:start',
        chatStart('support', 'first question'),
      );
      expect((await assigned).id).to.equal(view.id);
      await call(anna, 'dialog:close', { dialogId: view.id, outcome: 'resolved' });
      // The group was renamed in the config since the dialog closed.
      await server.engine.database.db('dialogs').where({ id: view.id }).update({ group_id: 'support-old' });
      const again = next<{ id: string }>(anna, 'dialog:assigned', (d) => d.id === view.id);
      const message = await call<{ dialogId: string }>(visitor, 'message:send', {
        clientMessageId: clientId(),
        body: 'one more thing',
      });
      expect(message.dialogId).to.equal(view.id);
      await again;
      expect(await server.engine.repo.findDialog(view.id)).to.include({
        groupId: 'sales',
        state: 'assigned',
      });
    });

    it('when reading the routing state fails during a start, then no dialog is left in created and the retried start reaches an online operator', async () => {
      const anna = await onlineAnna();
      const visitor = await connectVisitor(server.url);
      const { visitorId } = await call<VisitorSession>(visitor, 'session:resume');
      // The routing read before any write (the group's operators: how many are online, whom to hold
      // for) fails while the start runs.
      const fault = injectFault(server.engine.store, 'listOperators', (groupId) => groupId === 'sales');
      const first = await callRaw<VisitorDialogView>(
        visitor,
        'dialog:start',
        chatStart('sales', 'first try'),
      );
      fault.heal();
      expect(fault.failures()).to.be.greaterThan(0);
      expect('error' in first, 'the start that met the fault is refused').to.equal(true);
      const stored = await server.engine.repo.dialogsOfVisitor(visitorId);
      expect(stored.filter((d) => d.state === 'created')).to.deep.equal([]);
      const assigned = next<{ id: string }>(anna, 'dialog:assigned');
      const retry = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('sales', 'second try'));
      expect(retry.state).not.to.equal('created');
      expect((await assigned).id).to.equal(retry.id);
      expect((await server.engine.repo.dialogsOfVisitor(visitorId)).map((d) => d.id)).to.deep.equal([
        retry.id,
      ]);
    });

    it('when the node fails right after the dialog is saved (its queue write lost), then the start is acknowledged and the reconciler routes it to the online operator', async () => {
      const anna = await onlineAnna();
      const visitor = await connectVisitor(server.url);
      // Its hold fails too (Redis gone for this start): it is stored queued, then routed as before.
      const hold = injectFault(server.engine.store, 'holdNew', (dialog) => dialog.groupId === 'sales', 1);
      const fault = injectFault(
        server.engine.store,
        'enqueueAndAssign',
        (dialog) => dialog.groupId === 'sales',
        1,
      );
      const assigned = next<{ id: string }>(anna, 'dialog:assigned', () => true, RECONCILE_MS * 6 + 2000);
      const view = await call<VisitorDialogView>(
        visitor,
        'dialog:start',
        chatStart('sales', 'saved, then the node died'),
      );
      expect(hold.failures()).to.equal(1);
      expect(fault.failures()).to.equal(1);
      expect(view.state).to.equal('queued');
      expect((await assigned).id).to.equal(view.id);
      expect((await server.engine.repo.findDialog(view.id))?.state).to.equal('assigned');
    });

    it('when a dialog was left in created (its node died before routing it), then the reconciler routes it within a few intervals', async () => {
      const anna = await onlineAnna();
      const visitor = await connectVisitor(server.url);
      const { visitorId } = await call<VisitorSession>(visitor, 'session:resume');
      const { repo, dialogs } = server.engine;
      // What an engine that saved before routing left behind when it died between the two.
      const id = randomUUID();
      const snapshot = dialogs.initialSnapshot(id, 'chat', Date.now());
      await repo.insertDialog({
        id,
        visitorId,
        siteId: 'demo',
        kind: 'chat',
        state: snapshot.value,
        snapshot,
        locale: 'en',
        page: { url: 'http://shop.test/' },
      });
      await server.engine.database.db('messages').insert({
        id: randomUUID(),
        dialog_id: id,
        author_kind: 'visitor',
        client_message_id: clientId(),
        body: 'stranded?',
      });
      const assigned = await next<{ id: string; messages: { body: string }[] }>(
        anna,
        'dialog:assigned',
        (d) => d.id === id,
        RECONCILE_MS * 6 + 2000,
      );
      expect(assigned.messages.map((m) => m.body)).to.deep.equal(['stranded?']);
      expect((await repo.findDialog(id))?.state).to.equal('assigned');
    });
  });
}
