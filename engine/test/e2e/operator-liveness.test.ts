import { expect } from 'chai';
import type { DialogDetail, VisitorDialogView } from '@hotline/protocol';
import {
  call,
  chatStart,
  clientId,
  closeAllSockets,
  collect,
  connectOperator,
  connectVisitor,
  eventually,
  fillOperator,
  login,
  next,
} from '../support/clients';
import {
  type Backends,
  resetDialogs,
  routingVariant,
  startTestServer,
  type TestServer,
  withTestServer,
} from '../support/engine';

type Offer = { dialog: DialogDetail; expiresAt: string };

// The offer tests decline by hand: an offer that expired first (0.5 s in the test routing, short for
// dialog-flow's expiry test) would move on without them on a busy machine and reorder the offers.
const LIVENESS_ROUTING = routingVariant([
  ['offerMode: { enabled: true, timeoutSeconds: 0.5 }', 'offerMode: { enabled: true, timeoutSeconds: 30 }'],
]);

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`operator liveness: offers and operators who leave (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: LIVENESS_ROUTING, PRESENCE_GRACE_MS: 200 }, (s) => {
      server = s;
    });

    // Issue 12, case 3.
    it('when the only online operator declined the head of an offer-mode queue, then the dialogs behind it are still offered and the head comes back to him after the round', async () => {
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const offers = collect<Offer>(anna, 'dialog:offered');
      const first = await call<VisitorDialogView>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('offers'),
      );
      await eventually(() => offers.some((o) => o.dialog.id === first.id), 5_000, 'the first offer');
      await call(anna, 'offer:decline', { dialogId: first.id });
      const second = await call<VisitorDialogView>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('offers'),
      );
      await eventually(
        () => offers.some((o) => o.dialog.id === second.id),
        5_000,
        'an offer of the dialog behind the declined head',
      );
      await eventually(
        () => offers.filter((o) => o.dialog.id === first.id).length >= 2,
        5_000,
        'the declined head offered again once everyone eligible declined it',
      );
    });

    it('when an operator with room for one declines the head while another dialog waits, then he is offered the other one first, and the head after', async () => {
      const boris = await connectOperator(server.url, 'boris@example.com');
      await call(boris, 'presence:set', { status: 'online' });
      const offers = collect<Offer>(boris, 'dialog:offered');
      const first = await call<VisitorDialogView>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('offers'),
      );
      await eventually(() => offers.length === 1, 5_000, 'the first offer');
      const second = await call<VisitorDialogView>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('offers'),
      );
      expect(second.queue?.position).to.equal(1);
      await call(boris, 'offer:decline', { dialogId: first.id });
      await eventually(() => offers.length >= 2, 5_000, 'the next offer');
      expect(offers.map((o) => o.dialog.id).slice(0, 2)).to.deep.equal([first.id, second.id]);
      await call(boris, 'offer:decline', { dialogId: second.id });
      await eventually(() => offers.length >= 3, 5_000, 'an offer after both were declined');
      expect(offers[2]!.dialog.id).to.equal(first.id);
    });

    it('when a decline has freed the dialog in the store but is not yet in Postgres, then a drain meanwhile does not hand it back to the decliner', async () => {
      const boris = await connectOperator(server.url, 'boris@example.com');
      await call(boris, 'presence:set', { status: 'online' });
      const offers = collect<Offer>(boris, 'dialog:offered');
      const start = async () =>
        call<VisitorDialogView>(await connectVisitor(server.url), 'dialog:start', chatStart('offers'));
      const first = await start();
      await eventually(() => offers.length === 1, 5_000, 'the first offer');
      const second = await start();
      await call(boris, 'offer:decline', { dialogId: first.id });
      await eventually(() => offers.length === 2, 5_000, 'the offer of the second');
      expect(offers[1]!.dialog.id).to.equal(second.id);
      const { store, assignments, dialogs } = server.engine;
      const borisId = (await store.holder(second.id))!.operatorId;
      // OperatorService.declineOffer's two steps, with a drain between them: Postgres still says
      // `offered` to Boris, so the drain must rank the dialog as declined by him.
      expect(await store.declineOffer(second.id, borisId)).to.equal(true);
      await assignments.trigger('offers');
      expect(
        (await store.holder(first.id))?.operatorId,
        'the other dialog, not the one he declined',
      ).to.equal(borisId);
      await dialogs.dispatch(second.id, { type: 'OFFER_DECLINED', operatorId: borisId, reason: 'declined' });
      await assignments.trigger('offers');
      await eventually(() => offers.length === 3, 5_000, 'the offer of the other dialog');
      expect(offers.map((o) => o.dialog.id)).to.deep.equal([first.id, second.id, first.id]);
      expect(await store.position(second.id)).to.not.equal(null);
    });

    // Issue 12, case 4.
    it('when an operator goes away for good, then after the grace his answered dialogs go back to the front of the queue, the visitor is told, and the next operator gets them with their history', async () => {
      const { operator: boris, held: borisHeld } = await fillOperator(
        server.url,
        'boris@example.com',
        'sales',
        1,
      );
      const { operator: anna, held: annaHeld } = await fillOperator(
        server.url,
        'anna@example.com',
        'sales',
        3,
      );
      const answered = annaHeld[0]!;
      await call(anna, 'message:send', {
        dialogId: answered.id,
        clientMessageId: clientId(),
        body: 'Anna here, one moment',
      });
      const later = await call<VisitorDialogView>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('sales'),
      );
      expect(later.queue?.position).to.equal(1);

      anna.close();
      await eventually(
        async () => (await server.engine.store.getOperator(annaHeld[0]!.operatorId!))?.status === 'offline',
        3_000,
        'anna offline after the grace',
      );
      await eventually(
        async () => (await server.engine.store.operatorDialogs(answered.operatorId!)).length === 0,
        3_000,
        'anna holds nothing',
      );
      const queue = await server.engine.store.queue('sales');
      expect(queue.map((q) => q.dialogId)).to.deep.equal([...annaHeld.map((d) => d.id), later.id]);
      // The store moves first (requeueHeld), Postgres follows with HOLDER_GONE a moment later.
      await eventually(
        async () =>
          (await Promise.all(annaHeld.map((d) => server.engine.repo.findDialog(d.id)))).every(
            (row) => row?.state === 'queued',
          ),
        3_000,
        "anna's dialogs queued in Postgres",
      );

      const toBoris = next<DialogDetail>(boris, 'dialog:assigned', (d) => d.id === answered.id);
      await call(boris, 'dialog:close', { dialogId: borisHeld[0]!.id, outcome: 'resolved' });
      const detail = await toBoris;
      expect(detail.messages.map((m) => m.body)).to.include('Anna here, one moment');
    });

    it('when the visitor of a dialog whose operator left is connected, then he is told his dialog waits again with its queue place', async () => {
      await fillOperator(server.url, 'boris@example.com', 'sales', 1);
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const assigned = next<DialogDetail>(anna, 'dialog:assigned');
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('sales'));
      await assigned;
      const told = next<{ dialogId: string; state: string }>(
        visitor,
        'dialog:state',
        (s) => s.state === 'queued',
        5_000,
      );
      const position = next<{ dialogId: string; position: number }>(
        visitor,
        'queue:position',
        (p) => p.dialogId === view.id,
        5_000,
      );
      anna.close();
      expect((await told).dialogId).to.equal(view.id);
      expect((await position).position).to.equal(1);
    });

    it('when a supervisor deactivates an operator, then his dialogs go back to the queue at once', async () => {
      await fillOperator(server.url, 'boris@example.com', 'sales', 1);
      const { held } = await fillOperator(server.url, 'anna@example.com', 'sales', 1);
      const token = await login(server.url, 'admin@example.com');
      const annaId = held[0]!.operatorId!;
      const response = await fetch(`${server.url}/api/operators/${annaId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ active: false }),
      });
      expect(response.status).to.equal(200);
      expect((await server.engine.repo.findDialog(held[0]!.id))?.state).to.equal('queued');
      expect(await server.engine.store.operatorDialogs(annaId)).to.deep.equal([]);
      expect((await server.engine.store.queue('sales')).map((q) => q.dialogId)).to.deep.equal([held[0]!.id]);
    });
  });
}

