import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatabaseHandle, migrate, openDatabase } from '../../src/storage/database';
import { dropSchema, freshSchema, postgresAvailable, TEST_DATABASE_URL } from './postgres';

export type StorageBackend = 'embedded PGlite' | 'Postgres';

/**
 * A migrated database of the suite's own on `backend` (a PGlite directory, or a fresh schema of the
 * real Postgres: without it the suite is skipped), opened before its tests and removed after them.
 * Call inside `describe`; `handle` is there once the suite's `before` has run.
 */
export function withMigratedDatabase(backend: StorageBackend): { readonly handle: DatabaseHandle } {
  let handle: DatabaseHandle | undefined;
  let dir: string | undefined;
  let schema: string | undefined;
  before(async function () {
    if (backend === 'Postgres') {
      if (!(await postgresAvailable())) return this.skip();
      schema = freshSchema();
      handle = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
    } else {
      dir = mkdtempSync(join(tmpdir(), 'hotline-db-'));
      handle = await openDatabase({ dataDir: dir });
    }
    await migrate(handle.db);
  });
  after(async () => {
    await handle?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
  });
  return {
    get handle() {
      if (!handle) throw new Error('the database is opened by the suite’s before hook');
      return handle;
    },
  };
}
