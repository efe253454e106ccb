import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reconciler } from '../../src/background/reconciler';
import type { EngineConfig } from '../../src/config';
import { OPEN_STATES } from '../../src/dialog/dialog-views';
import { type RunningServer, type StartOptions, startServer } from '../../src/server';
import { dropSchema, freshSchema, postgresAvailable, TEST_DATABASE_URL } from './postgres';
import { closeAllSockets } from './clients';
import { UNLIMITED_VISITORS } from './limits';
import { deleteKeys, RedisUnavailable, TEST_REDIS_URL, testRedis } from './redis';

export const EXAMPLE_ROUTING = fileURLToPath(new URL('../../../routing.yaml', import.meta.url));
export const TEST_ROUTING = fileURLToPath(new URL('../fixtures/routing-test.yaml', import.meta.url));

export type Backends = 'embedded' | 'real';

/**
 * A copy of the test routing with each `[from, to]` replaced, in a temp dir removed when the process
 * exits. A `from` not found throws: a test must not quietly run on the unchanged routing.
 */
export function routingVariant(replacements: [from: string, to: string][]): string {
  let yaml = readFileSync(TEST_ROUTING, 'utf8');
  for (const [from, to] of replacements) {
    if (!yaml.includes(from)) throw new Error(`routingVariant: "${from.trim()}" is not in ${TEST_ROUTING}`);
    yaml = yaml.replace(from, to);
  }
  const dir = mkdtempSync(join(tmpdir(), 'hotline-routing-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'routing.yaml');
  writeFileSync(path, yaml);
  return path;
}

export interface TestServer extends RunningServer {
  cleanup(): Promise<void>;
}

/**
 * An engine on port 0. 'embedded': PGlite in a temp dir and the in-memory store. 'real': the local
 * Postgres (own schema) and Redis (own key prefix), as in production.
 */
export async function startTestServer(
  backends: Backends,
  overrides: Partial<EngineConfig> = {},
  options: StartOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hotline-test-'));
  const schema = freshSchema();
  const base: Partial<EngineConfig> = {
    PORT: 0,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    dataDir,
    routingConfigPath: EXAMPLE_ROUTING,
    SEED_DEMO: true,
    TIMER_POLL_MS: 50,
    PRESENCE_GRACE_MS: 200,
    ...UNLIMITED_VISITORS,
    ...(backends === 'real'
      ? {
          DATABASE_URL: TEST_DATABASE_URL,
          DATABASE_SCHEMA: schema,
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: `hltest-${schema}`,
        }
      : {}),
  };
  const server = await startServer({ ...base, ...overrides }, { env: {}, ...options });
  return {
    ...server,
    async cleanup() {
      await server.stop();
      if (backends === 'real' && !overrides.DATABASE_SCHEMA) {
        await dropSchema(schema);
        const redis = await testRedis();
        await deleteKeys(redis, `hltest-${schema}*`);
        redis.disconnect();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Whether the backends answer; in CI a missing server throws (a failure), elsewhere the suite skips. */
export async function backendsAvailable(backends: Backends): Promise<boolean> {
  if (backends === 'embedded') return true;
  if (!(await postgresAvailable())) return false;
  try {
    (await testRedis()).disconnect();
    return true;
  } catch (error) {
    if (error instanceof RedisUnavailable) return false;
    throw error;
  }
}

/** Between tests: every open dialog closed, every operator offline, so tests do not lean on each other. */
export async function resetDialogs(server: RunningServer) {
  const { repo, dialogs, store, assignments } = server.engine;
  await assignments.idle();
  for (const row of await repo.dialogsInStates(OPEN_STATES)) {
    await dialogs
      .dispatch(row.id, { type: 'CLOSE', by: 'system', outcome: 'test-reset' })
      .catch(() => undefined);
  }
  for (const operator of await store.listOperators())
    await store.setPresence(operator.operatorId, 'offline', Date.now());
  await assignments.idle();
}

/**
 * The usual suite around one engine: started before the suite (skipped when the backends are absent
 * outside CI), every socket closed and every dialog reset after each test, stopped after the suite.
 * `use` receives the running server (assign it to the suite's variable).
 */
export function withTestServer(
  backends: Backends,
  overrides: Partial<EngineConfig>,
  use: (server: TestServer) => void,
) {
  let server: TestServer | undefined;
  before(async function () {
    if (!(await backendsAvailable(backends))) return this.skip();
    server = await startTestServer(backends, overrides);
    use(server);
  });
  afterEach(async () => {
    closeAllSockets();
    if (server) await resetDialogs(server);
  });
  after(async () => server?.cleanup());
}

/**
 * A reconciler on the server's own parts that only runs when a test calls it (start the server with
 * a long RECONCILE_INTERVAL_MS so its own one stays out of the way).
 */
export function manualReconciler(
  server: TestServer,
  overrides: Partial<ConstructorParameters<typeof Reconciler>[0]> = {},
): Reconciler {
  const { repo, store, routingState, assignments, locks, logger, visitors, dialogs } = server.engine;
  return new Reconciler({
    repo,
    store,
    routingState,
    assignments,
    locks,
    logger,
    clock: Date.now,
    intervalMs: 600_000,
    stranded: visitors,
    dialogs,
    ...overrides,
  });
}
