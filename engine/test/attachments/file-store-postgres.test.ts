import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { BLOB_CHUNK_BYTES, PostgresFileStore } from '../../src/attachments/postgres-file-store';
import { type DatabaseHandle, migrate, openDatabase } from '../../src/storage/database';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { runFileStoreContract } from './file-store-contract';

/** Never skipped: a Postgres that does not answer fails here, as in CI. */
const backends: Record<string, () => Promise<{ handle: DatabaseHandle; cleanup: () => Promise<void> }>> = {
  'embedded PGlite': async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hotline-blobs-'));
    const handle = await openDatabase({ dataDir });
    await migrate(handle.db);
    return { handle, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
  'real Postgres': async () => {
    const schema = freshSchema();
    const handle = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
    await migrate(handle.db, schema);
    return { handle, cleanup: () => dropSchema(schema) };
  },
};

for (const [name, open] of Object.entries(backends)) {
  let handle: DatabaseHandle;
  runFileStoreContract(
    `postgres on ${name}`,
    async () => {
      const opened = await open();
      handle = opened.handle;
      return {
        store: new PostgresFileStore(handle.db),
        cleanup: async () => {
          await handle.close();
          await opened.cleanup();
        },
      };
    },
    { presigns: false, embedsDatabase: name === 'embedded PGlite' },
  );

  describe(`postgres file store on ${name}: rows`, function () {
    this.timeout(60_000);
    let own: { handle: DatabaseHandle; cleanup: () => Promise<void> };
    let store: PostgresFileStore;
    before(async () => {
      own = await open();
      store = new PostgresFileStore(own.handle.db);
    });
    after(async () => {
      await own.handle.close();
      await own.cleanup();
    });

    const rows = async () =>
      (await own.handle
        .db('attachment_blobs')
        .select('key', 'chunk', own.handle.db.raw('octet_length(data)::int AS bytes'))
        .orderBy(['key', 'chunk'])) as {
        key: string;
        chunk: number;
        bytes: number;
      }[];

    it('when 600 KB are put, then they are three rows of at most 256 KB under the key', async () => {
      await store.put('three', Readable.from([Buffer.alloc(600 * 1024, 1)]), {
        contentType: 'application/pdf',
      });
      expect(await rows()).to.deep.equal([
        { key: 'three', chunk: 0, bytes: BLOB_CHUNK_BYTES },
        { key: 'three', chunk: 1, bytes: BLOB_CHUNK_BYTES },
        { key: 'three', chunk: 2, bytes: 600 * 1024 - 2 * BLOB_CHUNK_BYTES },
      ]);
    });

    it('when a put fails midway or a key is overwritten, then no staging row and no old chunk is left', async () => {
      async function* dropped() {
        yield Buffer.alloc(700 * 1024);
        throw new Error('connection reset');
      }
      await store
        .put('three', Readable.from(dropped(), { objectMode: false }), { contentType: 'image/png' })
        .catch(() => undefined);
      await store.put('three', Readable.from([Buffer.from('short now')]), { contentType: 'text/plain' });
      expect(await rows()).to.deep.equal([{ key: 'three', chunk: 0, bytes: 9 }]);
    });
  });
}
