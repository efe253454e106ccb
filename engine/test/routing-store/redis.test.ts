import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { luaCommands } from '../../src/routing-store/lua-commands';
import { MemoryRoutingStore } from '../../src/routing-store/memory-routing-store';
import { RedisRoutingStore } from '../../src/routing-store/redis-routing-store';
import type { ClaimedTimer, Presence, RoutingStore } from '../../src/routing-store/routing-store';
import { deleteKeys, RedisUnavailable, testRedis } from '../support/redis';
import { RedisMonitorCounter } from '../support/redis-monitor';
import { runRoutingStoreContract } from './contract';

describe('RedisRoutingStore', () => {
  /** Three connections, so races really interleave across clients as they would across nodes. */
  const connections: Redis[] = [];
  const prefix = `hltest-${randomUUID().slice(0, 8)}`;

  before(async function () {
    try {
      for (let i = 0; i < 3; i += 1) connections.push(await testRedis());
    } catch (error) {
      if (error instanceof RedisUnavailable) this.skip();
      throw error;
    }
  });
  after(async () => {
    if (connections[0]) await deleteKeys(connections[0], `${prefix}:*`);
    for (const c of connections) c.disconnect();
  });

  runRoutingStoreContract('redis', async () => {
    const tenant = randomUUID().slice(0, 8);
    const [store, ...others] = connections.map((redis) => new RedisRoutingStore(redis, { prefix, tenant }));
    return {
      store: store!,
      peers: [store!, ...others],
      cleanup: () => deleteKeys(connections[0]!, `${prefix}:{${tenant}}:*`),
    };
  });

  describe('layout', () => {
    it('when the reconciler sweeps operators alive with nothing run out, then Redis runs one read per operator and writes nothing', async () => {
      const redis = connections[0]!;
      const tenant = 'sweep-cost';
      const store = new RedisRoutingStore(redis, { prefix, tenant });
      const operators = Array.from({ length: 20 }, (_, i) => `op${i}`);
      await store.beatConnections(
        operators.map((operatorId) => ({ operatorId, connectionId: `c-${operatorId}`, aliveUntil: 10_000 })),
      );
      await store.beatConnection('op0', 'closed', 100); // a closed connection of op0, run out: the drop is due
      await store.sweepConnections(['nobody'], 0); // the script loaded: EVALSHA from here on
      const watching = await testRedis();
      const monitor = await new RedisMonitorCounter(`${prefix}:{${tenant}}`).start(watching); // its own connection
      watching.disconnect();
      try {
        const sweep = async () => {
          await store.sweepConnections(operators, 5_000);
          await redis.exists(`${prefix}:{${tenant}}:marker`); // seen by the monitor after the sweep's commands
          for (let waited = 0; waited < 5000 && !monitor.peek().byCommand.exists; waited += 10)
            await new Promise((resolve) => setTimeout(resolve, 10));
          return monitor.take().counted.byCommand;
        };
        // op0's run-out entry goes: one drop beside the reads.
        expect(await sweep()).to.deep.equal({
          evalsha: 1,
          'zrange (script)': 20,
          'zremrangebyscore (script)': 1,
          exists: 1,
        });
        // Nothing ran out: reads only (before: a ZREMRANGEBYSCORE per operator on every sweep).
        expect(await sweep()).to.deep.equal({ evalsha: 1, 'zrange (script)': 20, exists: 1 });
        expect(await store.connectionsAliveUntil('op0')).to.equal(10_000);
      } finally {
        monitor.stop();
        await deleteKeys(redis, `${prefix}:{${tenant}}:*`);
      }
    });

    it('when the store works, then every key of a tenant shares one hash slot tag', async () => {
      const redis = connections[0]!;
      const tenant = 'slot-check';
      const store = new RedisRoutingStore(redis, { prefix, tenant });
      await store.upsertOperator(
        { operatorId: 'a', status: 'online', limit: 2, groups: [{ groupId: 'g', tier: 'primary' }] },
        1,
      );
      await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, 1);
      await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, 1);
      await store.offerHead('g', ['a'], 1, 100);
      await store.scheduleTimer({ dialogId: 'd1', key: 'k', dueAt: 1 });
      await store.rebuild({
        operators: [],
        queued: [{ dialogId: 'x', groupId: 'g', priority: 1, enqueuedAt: 1 }],
        assigned: [],
        timers: [],
      });
      const keys = await redis.keys(`${prefix}:*slot-check*`);
      expect(keys.length).to.be.greaterThan(0);
      for (const key of keys) expect(key.startsWith(`${prefix}:{${tenant}}:`), key).to.equal(true);
      const slots = new Set(
        await Promise.all(keys.map((k) => redis.call('CLUSTER', 'KEYSLOT', k).catch(() => 'n/a'))),
      );
      expect(slots.size).to.equal(1);
      await deleteKeys(redis, `${prefix}:{${tenant}}:*`);
    });

    it('when scripts are loaded, then each is named <verbNoun>-<keys>.lua with a KEYS/ARGV/Returns header', () => {
      expect(luaCommands.size).to.be.greaterThan(10);
      for (const command of luaCommands.values()) {
        expect(command.lua, command.name).to.match(/Returns/);
        expect(command.lua, command.name).to.not.match(/@include/);
        const used = [...command.lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
        // A `-n` script takes any number of keys: it indexes KEYS in a loop.
        if (command.numberOfKeys === null) expect(command.lua, command.name).to.match(/#KEYS/);
        else expect(Math.max(...used), `${command.name} key count`).to.equal(command.numberOfKeys);
      }
    });
  });
  describe('differential (memory store as the model)', () => {
    it('when the same random operations run on both stores, then every answer and the final state agree', async function () {
      this.timeout(120_000);
      const redis = connections[0]!;
      const dialogs = ['d0', 'd1', 'd2'];
      const ops = ['a', 'b', 'c'];
      const groups = ['g', 'h'];
      const command = fc.oneof(
        fc.tuple(
          fc.constant('enqueue'),
          fc.constantFrom(...dialogs),
          fc.constantFrom(...groups),
          fc.integer({ min: 0, max: 9 }),
        ),
        fc.tuple(
          fc.constant('arrive'),
          fc.constantFrom(...dialogs),
          fc.constantFrom(...groups),
          fc.integer({ min: 0, max: 9 }),
          fc.shuffledSubarray(ops),
        ),
        fc.tuple(
          fc.constant('holdNew'),
          fc.constantFrom(...dialogs),
          fc.constantFrom(...groups),
          fc.integer({ min: 0, max: 9 }),
          fc.shuffledSubarray(ops),
        ),
        fc.tuple(fc.constant('queue'), fc.constantFrom(...groups), fc.integer({ min: 0, max: 4 })),
        fc.tuple(fc.constant('dequeue'), fc.constantFrom(...dialogs)),
        fc.tuple(fc.constant('assignHead'), fc.constantFrom(...groups), fc.shuffledSubarray(ops)),
        fc.tuple(fc.constant('offerHead'), fc.constantFrom(...groups), fc.shuffledSubarray(ops)),
        fc.tuple(fc.constant('accept'), fc.constantFrom(...dialogs), fc.constantFrom(...ops)),
        fc.tuple(fc.constant('decline'), fc.constantFrom(...dialogs), fc.constantFrom(...ops)),
        fc.tuple(
          fc.constant('assignDialog'),
          fc.constantFrom(...dialogs),
          fc.constantFrom(...groups),
          fc.constantFrom(...ops),
          fc.boolean(),
        ),
        fc.tuple(fc.constant('release'), fc.constantFrom(...dialogs), fc.constantFrom(...ops)),
        fc.tuple(fc.constant('releaseHolder'), fc.constantFrom(...dialogs), fc.constantFrom(...ops)),
        fc.tuple(fc.constant('operatorLoad'), fc.constantFrom(...ops)),
        fc.tuple(
          fc.constant('transferToOperator'),
          fc.constantFrom(...dialogs),
          fc.constantFrom(...groups),
          fc.constantFrom(...ops),
          fc.constantFrom(...ops),
          fc.boolean(),
        ),
        fc.tuple(
          fc.constant('transferToGroup'),
          fc.constantFrom(...dialogs),
          fc.constantFrom(...groups),
          fc.constantFrom(...ops),
          fc.integer({ min: 0, max: 9 }),
        ),
        fc.tuple(
          fc.constant('assignQueued'),
          fc.constantFrom(...dialogs),
          fc.constantFrom(...groups),
          fc.constantFrom(...ops),
          fc.boolean(),
        ),
        fc.tuple(
          fc.constant('presence'),
          fc.constantFrom(...ops),
          fc.constantFrom<Presence>('online', 'away', 'offline'),
        ),
        fc.tuple(fc.constant('limit'), fc.constantFrom(...ops), fc.integer({ min: 0, max: 3 })),
        fc.tuple(fc.constant('expired')),
        fc.tuple(
          fc.constant('schedule'),
          fc.constantFrom(...dialogs),
          fc.constantFrom('k1', 'k2'),
          fc.integer({ min: 0, max: 200 }),
        ),
        fc.tuple(fc.constant('cancelTimer'), fc.constantFrom(...dialogs), fc.constantFrom('k1', 'k2')),
        fc.tuple(fc.constant('cancelDialogTimers'), fc.constantFrom(...dialogs)),
        fc.tuple(fc.constant('claim'), fc.integer({ min: 1, max: 3 })),
        fc.tuple(fc.constant('ack'), fc.nat()),
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
          run += 1;
          const tenant = `diff-${run}-${randomUUID().slice(0, 6)}`;
          const stores: RoutingStore[] = [
            new MemoryRoutingStore(),
            new RedisRoutingStore(redis, { prefix, tenant }),
          ];
          const claims: ClaimedTimer[][] = [[], []];
          const apply = async (
            s: RoutingStore,
            i: number,
            c: (typeof commands)[number],
            now: number,
          ): Promise<unknown> => {
            const a = c as unknown as unknown[];
            const t = a[0] as string;
            const x = a[1] as string;
            const y = a[2] as string;
            const n = (k: number) => a[k] as number;
            const list = (k: number) => a[k] as string[];
            switch (t) {
              case 'enqueue':
                return s.enqueue({ dialogId: x, groupId: y, priority: n(3) }, now);
              case 'arrive':
                return s.enqueueAndAssign({ dialogId: x, groupId: y, priority: n(3) }, list(4), now);
              case 'holdNew':
                // Its timers are scheduled only when held: both stores must agree on that too.
                return s.holdNew({ dialogId: x, groupId: y, priority: n(3) }, list(4), now, [
                  { key: 'held', dueAt: now + 60_000 },
                ]);
              case 'queue':
                return s.queue(x, n(2));
              case 'dequeue':
                return s.dequeue(x);
              case 'assignHead':
                return s.assignHead(x, list(2), now);
              case 'offerHead':
                return s.offerHead(x, list(2), now, 30);
              case 'accept':
                return s.acceptOffer(x, y, now);
              case 'decline':
                return s.declineOffer(x, y);
              case 'assignDialog':
                return s.assignDialog({ dialogId: x, groupId: y }, a[3] as string, now, {
                  ignoreGroup: a[4] as boolean,
                });
              case 'release':
                return s.release(x, y);
              case 'releaseHolder':
                return s.releaseHolder(x, y);
              case 'operatorLoad':
                return s.operatorLoad(x);
              case 'transferToOperator':
                return s.transferDialog(
                  { dialogId: x, groupId: y },
                  { kind: 'operator', operatorId: a[3] as string },
                  { kind: 'operator', operatorId: a[4] as string, ignoreGroup: a[5] as boolean },
                  now,
                );
              case 'transferToGroup':
                return s.transferDialog(
                  { dialogId: x, groupId: y },
                  { kind: 'operator', operatorId: a[3] as string },
                  { kind: 'group', groupId: y, priority: n(4) },
                  now,
                );
              case 'assignQueued':
                return s.transferDialog(
                  { dialogId: x, groupId: y },
                  { kind: 'queue' },
                  { kind: 'operator', operatorId: a[3] as string, ignoreGroup: a[4] as boolean },
                  now,
                );
              case 'presence':
                return s.setPresence(x, y as Presence, now);
              case 'limit': {
                const op = await s.getOperator(x);
                return s.upsertOperator(
                  { operatorId: x, status: op!.status, limit: n(2), groups: op!.groups },
                  now,
                );
              }
              case 'expired':
                return s.expiredOffers(now);
              case 'schedule':
                return s.scheduleTimer({ dialogId: x, key: y, dueAt: 1000 + n(3) });
              case 'cancelTimer':
                return s.cancelTimer(x, y);
              case 'cancelDialogTimers':
                return s.cancelDialogTimers(x);
              case 'claim': {
                const got = await s.claimDueTimers(now, 50, n(1));
                claims[i]!.push(...got);
                return got.map(({ claimToken: _, ...rest }) => rest);
              }
              case 'ack': {
                const held = claims[i]!;
                const claim = held[n(1) % Math.max(1, held.length)];
                return claim ? s.ackTimer(claim) : null;
              }
              default:
                throw new Error(t);
            }
          };
          try {
            for (const s of stores) {
              await s.upsertOperator(
                { operatorId: 'a', status: 'online', limit: 1, groups: [{ groupId: 'g', tier: 'primary' }] },
                1000,
              );
              await s.upsertOperator(
                {
                  operatorId: 'b',
                  status: 'online',
                  limit: 2,
                  groups: [
                    { groupId: 'g', tier: 'primary' },
                    { groupId: 'h', tier: 'secondary' },
                  ],
                },
                1000,
              );
              await s.upsertOperator(
                { operatorId: 'c', status: 'away', limit: 1, groups: [{ groupId: 'h', tier: 'primary' }] },
                1000,
              );
            }
            let now = 1000;
            for (const [step, c] of commands.entries()) {
              now += 10;
              const [m, r] = await Promise.all(stores.map((s, i) => apply(s, i, c, now)));
              expect(r, `step ${step} ${JSON.stringify(c)}`).to.deep.equal(m);
            }
            const state = async (s: RoutingStore) => ({
              queues: await Promise.all(groups.map((g) => s.queue(g))),
              groups: await s.queuedGroups(),
              operators: await s.listOperators(),
              holders: await Promise.all(dialogs.map((d) => s.holder(d))),
              timers: await Promise.all(dialogs.map((d) => s.listTimers(d))),
            });
            const [m, r] = await Promise.all(stores.map(state));
            expect(r).to.deep.equal(m);
          } finally {
            await deleteKeys(redis, `${prefix}:{${tenant}}:*`);
          }
        }),
        { numRuns: 150 },
      );
    });
  });
});
