import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { RedisRoutingStore } from '../../src/routing-store/redis-routing-store';
import { runRoutingStoreContract } from '../routing-store/contract';
import { LoopbackRedisCluster } from './redis-cluster';

describe('RedisRoutingStore on a 3-master Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: LoopbackRedisCluster;
  const connections: Cluster[] = [];
  const prefix = `hltest-${randomUUID().slice(0, 8)}`;

  before(async () => {
    cluster = await LoopbackRedisCluster.start();
    for (let i = 0; i < 3; i += 1) connections.push(cluster.client());
  });
  after(async () => {
    for (const c of connections) c.disconnect();
    await cluster?.stop();
  });

  runRoutingStoreContract('redis cluster', async () => {
    // A tenant per test: each lands in its own slot, so the suite spreads over the three masters.
    const tenant = randomUUID().slice(0, 8);
    const [store, ...others] = connections.map((redis) => new RedisRoutingStore(redis, { prefix, tenant }));
    return { store: store!, peers: [store!, ...others], cleanup: async () => {} };
  });
});
