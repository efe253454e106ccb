import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { UNLIMITED_VISITORS } from './limits';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface EngineProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** kill -9: no shutdown, no cleanup, as a crashed node. */
  crash(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts `engine/src/main.ts` as its own process and waits until /readyz answers 200. `cwd`: the
 * checkout whose engine runs (the bench's before/after compares another commit's).
 */
export async function startEngineProcess(
  env: Record<string, string>,
  port?: number,
  nodeArgs: string[] = [],
  cwd = root,
): Promise<EngineProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'engine/src/main.ts'], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(UNLIMITED_VISITORS).map(([name, value]) => [name, String(value)])),
      ...env,
      PORT: String(chosen),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engine exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`engine did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port: chosen,
    child,
    output: () => output,
    async crash() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The environment of engines that share one Postgres schema and one Redis prefix (a cluster in a
 * test or a bench), with the routing config of a prepared load; `extra` adds or overrides settings.
 */
export function clusterEnv(
  shared: { databaseUrl: string; schema: string; redisUrl: string; prefix: string; configPath: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: shared.databaseUrl,
    DATABASE_SCHEMA: shared.schema,
    REDIS_URL: shared.redisUrl,
    REDIS_KEY_PREFIX: shared.prefix,
    ROUTING_CONFIG: shared.configPath,
    SEED_DEMO: 'false',
    PRESENCE_GRACE_MS: '600000',
    ...extra,
  };
}

/** Starts one engine per node id: the first builds the routing state, the others then find it. */
export async function startCluster(env: Record<string, string>, nodeIds: string[]): Promise<EngineProcess[]> {
  const [first, ...others] = nodeIds;
  if (first === undefined) return [];
  const head = await startEngineProcess({ ...env, NODE_ID: first });
  return [head, ...(await Promise.all(others.map((id) => startEngineProcess({ ...env, NODE_ID: id }))))];
}
