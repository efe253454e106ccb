import { expect } from 'chai';
import type { Reconciler } from '../../src/background/reconciler';
import type { DialogDetail } from '@hotline/protocol';
import {
  call,
  chatStart,
  closeAllSockets,
  connectOperator,
  connectVisitor,
  eventually,
  fillOperator,
} from '../support/clients';
import {
  type Backends,
  backendsAvailable,
  manualReconciler,
  resetDialogs,
  routingVariant,
  startTestServer,
  type TestServer,
} from '../support/engine';

// Offers that expire only when a test says so (the offer test below declines in the store by hand).
const ROUTING = routingVariant([
  ['offerMode: { enabled: true, timeoutSeconds: 0.5 }', 'offerMode: { enabled: true, timeoutSeconds: 60 }'],
]);

/**
 * A transfer, a supervisor's assign or take-over and a lead pick-up move the slot in the routing
 * store inside the Postgres transaction of the transition: when that commit fails, the store names
 * another holder than Postgres. Here the mismatch is produced with the real store call the transition
 * makes (its commit never happens); two reconciler runs must bring the store back to Postgres.
 */
for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`reconciler: holder mismatches after a failed commit (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let reconciler: Reconciler;

    before(async function () {
      if (!(await backendsAvailable(backends))) return this.skip();
      // Only the reconciler made here repairs (the server's own one waits ten minutes).
      server = await startTestServer(backends, {
        routingConfigPath: ROUTING,
        RECONCILE_INTERVAL_MS: 600_000,
      });
      reconciler = manualReconciler(server);
    });
    afterEach(async () => {
      closeAllSockets();
      if (server) await resetDialogs(server);
    });
    after(async () => server?.cleanup());

    /** Postgres' holder of the dialog (null when none) and its state. */
    async function truth(dialogId: string) {
      const row = await server.engine.repo.findDialog(dialogId);
      return { state: row?.state, operatorId: row?.operatorId ?? null };
    }

    it('when a transfer moved the slot in the store but its commit failed, then after two runs the slot is back with the holder Postgres names, even though he went away meanwhile', async () => {
      const { store } = server.engine;
      const { operator: carlSocket, held } = await fillOperator(server.url, 'carl@example.com', 'support', 1);
      const dialog = held[0]!;
      const carl = dialog.operatorId!;
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const annaId = (await store.listOperators()).find(
        (o) => o.operatorId !== carl && o.status === 'online',
      )!.operatorId;
      const moved = await store.transferDialog(
        { dialogId: dialog.id, groupId: 'support' },
        { kind: 'operator', operatorId: carl },
        { kind: 'operator', operatorId: annaId },
        Date.now(),
      );
      expect(moved.kind).to.equal('assigned');
      await call(carlSocket, 'presence:set', { status: 'away' });

      const first = await reconciler.run();
      expect(first.holdersRestored, 'seen once: could be a transfer in flight').to.equal(0);
      expect((await store.holder(dialog.id))?.operatorId).to.equal(annaId);
      const second = await reconciler.run();
      expect(second.holdersRestored).to.equal(1);
      expect(second.conflicts).to.deep.equal([]);
      expect(await store.holder(dialog.id)).to.deep.include({ operatorId: carl, offered: false });
      expect((await store.getOperator(annaId))?.load).to.equal(0);
      expect((await store.getOperator(carl))?.load).to.equal(1);
      expect(await truth(dialog.id)).to.deep.equal({ state: 'assigned', operatorId: carl });
      const third = await reconciler.run();
      expect(third.holdersRestored, 'idempotent').to.equal(0);
    });

    it('when the holder Postgres names has no room left by the time of the repair, then the dialog goes back to its queue through the machine and nobody is above his limit', async () => {
      const { store, assignments } = server.engine;
      // Boris (sales, limit 1) holds the dialog; a transfer to Anna is applied in the store only.
      const { held } = await fillOperator(server.url, 'boris@example.com', 'sales', 1);
      const dialog = held[0]!;
      const boris = dialog.operatorId!;
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const annaId = (await store.listOperators()).find(
        (o) => o.operatorId !== boris && o.status === 'online' && o.groups.some((g) => g.groupId === 'sales'),
      )!.operatorId;
      await store.transferDialog(
        { dialogId: dialog.id, groupId: 'sales' },
        { kind: 'operator', operatorId: boris },
        { kind: 'operator', operatorId: annaId },
        Date.now(),
      );
      // Boris' freed slot is taken by the next dialog (least-loaded: he holds none in the store).
      await call(await connectVisitor(server.url), 'dialog:start', chatStart('sales'));
      await eventually(async () => held.length === 2, 10_000, 'a second dialog for Boris');
      expect((await store.getOperator(boris))?.load).to.equal(1);

      expect((await reconciler.run()).gaveBack).to.equal(0);
      const second = await reconciler.run();
      expect(second.gaveBack).to.equal(1);
      expect(second.holdersRestored).to.equal(0);
      await assignments.idle();
      expect((await store.getOperator(boris))?.load).to.equal(1);
      const after = await truth(dialog.id);
      expect(after.operatorId).to.not.equal(boris);
      // Served again: queued, or already assigned to whoever had room (Anna), and the store agrees.
      expect((await store.holder(dialog.id))?.operatorId ?? null).to.equal(after.operatorId);
      if (after.state === 'queued') expect(await store.position(dialog.id)).to.not.equal(null);
      else expect(after.state).to.equal('assigned');
      for (const o of await store.listOperators()) expect(o.load, o.operatorId).to.be.at.most(o.limit);
    });

    it("when a supervisor's assign took a queued dialog in the store but its commit failed, then after two runs it waits in its queue again and the operator's slot is free", async () => {
      const { store } = server.engine;
      await fillOperator(server.url, 'boris@example.com', 'sales', 1); // at his limit: the next one queues
      const visitor = await connectVisitor(server.url);
      const view = await call<{ id: string; state: string }>(visitor, 'dialog:start', chatStart('sales'));
      expect(view.state).to.equal('queued');
      const carlSocket = await connectOperator(server.url, 'carl@example.com');
      await call(carlSocket, 'presence:set', { status: 'online' });
      const carl = (await store.listOperators('support')).find((o) => o.status === 'online')!.operatorId;
      const taken = await store.transferDialog(
        { dialogId: view.id, groupId: 'sales' },
        { kind: 'queue' },
        { kind: 'operator', operatorId: carl, ignoreGroup: true },
        Date.now(),
      );
      expect(taken.kind).to.equal('assigned');

      expect((await reconciler.run()).requeued).to.equal(0);
      expect((await reconciler.run()).requeued).to.equal(1);
      expect(await store.holder(view.id)).to.equal(null);
      expect((await store.position(view.id))?.groupId).to.equal('sales');
      expect((await store.getOperator(carl))?.load).to.equal(0);
      expect(await truth(view.id)).to.deep.equal({ state: 'queued', operatorId: null });
    });

    it('when a transfer to a group queued the dialog in the store but its commit failed, then after two runs its (now away) holder has it again', async () => {
      const { store } = server.engine;
      const { operator: borisSocket, held } = await fillOperator(server.url, 'boris@example.com', 'sales', 1);
      const dialog: DialogDetail = held[0]!;
      const boris = dialog.operatorId!;
      // Away: the queue is not handed to him again by the assignment that follows each run.
      await call(borisSocket, 'presence:set', { status: 'away' });
      const queued = await store.transferDialog(
        { dialogId: dialog.id, groupId: 'sales' },
        { kind: 'operator', operatorId: boris },
        { kind: 'group', groupId: 'support', priority: 1 },
        Date.now(),
      );
      expect(queued.kind).to.equal('queued');

      expect((await reconciler.run()).reheld).to.equal(0);
      const second = await reconciler.run();
      expect(second.reheld).to.equal(1);
      expect(second.conflicts).to.deep.equal([]);
      expect(await store.holder(dialog.id)).to.deep.include({ operatorId: boris, groupId: 'sales' });
      expect(await store.position(dialog.id)).to.equal(null);
      expect((await store.getOperator(boris))?.load).to.equal(1);
      expect(await truth(dialog.id)).to.deep.equal({ state: 'assigned', operatorId: boris });
    });

    it('when a decline freed an offer in the store but its OFFER_DECLINED never committed, then after two runs the machine records it: the dialog waits queued and is offered again once someone has room', async () => {
      const { store } = server.engine;
      const boris = await connectOperator(server.url, 'boris@example.com');
      await call(boris, 'presence:set', { status: 'online' });
      const dialog = await call<DialogDetail>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('offers'),
      );
      await eventually(async () => (await store.holder(dialog.id))?.offered === true, 5_000, 'the offer');
      const borisId = (await store.holder(dialog.id))!.operatorId;
      // OperatorService.declineOffer's store half; its node dies before the machine's half. Boris
      // steps away, so no offer scan takes it meanwhile: only the reconciler can finish the decline.
      expect(await store.declineOffer(dialog.id, borisId)).to.equal(true);
      await call(boris, 'presence:set', { status: 'away' });
      await server.engine.assignments.trigger('offers');
      expect(await store.holder(dialog.id)).to.equal(null);

      expect((await reconciler.run()).declinesRecorded, 'seen once: could be a decline in flight').to.equal(
        0,
      );
      const second = await reconciler.run();
      expect(second.declinesRecorded).to.equal(1);
      expect(second.conflicts).to.deep.equal([]);
      expect(await truth(dialog.id)).to.deep.equal({ state: 'queued', operatorId: null });
      expect(await store.position(dialog.id)).to.not.equal(null);
      // Back online, and the only one to ask: the round is over and the dialog comes back to him.
      await call(boris, 'presence:set', { status: 'online' });
      await eventually(async () => (await store.holder(dialog.id))?.offered === true, 5_000, 'offered again');
      expect(await truth(dialog.id)).to.deep.equal({ state: 'offered', operatorId: borisId });
    });
  });
}
