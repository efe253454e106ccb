import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { OperatorSelf } from '@hotline/protocol';
import { luaCommands } from '../../src/routing-store/lua-commands';
import { LOAD_PASSWORD, type LoadSetup, prepareLoad } from '../multinode/load-driver';
import { call, closeAllSockets, connectOperator, type OperatorSocket } from '../support/clients';
import { backendsAvailable, startTestServer, type TestServer } from '../support/engine';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { deleteKeys, testRedis } from '../support/redis';
import { RedisCommandCounter } from '../support/redis-counter';

const OPERATORS = 50;
/** The production intervals (config.ts defaults): the loops run as they would in a deployment. */
const PRODUCTION_CLOCKS = {
  TIMER_POLL_MS: 250,
  RECONCILE_INTERVAL_MS: 5000,
  PRESENCE_HEARTBEAT_MS: 5000,
  PRESENCE_GRACE_MS: 15_000,
};
/** Long enough for every loop to run several times (reconcile and heartbeats: 3 times each). */
const WINDOW_MS = 15_500;
/**
 * Commands per second an idle node may send, whatever the number of operators online (before: ~50/s
 * with 50 operators, three per operator per reconcile pass and one heartbeat per connection): the
 * timer poll (one script, 4/s), the routing-state check (1/s), the node count (0.5/s), one heartbeat
 * script per interval for all connections, and per reconcile pass a lease, about eight reads and its
 * release (~7.5/s measured).
 */
const BUDGET_PER_SECOND = 10;

describe(`Redis commands of an idle engine (one node, ${OPERATORS} operators online, no dialog)`, function () {
  this.timeout(180_000);
  const schema = freshSchema();
  const prefix = `hltest-${schema}`;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-idle-counts-'));
  const counter = new RedisCommandCounter(
    new Map([...luaCommands.values()].map((c) => [createHash('sha1').update(c.lua).digest('hex'), c.name])),
  );
  const operators: OperatorSocket[] = [];
  let setup: LoadSetup;
  let server: TestServer | undefined;

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    setup = await prepareLoad({
      dir,
      databaseUrl: TEST_DATABASE_URL,
      schema,
      operators: OPERATORS,
      groups: 1,
      seed: 16,
    });
    server = await startTestServer('real', {
      ...PRODUCTION_CLOCKS,
      routingConfigPath: setup.configPath,
      DATABASE_SCHEMA: schema,
      REDIS_KEY_PREFIX: prefix,
      SEED_DEMO: false,
    });
    for (const operator of setup.operators) {
      const socket = await connectOperator(server.url, operator.email, LOAD_PASSWORD);
      await call<OperatorSelf>(socket, 'presence:set', { status: 'online' });
      operators.push(socket);
    }
  });

  after(async () => {
    counter.stop();
    closeAllSockets();
    await server?.stop();
    const redis = await testRedis();
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    await dropSchema(schema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`when nothing happens, then it sends at most ${BUDGET_PER_SECOND} Redis commands a second`, async () => {
    if (!server) throw new Error('no server');
    expect(operators).to.have.length(OPERATORS);
    counter.start();
    counter.take();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const { counted } = counter.take();
    const perSecond = counted.total / (WINDOW_MS / 1000);
    console.log(
      `    ${counted.total} commands in ${WINDOW_MS / 1000} s (${perSecond.toFixed(1)}/s): ${JSON.stringify(counted.byCommand)}`,
    );
    expect(perSecond).to.be.at.most(BUDGET_PER_SECOND);
  });
});
