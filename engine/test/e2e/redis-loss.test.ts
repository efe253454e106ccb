import { expect } from 'chai';
import type { DialogDetail, VisitorDialogView } from '@hotline/protocol';
import { call, clientId, connectOperator, connectVisitor, eventually, next } from '../support/clients';
import { manualReconciler, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';
import { deleteKeys, testRedis } from '../support/redis';

const start = (groupId: string) => ({
  choice: { groupId },
  page: { url: 'http://shop.test/' },
  message: { clientMessageId: clientId(), body: 'hi' },
});

describe('routing state lost or out of step (Postgres + Redis)', function () {
  this.timeout(60_000);
  let server: TestServer;
  // Each test starts from no open dialog and everyone offline: test 1 leaves carl's dialogs, which go
  // back to the support queue when he disconnects and would fill anna (limit 3) before test 3's offer.
  withTestServer('real', { routingConfigPath: TEST_ROUTING, RECONCILE_INTERVAL_MS: 60_000 }, (s) => {
    server = s;
  });

  it('when Redis loses every key of the engine, then queues, loads, presence and timers are rebuilt from Postgres and routing goes on', async () => {
    const { store } = server.engine;
    const carl = await connectOperator(server.url, 'carl@example.com'); // support, limit 3
    await call(carl, 'presence:set', { status: 'online' });
    const assigned: DialogDetail[] = [];
    carl.on('dialog:assigned', (d) => assigned.push(d));
    const visitors = await Promise.all(Array.from({ length: 4 }, () => connectVisitor(server.url)));
    const views: VisitorDialogView[] = [];
    for (const v of visitors) views.push(await call<VisitorDialogView>(v, 'dialog:start', start('support')));
    await eventually(() => assigned.length === 3, 10_000, 'three assignments');
    const night = await connectVisitor(server.url);
    const offline = await call<VisitorDialogView>(night, 'dialog:start', { ...start('night') });
    const carlId = assigned[0]!.operatorId!;

    const redis = await testRedis();
    await deleteKeys(redis, `${server.engine.config.REDIS_KEY_PREFIX}:*`);
    redis.disconnect();
    expect(await store.epoch()).to.equal(null);

    await eventually(async () => (await store.epoch()) !== null, 10_000, 'the rebuild');
    expect((await store.getOperator(carlId))?.load).to.equal(3);
    expect((await store.getOperator(carlId))?.status).to.equal('online');
    expect((await store.queue('support')).map((q) => q.dialogId)).to.deep.equal([views[3]!.id]);
    const offlineRow = await server.engine.repo.findDialog(offline.id);
    expect(['offline', 'awaiting-contact']).to.include(offlineRow?.state);

    const fourth = next<DialogDetail>(carl, 'dialog:assigned', (d) => d.id === views[3]!.id);
    await call(carl, 'dialog:close', { dialogId: assigned[0]!.id });
    await fourth;
    expect((await store.getOperator(carlId))?.load).to.equal(3);
  });

  it('when a committed transition lost its Redis effect, then the reconciler repairs the store', async () => {
    const { store } = server.engine;
    const visitor = await connectVisitor(server.url);
    const view = await call<VisitorDialogView>(visitor, 'dialog:start', start('sales'));
    expect(view.state).to.equal('offline');
    const anna = await connectOperator(server.url, 'boris@example.com'); // sales, limit 1
    const assignedToBoris = next<DialogDetail>(anna, 'dialog:assigned');
    await call(anna, 'presence:set', { status: 'online' });
    const dialog = await assignedToBoris;
    // Simulate a node that died after its commit and before its Redis write: the hold is gone.
    await store.release(dialog.id, dialog.operatorId!);
    const reconciler = manualReconciler(server, { intervalMs: 1000 });
    expect((await reconciler.run()).reheld, 'seen once: could be a transition in flight').to.equal(0);
    const report = await reconciler.run();
    expect(report.reheld).to.equal(1);
    expect((await store.holder(dialog.id))?.operatorId).to.equal(dialog.operatorId);
    expect((await reconciler.run()).reheld, 'idempotent').to.equal(0);
    await call(anna, 'dialog:close', { dialogId: dialog.id });
    await call(anna, 'presence:set', { status: 'offline' });
  });

  it('when Redis loses its keys while a dialog is offered, then the rebuild queues it and it is offered again at once, not after the reconciler', async () => {
    const { store } = server.engine;
    const anna = await connectOperator(server.url, 'anna@example.com'); // offers (with sales, support, night)
    await call(anna, 'presence:set', { status: 'online' });
    const offers: string[] = [];
    anna.on('dialog:offered', (o: { dialog: DialogDetail }) => offers.push(o.dialog.id));
    const view = await call<VisitorDialogView>(
      await connectVisitor(server.url),
      'dialog:start',
      start('offers'),
    );
    await eventually(() => offers.includes(view.id), 5_000, 'the offer');
    const offered = offers.length;

    const redis = await testRedis();
    await deleteKeys(redis, `${server.engine.config.REDIS_KEY_PREFIX}:*`);
    redis.disconnect();
    // The reconciler waits a minute here: only the rebuild and its assignment runs can offer it again.
    await eventually(
      async () => (await store.epoch()) !== null && offers.length > offered,
      10_000,
      'offered again after the rebuild',
    );
    expect(offers.at(-1)).to.equal(view.id);
    await call(anna, 'presence:set', { status: 'offline' });
  });
});
