import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { luaCommands } from '../../src/routing-store/lua-commands';
import { RedisRoutingStore } from '../../src/routing-store/redis-routing-store';
import { deleteKeys, RedisUnavailable, testRedis } from '../support/redis';
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
    it('when the store works, then every key of a tenant shares one hash slot tag', async () => {
      const redis = connections[0]!;
      const tenant = 'slot-check';
      const store = new RedisRoutingStore(redis, { prefix, tenant });
      await store.upsertOperator({ operatorId: 'a', status: 'online', limit: 2, groups: [{ groupId: 'g', tier: 'primary' }] }, 1);
      await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, 1);
      await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, 1);
      await store.offerHead('g', ['a'], 1, 100);
      await store.scheduleTimer({ dialogId: 'd1', key: 'k', dueAt: 1 });
      await store.rebuild({ operators: [], queued: [{ dialogId: 'x', groupId: 'g', priority: 1, enqueuedAt: 1 }], assigned: [], timers: [] });
      const keys = await redis.keys(`${prefix}:*slot-check*`);
      expect(keys.length).to.be.greaterThan(0);
      for (const key of keys) expect(key.startsWith(`${prefix}:{${tenant}}:`), key).to.equal(true);
      const slots = new Set(await Promise.all(keys.map((k) => redis.call('CLUSTER', 'KEYSLOT', k).catch(() => 'n/a'))));
      expect(slots.size).to.equal(1);
      await deleteKeys(redis, `${prefix}:{${tenant}}:*`);
    });

    it('when scripts are loaded, then each is named <verbNoun>-<keys>.lua with a KEYS/ARGV/Returns header', () => {
      expect(luaCommands.size).to.be.greaterThan(10);
      for (const command of luaCommands.values()) {
        expect(command.lua, command.name).to.match(/Returns/);
        expect(command.lua, command.name).to.not.match(/@include/);
        const used = [...command.lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
        expect(Math.max(...used), `${command.name} key count`).to.equal(command.numberOfKeys);
      }
    });
  });
});
