import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '../../src/config';
import { type RunningServer, type StartOptions, startServer } from '../../src/server';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from './postgres';

export const EXAMPLE_ROUTING = fileURLToPath(new URL('../../../routing.yaml', import.meta.url));
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Backends = 'embedded' | 'real';

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
    ...(backends === 'real'
      ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `hltest-${schema}` }
      : {}),
  };
  const server = await startServer({ ...base, ...overrides }, { env: {}, ...options });
  return {
    ...server,
    async cleanup() {
      await server.stop();
      if (backends === 'real' && !overrides.DATABASE_SCHEMA) await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
