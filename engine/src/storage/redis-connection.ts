import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster, Redis } from 'ioredis';
import type { Server as SocketServer } from 'socket.io';
import type { Logger } from '../logger';

/** One Redis server, or a Redis Cluster (every engine part accepts both). */
export type RedisClient = Redis | Cluster;

const CLIENT_OPTIONS = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false };

/**
 * `REDIS_URL` names one server, or with `REDIS_CLUSTER=true` one (any) node of a Redis Cluster: ioredis
 * learns the other nodes and the slot map from it. Credentials and TLS (`rediss:`) of the URL apply to
 * every node.
 */
export function connectRedis(url: string, cluster: boolean, logger: Logger): RedisClient {
  const client: RedisClient = cluster ? clusterClient(url) : new Redis(url, CLIENT_OPTIONS);
  client.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  return client;
}

function clusterClient(url: string): Cluster {
  const seed = new URL(url);
  const auth = {
    ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
    ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
  };
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], {
    redisOptions: { ...CLIENT_OPTIONS, ...auth, ...(seed.protocol === 'rediss:' ? { tls: {} } : {}) },
    enableOfflineQueue: true,
  });
}

/** How often a node re-counts the engine nodes on the adapter's channel (one command each time). */
const PEERS_REFRESH_MS = 2000;
/** Published once by a node whose adapter is up, so lone nodes stop emitting locally at once. */
const NODE_UP = 'hotline:node-up';

/**
 * Whether this engine node is the only one on the adapter. While it is, every room lives on this node
 * and pushes go out locally: no PUBLISH per push (issue 16: ~25 per dialog on one node). A node
 * coming up announces itself before it accepts sockets, and the count is refreshed every
 * PEERS_REFRESH_MS as a backstop. Until the first count (one period after start, when its own
 * subscription is surely in place), and while its subscriber is not ready (then the count may be
 * the others' alone), a node assumes it is not alone.
 */
export class NodePeers {
  private lonely = false;
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Subscribers of the adapter's channel: the engine nodes, this one included. */
    private readonly count: () => Promise<number>,
    /** Whether this node's own subscription is up. */
    private readonly subscribed: () => boolean,
  ) {}

  alone(): boolean {
    return this.lonely;
  }

  /** Another node said it came up: not alone, whatever a count still under way says. */
  joined(): void {
    this.generation += 1;
    this.lonely = false;
  }

  async refresh(): Promise<void> {
    const generation = this.generation;
    try {
      const nodes = await this.count();
      if (generation === this.generation) this.lonely = nodes <= 1 && this.subscribed();
    } catch {
      this.lonely = false;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), PEERS_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * The socket.io Redis adapter on its own two connections: the classic pub/sub adapter on one server,
 * the sharded one (Redis 7 SPUBLISH/SSUBSCRIBE, a channel's messages stay on its shard) on a cluster.
 * Returns the connections to close at shutdown and the node count watch.
 */
export function attachRedisAdapter(
  io: SocketServer,
  redis: RedisClient,
  key: string,
): { clients: RedisClient[]; peers: NodePeers } {
  let clients: [pub: RedisClient, sub: RedisClient];
  if (redis instanceof Cluster) {
    // SSUBSCRIBE must reach the master of each channel's slot: one subscriber connection per master.
    const [pub, sub] = [redis.duplicate(), redis.duplicate(undefined, { shardedSubscribers: true })];
    clients = [pub, sub];
    io.adapter(createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: 'static' }));
  } else {
    const [pub, sub] = [redis.duplicate(), redis.duplicate()];
    clients = [pub, sub];
    io.adapter(createAdapter(pub, sub, { key }));
  }
  const root = io.of('/');
  const sub = clients[1];
  const peers = new NodePeers(
    () => root.adapter.serverCount(),
    () => sub.status === 'ready',
  );
  root.on(NODE_UP, () => peers.joined());
  root.serverSideEmit(NODE_UP);
  peers.start();
  return { clients, peers };
}
