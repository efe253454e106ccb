import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Reconciler } from '../../src/background/reconciler';
import type { DialogDetail, VisitorDialogView, VisitorSession } from '@hotline/protocol';
import { parseSnapshot } from '../../src/dialog/dialog-snapshot';
import type { RoutingStore } from '../../src/routing-store/routing-store';
import {
  call,
  chatStart,
  clientId,
  closeAllSockets,
  connectOperator,
  connectVisitor,
  eventually,
} from '../support/clients';
import {
  type Backends,
  backendsAvailable,
  manualReconciler,
  resetDialogs,
  startTestServer,
  TEST_ROUTING,
  type TestServer,
} from '../support/engine';

/**
 * The one-commit start holds the operator's slot in the routing store BEFORE the dialog is stored
 * (DialogService.create). A node dying between the two leaves a hold without a dialog: the
 * reconciler releases it, but only when two consecutive passes saw it so, since a start's commit may
 * be a few milliseconds away. The holds here are made by the store call the start makes
 * (`holdNew`), and a start is paused right after its hold, before its commit.
 */
for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`new dialogs held before their commit (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let reconciler: Reconciler;
    let holdNew: RoutingStore['holdNew'];

    before(async function () {
      if (!(await backendsAvailable(backends))) return this.skip();
      // Only the reconciler made here repairs (the server's own one waits ten minutes).
      server = await startTestServer(backends, {
        routingConfigPath: TEST_ROUTING,
        RECONCILE_INTERVAL_MS: 600_000,
      });
      holdNew = server.engine.store.holdNew;
      reconciler = manualReconciler(server);
    });
    afterEach(async () => {
      if (server) server.engine.store.holdNew = holdNew;
      closeAllSockets();
      if (server) await resetDialogs(server);
    });
    after(async () => server?.cleanup());

    /** Carl (support only, limit 3) online; his operator id. */
    async function carlOnline() {
      const carl = await connectOperator(server.url, 'carl@example.com');
      const self = await call<{ operatorId: string }>(carl, 'presence:set', { status: 'online' });
      return { socket: carl, id: self.operatorId };
    }

    /** The next start's hold waits for `release()` before its commit goes on. */
    function pauseAfterHold() {
      const { store } = server.engine;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let held = false;
      store.holdNew = async (...args) => {
        store.holdNew = holdNew;
        const result = await holdNew.apply(store, args);
        held = result !== null;
        await gate;
        return result;
      };
      return { release, held: () => held };
    }

    it('when a hold has no dialog in Postgres (its node died before the commit), then it is released after two passes, not after one', async () => {
      const { store } = server.engine;
      const carl = await carlOnline();
      const dialogId = randomUUID();
      const held = await store.holdNew({ dialogId, groupId: 'support', priority: 5 }, [carl.id], Date.now());
      expect(held).to.deep.include({ dialogId, operatorId: carl.id });

      const first = await reconciler.run();
      expect(first.released, 'seen once: its commit may be in flight').to.equal(0);
      expect(await store.holder(dialogId)).to.deep.include({ operatorId: carl.id });
      expect((await store.getOperator(carl.id))?.load).to.equal(1);
      const second = await reconciler.run();
      expect(second.released).to.equal(1);
      expect(await store.holder(dialogId)).to.equal(null);
      expect((await store.getOperator(carl.id))?.load).to.equal(0);
      expect((await reconciler.run()).released, 'idempotent').to.equal(0);
    });

    it('when a start commits between two passes, then its hold is kept and the dialog stays assigned', async () => {
      const { store, repo } = server.engine;
      const carl = await carlOnline();
      const assigned: DialogDetail[] = [];
      carl.socket.on('dialog:assigned', (d) => assigned.push(d));
      const paused = pauseAfterHold();
      const start = call<VisitorDialogView>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('support'),
      );
      await eventually(async () => paused.held(), 10_000, 'the start to hold Carl');
      const [dialogId] = await store.operatorDialogs(carl.id);

      const first = await reconciler.run();
      expect(first.released).to.equal(0);
      paused.release();
      const view = await start;
      expect(view).to.deep.include({ id: dialogId, state: 'assigned' });
      const second = await reconciler.run();
      expect(second.released, 'the hold has its dialog now').to.equal(0);
      expect(second.conflicts).to.deep.equal([]);
      expect(await store.holder(dialogId!)).to.deep.include({ operatorId: carl.id, offered: false });
      const row = await repo.findDialog(dialogId!);
      expect(row?.state).to.equal('assigned');
      // Its timers were scheduled by the hold, as the committed snapshot has them (nothing more to sync).
      const timers = await store.listTimers(dialogId!);
      const planned = parseSnapshot(row!.snapshot).context.timers;
      expect(timers.map((t) => [t.key, t.dueAt])).to.deep.equal(
        Object.entries(planned).map(([key, t]) => [key, t.dueAt]),
      );
      expect(timers).to.have.length(1);
      await eventually(async () => assigned.length === 1, 10_000, 'dialog:assigned');
      expect(assigned[0]).to.deep.include({ id: dialogId, state: 'assigned' });
      expect(assigned[0]!.messages.map((m) => m.body)).to.include('Hello, I need help');
      expect(assigned[0]!.visitor.pages.map((p) => p.url)).to.deep.equal(['http://shop.test/']);
    });

    it('when another tab of the visitor starts first while a start is held, then the held start writes nothing and gives the slot back at once', async () => {
      const { store } = server.engine;
      const carl = await carlOnline();
      const first = await connectVisitor(server.url);
      const { visitorToken } = await call<VisitorSession>(first, 'session:resume');
      const second = await connectVisitor(server.url, { visitorToken });
      const paused = pauseAfterHold();
      const slow = call<VisitorDialogView>(first, 'dialog:start', chatStart('support', 'first tab'));
      await eventually(async () => paused.held(), 10_000, 'the first tab to hold Carl');
      // A message without a dialog starts one too (by the default route, sales; another kind of
      // event, so it runs beside the paused start) and commits first.
      const message = await call<{ dialogId: string }>(second, 'message:send', {
        clientMessageId: clientId(),
        body: 'second tab',
      });
      expect((await store.getOperator(carl.id))?.load, 'the paused start holds Carl').to.equal(1);
      const [heldId] = await store.operatorDialogs(carl.id);
      expect(
        (await store.listTimers(heldId!)).map((t) => t.key.split(':')[0]),
        'the hold scheduled its timers',
      ).to.deep.equal(['unanswered']);
      paused.release();
      const joined = await slow;
      // The paused start wrote nothing, joined the open dialog, and gave Carl's slot back at once,
      // and the timers its hold had scheduled with it.
      expect(joined.id).to.equal(message.dialogId);
      expect(await store.operatorDialogs(carl.id)).to.deep.equal([]);
      expect((await store.getOperator(carl.id))?.load).to.equal(0);
      expect(await store.listTimers(heldId!)).to.deep.equal([]);
    });
  });
}
