import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the real Postgres answers. In CI a missing server is a failure (thrown), never a skip;
 * on a developer machine the caller may skip with a printed reason.
 */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (process.env.CI)
      throw new Error(`Postgres at ${TEST_DATABASE_URL} is required in CI: ${(error as Error).message}`);
    console.warn(`  (skipping: Postgres at ${TEST_DATABASE_URL} is not reachable)`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema name for one test suite; dropped by dropSchema. */
export const freshSchema = () => `t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

export async function dropSchema(schema: string) {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