describe('operator liveness: a group that keeps the dialogs of an operator gone offline (embedded)', function () {
  this.timeout(60_000);
  const KEEP_SECONDS = 1.5;
  let server: TestServer;

  before(async () => {
    server = await startTestServer('embedded', {
      routingConfigPath: routingVariant([
        [
          '      unansweredSeconds: 0.6\n',
          `      unansweredSeconds: 600\n      keepDialogsOnOfflineSeconds: ${KEEP_SECONDS}\n`,
        ],
      ]),
      PRESENCE_GRACE_MS: 200,
      RECONCILE_INTERVAL_MS: 150,
    });
  });
  afterEach(async () => {
    closeAllSockets();
    if (server) await resetDialogs(server);
  });
  after(async () => server?.cleanup());

  it('when he comes back within the keep time, then he still holds his dialogs', async () => {
    const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'sales', 1);
    const annaId = held[0]!.operatorId!;
    anna.close();
    await eventually(
      async () => (await server.engine.store.getOperator(annaId))?.status === 'offline',
      3_000,
      'anna offline',
    );
    expect(await server.engine.store.operatorDialogs(annaId)).to.deep.equal([held[0]!.id]);
    const back = await connectOperator(server.url, 'anna@example.com');
    await call(back, 'presence:set', { status: 'online' });
    await new Promise((r) => setTimeout(r, KEEP_SECONDS * 1000 + 500));
    expect(await server.engine.store.operatorDialogs(annaId)).to.deep.equal([held[0]!.id]);
    expect((await server.engine.repo.findDialog(held[0]!.id))?.state).to.equal('assigned');
  });

  it('when he stays away past the keep time, then his dialogs go back to the queue', async () => {
    const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'sales', 1);
    const annaId = held[0]!.operatorId!;
    anna.close();
    const offlineAt = Date.now();
    await eventually(
      async () => (await server.engine.repo.findDialog(held[0]!.id))?.state === 'queued',
      6_000,
      'the dialog back in the queue',
    );
    expect(Date.now() - offlineAt).to.be.at.least(KEEP_SECONDS * 1000);
    expect(await server.engine.store.operatorDialogs(annaId)).to.deep.equal([]);
  });

  it('when he is away, then he keeps his dialogs however long', async () => {
    const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'sales', 1);
    await call(anna, 'presence:set', { status: 'away' });
    await new Promise((r) => setTimeout(r, KEEP_SECONDS * 1000 + 500));
    expect(await server.engine.store.operatorDialogs(held[0]!.operatorId!)).to.deep.equal([held[0]!.id]);
    expect((await server.engine.repo.findDialog(held[0]!.id))?.state).to.equal('assigned');
  });
});

describe('operator liveness: a node shutting down (real)', function () {
  this.timeout(60_000);

  it("when the node stops with operators connected, then it changes no operator's presence after (its pool is closing)", async () => {
    const server = await startTestServer('real', { PRESENCE_GRACE_MS: 50 });
    const anna = await connectOperator(server.url, 'anna@example.com');
    await call(anna, 'presence:set', { status: 'online' });
    const changes: string[] = [];
    const { operators } = server.engine;
    const setPresence = operators.setPresence.bind(operators);
    operators.setPresence = (operator, status) => {
      changes.push(status);
      return setPresence(operator, status);
    };
    anna.io.reconnection(false); // the stop waits for connections to end, not for her to come back
    await server.cleanup();
    await new Promise((r) => setTimeout(r, 300));
    expect(changes, 'presence changes after the stop').to.deep.equal([]);
    closeAllSockets();
  });
});
