import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';

const run = promisify(execFile);

/**
 * A 3-master Redis Cluster on loopback, started and stopped by the test itself: three
 * `redis-server --cluster-enabled yes` in a temp dir on random ports in 17000–17999 (their cluster
 * buses on port + 10000), joined by `redis-cli --cluster create`. Missing binaries fail loudly.
 */
export class LoopbackRedisCluster {
  private readonly servers: ChildProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'hotline-redis-cluster-'));
  readonly ports: number[];
  private failure: Error | null = null;

  private constructor(base: number) {
    this.ports = [base, base + 1, base + 2];
  }

  static async start(): Promise<LoopbackRedisCluster> {
    // Three consecutive ports; a clash (another run) shows as a server that does not answer: try again.
    for (let attempt = 0; ; attempt += 1) {
      const cluster = new LoopbackRedisCluster(17000 + Math.floor(Math.random() * 997));
      try {
        await cluster.boot();
        return cluster;
      } catch (error) {
        await cluster.stop();
        if (attempt >= 2) throw error;
      }
    }
  }

  /** `redis://host:port` of one node: the engine's REDIS_URL with REDIS_CLUSTER=true. */
  get url(): string {
    return `redis://127.0.0.1:${this.ports[0]}`;
  }

  client(): Cluster {
    const client = new Cluster(
      this.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: 2 } },
    );
    client.on('error', () => {});
    return client;
  }

  private async boot(): Promise<void> {
    for (const port of this.ports) {
      const server = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          this.dir,
        ],
        { stdio: 'ignore' },
      );
      // No redis-server binary: fail with that, not a crash on an unhandled 'error' event.
      server.once('error', (error) => {
        this.failure = error;
      });
      this.servers.push(server);
    }
    for (const port of this.ports) await this.waitFor(port, (reply) => reply.includes('PONG'), 'ping');
    const nodes = this.ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of this.ports)
      await this.waitFor(port, (reply) => reply.includes('cluster_state:ok'), 'cluster', 'info');
  }

  private async waitFor(port: number, ok: (reply: string) => boolean, ...command: string[]) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const reply = await run('redis-cli', ['-p', String(port), ...command]).then(
        (r) => r.stdout,
        () => '',
      );
      if (ok(reply)) return;
      if (this.failure) throw new Error(`redis-server could not start: ${this.failure.message}`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${port}: no ${command.join(' ')} answer`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.exitCode !== null || server.signalCode !== null) return resolve();
            server.once('exit', () => resolve());
            server.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
