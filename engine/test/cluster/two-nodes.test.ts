import { expect } from 'chai';
import type { Cluster } from 'ioredis';
import type { DialogDetail, MessageView, OperatorSelf, VisitorDialogView } from '@hotline/protocol';
import { RedisRoutingStore } from '../../src/routing-store/redis-routing-store';
import {
  call,
  chatStart,
  clientId,
  closeAllSockets,
  connectOperator,
  connectVisitor,
  eventually,
  next,
} from '../support/clients';
import { backendsAvailable, startTestServer, TEST_ROUTING, type TestServer } from '../support/engine';
import { dropSchema, freshSchema } from '../support/postgres';
import { LoopbackRedisCluster } from './redis-cluster';

describe('two engine nodes on a 3-master Redis Cluster (sharded socket.io adapter)', function () {
  this.timeout(120_000);
  const schema = freshSchema();
  const prefix = `hltest-${schema}`;
  let cluster: LoopbackRedisCluster | undefined;
  let inspect: Cluster | undefined;
  const nodes: TestServer[] = [];

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    cluster = await LoopbackRedisCluster.start();
    inspect = cluster.client();
    const overrides = {
      REDIS_URL: cluster.url,
      REDIS_CLUSTER: true,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_SCHEMA: schema,
      routingConfigPath: TEST_ROUTING,
    };
    // One after the other: the first migrates the schema and seeds the accounts.
    nodes.push(await startTestServer('real', overrides));
    nodes.push(await startTestServer('real', overrides));
  });

  after(async () => {
    closeAllSockets();
    for (const node of nodes) await node.cleanup();
    inspect?.disconnect();
    await cluster?.stop();
    await dropSchema(schema).catch(() => undefined);
  });

  it('when a visitor writes on one node and the operator works on the other, then the dialog is routed, talked and closed end to end', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const anna = await connectOperator(b.url, 'anna@example.com');
    await call<OperatorSelf>(anna, 'presence:set', { status: 'online' });
    const visitor = await connectVisitor(a.url);

    const assigned = next<DialogDetail>(anna, 'dialog:assigned');
    const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support', 'Hello from A'));
    const dialog = await assigned;
    expect(dialog.id).to.equal(view.id);
    expect(dialog.messages.filter((m) => m.authorKind !== 'system').map((m) => m.body)).to.deep.equal([
      'Hello from A',
    ]);

    // Node B's push reaches the visitor's socket on node A through the cluster's sharded pub/sub.
    const reply = next<MessageView>(visitor, 'message:new', (m) => m.authorKind === 'operator');
    await call(anna, 'message:send', { dialogId: dialog.id, clientMessageId: clientId(), body: 'Hi from B' });
    expect((await reply).body).to.equal('Hi from B');
    const fromVisitor = next<MessageView>(anna, 'message:new', (m) => m.authorKind === 'visitor');
    await call(visitor, 'message:send', { clientMessageId: clientId(), body: 'Thanks' });
    expect((await fromVisitor).body).to.equal('Thanks');

    await call(anna, 'dialog:close', { dialogId: dialog.id, outcome: 'resolved' });
    await eventually(async () => (await a.engine.repo.findDialog(dialog.id))?.state === 'closed');

    // The routing state lives on the cluster: held and released there, the rebuild epoch set.
    const store = new RedisRoutingStore(inspect!, { prefix });
    expect(await store.epoch()).to.be.a('string');
    expect(await store.holder(dialog.id)).to.equal(null);
    expect((await store.getOperator(dialog.operatorId ?? ''))?.load).to.equal(0);
    // The login throttle's script and the visitors' rate limiters counted on the cluster too (their
    // in-memory insurance would hide a failing Redis).
    const keysOnMasters = async (pattern: string) => {
      let found = 0;
      for (const master of inspect!.nodes('master')) found += (await master.keys(pattern)).length;
      return found;
    };
    expect(await keysOnMasters(`${prefix}:{login}:*`)).to.be.greaterThan(0);
    expect(await keysOnMasters(`${prefix}:{limit}:*`)).to.be.greaterThan(0);
  });
});
