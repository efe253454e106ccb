import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { DialogDetail, GroupLiveStats, VisitorDialogView } from '@hotline/protocol';
import {
  call,
  chatStart,
  clientId,
  closeAllSockets,
  connectOperator,
  connectVisitor,
  eventually,
  fillOperator,
  next,
} from '../support/clients';
import { backendsAvailable, TEST_ROUTING } from '../support/engine';
import { type EngineProcess, startCluster } from '../support/engine-process';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../support/redis';

const GRACE_MS = 1000;
const HEARTBEAT_MS = 200;
const RECONCILE_MS = 300;

// Issue 12, case 5 (L4): presence must not live and die with one engine process.
describe('durable presence: the node holding an operator is killed (two engine processes)', function () {
  this.timeout(120_000);
  const schema = freshSchema();
  const prefix = `hltest-${schema}`;
  const nodes: EngineProcess[] = [];
  let redis: Redis;

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    redis = await testRedis();
    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      ROUTING_CONFIG: TEST_ROUTING,
      SEED_DEMO: 'true',
      PRESENCE_GRACE_MS: String(GRACE_MS),
      PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
    };
    nodes.push(...(await startCluster(env, ['node-a', 'node-b'])));
  });

  after(async () => {
    closeAllSockets();
    await Promise.all(nodes.map((n) => n.stop()));
    if (redis) {
      await deleteKeys(redis, `${prefix}*`);
      redis.disconnect();
    }
    await dropSchema(schema).catch(() => undefined);
  });

  it('when the node holding an operator is SIGKILLed, then he goes offline within grace + heartbeat + reconcile interval and his answered dialog reaches an operator on the other node with its history', async () => {
    const [nodeA, nodeB] = nodes as [EngineProcess, EngineProcess];
    const { operator: boris, held: borisHeld } = await fillOperator(
      nodeB.url,
      'boris@example.com',
      'sales',
      1,
    );
    const anna = await connectOperator(nodeA.url, 'anna@example.com');
    await call(anna, 'presence:set', { status: 'online' });
    const toAnna = next<DialogDetail>(anna, 'dialog:assigned');
    const visitor = await connectVisitor(nodeB.url);
    const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('sales'));
    expect((await toAnna).id).to.equal(view.id);
    await call(anna, 'message:send', {
      dialogId: view.id,
      clientMessageId: clientId(),
      body: 'Anna on node A here',
    });

    const supervisor = await connectOperator(nodeB.url, 'admin@example.com');
    const annaStatus = async () => {
      const groups = await call<GroupLiveStats[]>(supervisor, 'dashboard:subscribe');
      return groups.find((g) => g.groupId === 'sales')?.operators.find((o) => o.name === 'Anna')?.status;
    };
    expect(await annaStatus()).to.equal('online');
    const told = next<{ dialogId: string; state: string }>(
      visitor,
      'dialog:state',
      (s) => s.state === 'queued',
      20_000,
    );

    await nodeA.crash();
    const killedAt = Date.now();
    const bound = GRACE_MS + 2 * HEARTBEAT_MS + 2 * RECONCILE_MS + 2000;
    await eventually(
      async () => (await annaStatus()) === 'offline',
      bound + 5000,
      'anna offline after her node died',
    );
    const tookMs = Date.now() - killedAt;
    expect(tookMs, `offline after ${tookMs} ms`).to.be.below(bound);
    expect((await told).dialogId).to.equal(view.id);

    const toBoris = next<DialogDetail>(boris, 'dialog:assigned', (d) => d.id === view.id, 10_000);
    await call(boris, 'dialog:close', { dialogId: borisHeld[0]!.id, outcome: 'resolved' });
    expect((await toBoris).messages.map((m) => m.body)).to.include('Anna on node A here');
  });
});
