import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Socket } from 'socket.io-client';
import type { DialogDetail, OperatorSelf, VisitorDialogView } from '@hotline/protocol';
import { type EngineConfig, loadConfig } from '../../src/config';
import { luaCommands } from '../../src/routing-store/lua-commands';
import { LOAD_PASSWORD, type LoadSetup, prepareLoad } from '../multinode/load-driver';
import { call, clientId, closeAllSockets, connectOperator, type OperatorSocket } from '../support/clients';
import { backendsAvailable, startTestServer, type TestServer } from '../support/engine';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { deleteKeys, testRedis } from '../support/redis';
import { RedisCommandCounter } from '../support/redis-counter';
import { RedisMonitorCounter } from '../support/redis-monitor';

const defaults = loadConfig({});
/** The background loops' production intervals (config.ts defaults): an idle count runs them as deployed. */
export const PRODUCTION_CLOCKS: Partial<EngineConfig> = Object.fromEntries(
  (['TIMER_POLL_MS', 'RECONCILE_INTERVAL_MS', 'PRESENCE_HEARTBEAT_MS', 'PRESENCE_GRACE_MS'] as const).map(
    (name) => [name, defaults[name]],
  ),
);

/** What a counting suite works with once its `before` hook ran. */
export interface CountedEngine {
  setup: LoadSetup;
  server: TestServer;
  /** Every operator's socket, online, by e-mail. */
  operators: Map<string, OperatorSocket>;
}

/**
 * Mocha hooks for a counting suite: one engine on the real Postgres (own schema) and Redis (own
 * prefix), one group of `operators` operators all connected and online, and a Redis command counter
 * naming the routing scripts (started by the test, stopped after it), and with `monitor` a MONITOR
 * count of what Redis runs on the engine's keys (scripts' inner commands included). Skips
 * when the backends are absent outside CI (`backendsAvailable`). Returns the counters and a getter for
 * the engine.
 */
export function countedEngine(options: {
  operators: number;
  clocks: Partial<EngineConfig>;
  /** Also count what Redis runs on the engine's keys (MONITOR); off: no monitoring connection. */
  monitor?: boolean;
  /** Commands counted apart (loops on a clock, not the measured work). */
  isBackground?: (label: string, args: unknown[]) => boolean;
}): { counter: RedisCommandCounter; monitor: RedisMonitorCounter; engine: () => CountedEngine } {
  const schema = freshSchema();
  const prefix = `hltest-${schema}`;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-counts-'));
  const counter = new RedisCommandCounter(
    new Map([...luaCommands.values()].map((c) => [createHash('sha1').update(c.lua).digest('hex'), c.name])),
    options.isBackground,
  );
  const monitor = new RedisMonitorCounter(prefix, options.isBackground);
  let running: CountedEngine | undefined;

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    const setup = await prepareLoad({
      dir,
      databaseUrl: TEST_DATABASE_URL,
      schema,
      operators: options.operators,
      groups: 1,
      seed: 16,
    });
    const server = await startTestServer('real', {
      ...options.clocks,
      routingConfigPath: setup.configPath,
      DATABASE_SCHEMA: schema,
      REDIS_KEY_PREFIX: prefix,
      SEED_DEMO: false,
    });
    if (options.monitor) {
      const redis = await testRedis();
      await monitor.start(redis); // watches through a connection of its own
      redis.disconnect();
    }
    const operators = new Map<string, OperatorSocket>();
    running = { setup, server, operators };
    for (const operator of setup.operators) {
      const socket = await connectOperator(server.url, operator.email, LOAD_PASSWORD);
      await call<OperatorSelf>(socket, 'presence:set', { status: 'online' });
      operators.set(operator.email, socket);
    }
  });

  after(async () => {
    counter.stop();
    monitor.stop();
    closeAllSockets();
    // The engine must see the disconnects before it stops: a disconnect seen after its operator
    // namespace stopped leaves a presence-grace timer behind (PRESENCE_GRACE_MS, 15 s in production)
    // whose presence check would be counted in the next suite's window.
    const operators = running?.server.io.of('/operator');
    for (let waited = 0; operators && operators.sockets.size > 0 && waited < 5000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await running?.server.stop();
    const redis = await testRedis();
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    await dropSchema(schema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    counter,
    monitor,
    engine: () => {
      if (!running) throw new Error('the counted engine did not start');
      return running;
    },
  };
}

/** The visitor starts a dialog with a first message; resolves with the operator it was assigned to. */
export async function startAssigned(
  visitor: Socket,
  { setup, operators }: Pick<CountedEngine, 'setup' | 'operators'>,
): Promise<{ operator: OperatorSocket; dialog: DialogDetail }> {
  const assigned = new Promise<{ operator: OperatorSocket; dialog: DialogDetail }>((resolve) => {
    for (const operator of operators.values())
      operator.once('dialog:assigned', (dialog) => resolve({ operator, dialog }));
  });
  const view = await call<VisitorDialogView>(visitor, 'dialog:start', {
    choice: { groupId: setup.staffed[0] },
    page: { url: 'http://shop.test/' },
    message: { clientMessageId: clientId(), body: 'Hello' },
  });
  const result = await assigned;
  for (const other of operators.values()) other.removeAllListeners('dialog:assigned');
  expect(result.dialog.id).to.equal(view.id);
  return result;
}
