import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { QueuePositionView, VisitorDialogView } from '@hotline/protocol';
import {
  call,
  chatStart,
  closeAllSockets,
  collect,
  connectVisitor,
  eventually,
  fillOperator,
  next,
} from '../support/clients';
import { backendsAvailable, startTestServer, TEST_ROUTING, type TestServer } from '../support/engine';
import { testRedis } from '../support/redis';

describe('queue positions across two engine nodes (real Redis and Postgres)', function () {
  this.timeout(60_000);
  let nodeA: TestServer;
  let nodeB: TestServer;
  let subscriber: Redis;
  const positionsThroughRedis: string[] = [];

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    // No periodic repair: nothing but the change on A may move B.
    const quiet = { routingConfigPath: TEST_ROUTING, RECONCILE_INTERVAL_MS: 600_000 };
    nodeA = await startTestServer('real', { ...quiet, NODE_ID: 'node-a' });
    const { DATABASE_SCHEMA, REDIS_KEY_PREFIX } = nodeA.engine.config;
    nodeB = await startTestServer('real', { ...quiet, NODE_ID: 'node-b', DATABASE_SCHEMA, REDIS_KEY_PREFIX });
    // What the socket.io adapter publishes to rooms of the visitor namespace.
    subscriber = await testRedis();
    subscriber.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
      if (message.includes('queue:position')) positionsThroughRedis.push(channel.toString());
    });
    await subscriber.psubscribe(`${REDIS_KEY_PREFIX}:socket.io#/visitor#*`);
  });
  afterEach(() => closeAllSockets());
  after(async () => {
    subscriber?.disconnect();
    await nodeB?.cleanup();
    await nodeA?.cleanup();
  });

  it('when the queue moves on node A, then a visitor connected to node B gets his new position from B, and no position crosses Redis', async () => {
    const { operator: carl, held } = await fillOperator(nodeA.url, 'carl@example.com', 'support', 3);
    await call(await connectVisitor(nodeA.url), 'dialog:start', chatStart('support'));
    const onB = await connectVisitor(nodeB.url);
    const pushesOnB = collect<QueuePositionView>(onB, 'queue:position');
    const view = await call<VisitorDialogView>(onB, 'dialog:start', chatStart('support'));
    expect(view.queue?.position).to.equal(2);
    await eventually(() => pushesOnB.length === 1, 5_000, 'the position on enqueue');

    const moved = next<QueuePositionView>(onB, 'queue:position', (p) => p.position === 1, 2_000);
    await call(carl, 'dialog:close', { dialogId: held[0]!.id });
    expect(await moved).to.include({ dialogId: view.id, position: 1 });
    const gauge = await nodeB.engine.metrics.queueLength.get();
    const queueLength = gauge.values.find((v) => v.labels.group === 'support');
    expect(queueLength?.value, "node B's queue-length gauge follows A's change").to.equal(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(pushesOnB.map((p) => p.position)).to.deep.equal([2, 1]);
    expect(positionsThroughRedis, 'positions are pushed by the node the visitor is on').to.deep.equal([]);
  });
});
