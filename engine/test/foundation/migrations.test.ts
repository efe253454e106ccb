import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type DatabaseHandle, migrate, openDatabase } from '../../src/storage/database';
import { dropSchema, freshSchema, postgresAvailable, TEST_DATABASE_URL } from '../support/postgres';

const TABLES = [
  'visitors',
  'operators',
  'dialogs',
  'messages',
  'routing_config_versions',
  'audit_log',
  'visitor_pages',
  'dialog_events',
  'quick_replies',
  'settings',
  'operator_sessions',
  'attachment_blobs',
  'attachments',
  'dialog_changes',
  'quick_reply_positions',
];

function migrationSuite(
  name: string,
  open: () => Promise<{ handle: DatabaseHandle; cleanup: () => Promise<void> }>,
) {
  describe(`migrations on ${name}`, function () {
    this.timeout(60_000);
    let handle: DatabaseHandle;
    let cleanup: () => Promise<void>;

    before(async function () {
      if (name === 'Postgres' && !(await postgresAvailable())) return this.skip();
      ({ handle, cleanup } = await open());
    });
    after(async () => cleanup?.());

    it('when migrated twice, then the second run applies nothing and every table exists', async () => {
      const first = await migrate(handle.db);
      expect(first[0]).to.equal('001-initial');
      expect(first).to.include('002-presence-changed-at');
      expect(await migrate(handle.db)).to.deep.equal([]);
      expect(await handle.db.schema.hasColumn('operators', 'presence_changed_at')).to.equal(true);
      for (const table of TABLES) expect(await handle.db.schema.hasTable(table), table).to.equal(true);
    });

    it('when a message is inserted twice with the same client id, then the unique index refuses the second', async () => {
      const visitorId = crypto.randomUUID();
      const dialogId = crypto.randomUUID();
      await handle.db('visitors').insert({ id: visitorId, token_hash: `h-${visitorId}`, site_id: 'demo' });
      await handle
        .db('dialogs')
        .insert({ id: dialogId, visitor_id: visitorId, site_id: 'demo', state: 'created', snapshot: '{}' });
      const message = { dialog_id: dialogId, author_kind: 'visitor', body: 'hi', client_message_id: 'c1' };
      await handle.db('messages').insert({ id: crypto.randomUUID(), ...message });
      let failed = false;
      await handle
        .db('messages')
        .insert({ id: crypto.randomUUID(), ...message })
        .catch(() => {
          failed = true;
        });
      expect(failed).to.equal(true);
      const row = await handle.db('dialogs').where({ id: dialogId }).first();
      expect(new Date(row.created_at).getTime()).to.be.closeTo(Date.now(), 60_000);
    });
  });
}

migrationSuite('embedded PGlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-mig-'));
  const handle = await openDatabase({ dataDir: dir });
  return {
    handle,
    cleanup: async () => {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

migrationSuite('Postgres', async () => {
  const schema = freshSchema();
  const handle = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
  return {
    handle,
    cleanup: async () => {
      await handle.close();
      await dropSchema(schema);
    },
  };
});
