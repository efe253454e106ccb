import { expect } from 'chai';
import type { Reconciler } from '../../src/background/reconciler';
import { closeAllSockets, fillOperator } from '../support/clients';
import {
  manualReconciler,
  resetDialogs,
  startTestServer,
  TEST_ROUTING,
  type TestServer,
} from '../support/engine';

const GRACE_MS = 1000;
const ALIVE_TTL_MS = 400;

describe('reconciler: durable presence expiry (embedded, virtual clock)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let now = 0;
  let reconciler: Reconciler;

  before(async () => {
    // Long grace and heartbeat on the sockets: only the reconciler, on its virtual clock, moves presence here.
    server = await startTestServer('embedded', {
      routingConfigPath: TEST_ROUTING,
      PRESENCE_GRACE_MS: 600_000,
      PRESENCE_HEARTBEAT_MS: 600_000,
      RECONCILE_INTERVAL_MS: 600_000,
    });
    const { operators, operatorsRepo } = server.engine;
    reconciler = manualReconciler(server, {
      clock: () => now,
      presence: { operators, accounts: operatorsRepo, graceMs: GRACE_MS, aliveTtlMs: ALIVE_TTL_MS },
    });
  });
  afterEach(async () => {
    closeAllSockets();
    if (server) await resetDialogs(server);
  });
  after(async () => server?.cleanup());

  it("when an operator's connections stop beating, then he goes offline only once the grace has passed since the last beat ran out, and his dialogs go back to the queue", async () => {
    const { store, repo } = server.engine;
    const { held } = await fillOperator(server.url, 'carl@example.com', 'support', 1);
    const carl = held[0]!.operatorId!;
    now = 10_000_000;
    await store.forgetConnections(carl, Number.POSITIVE_INFINITY); // the live socket's real-time beats
    await store.beatConnection(carl, 'dead-node-socket', now + ALIVE_TTL_MS);
    now += ALIVE_TTL_MS + GRACE_MS - 1;
    expect((await reconciler.expirePresence()).wentOffline).to.deep.equal([]);
    expect((await store.getOperator(carl))?.status).to.equal('online');
    now += 1;
    expect((await reconciler.expirePresence()).wentOffline).to.deep.equal([carl]);
    expect((await store.getOperator(carl))?.status).to.equal('offline');
    expect((await repo.findDialog(held[0]!.id))?.state).to.be.oneOf(['queued', 'offline']);
    expect(await store.operatorDialogs(carl)).to.deep.equal([]);
    expect(await store.connectionsAliveUntil(carl)).to.equal(null);
  });

  it("when an operator is shown online with no connection recorded at all (state rebuilt), then he gets a heartbeat's life plus the grace before going offline", async () => {
    const { store } = server.engine;
    const { held } = await fillOperator(server.url, 'carl@example.com', 'support', 1);
    const carl = held[0]!.operatorId!;
    await store.forgetConnections(carl, Number.POSITIVE_INFINITY);
    now = 20_000_000;
    expect((await reconciler.expirePresence()).wentOffline).to.deep.equal([]);
    now += ALIVE_TTL_MS + GRACE_MS - 1;
    expect((await reconciler.expirePresence()).wentOffline).to.deep.equal([]);
    now += 1;
    expect((await reconciler.expirePresence()).wentOffline).to.deep.equal([carl]);
  });

  it('when a connection keeps beating, then its operator stays online however long', async () => {
    const { store } = server.engine;
    const { held } = await fillOperator(server.url, 'carl@example.com', 'support', 1);
    const carl = held[0]!.operatorId!;
    now = 30_000_000;
    for (let i = 0; i < 20; i++) {
      await store.beatConnection(carl, 'live', now + ALIVE_TTL_MS);
      now += ALIVE_TTL_MS / 2;
      expect((await reconciler.expirePresence()).wentOffline).to.deep.equal([]);
    }
    expect((await store.getOperator(carl))?.status).to.equal('online');
  });

  it('when a node died between giving a dialog back in the store and in Postgres, then the next two runs confirm it and queue it again', async () => {
    const { store, repo } = server.engine;
    const { held } = await fillOperator(server.url, 'carl@example.com', 'support', 1);
    const carl = held[0]!.operatorId!;
    const dialogId = held[0]!.id;
    // Half-applied: the store let go of the dialog, Postgres still gives it to carl, who is offline.
    await store.release(dialogId, carl);
    await store.setPresence(carl, 'offline', Date.now());
    await server.engine.database
      .db('operators')
      .where({ id: carl })
      .update({ presence: 'offline', presence_changed_at: new Date() });
    now = Date.now() + 1000;
    expect((await reconciler.expirePresence()).orphansRequeued).to.equal(0);
    expect((await repo.findDialog(dialogId))?.state).to.equal('assigned');
    expect((await reconciler.expirePresence()).orphansRequeued).to.equal(1);
    expect((await repo.findDialog(dialogId))?.state).to.equal('queued');
    expect((await store.position(dialogId))?.groupId).to.equal('support');
  });
});
