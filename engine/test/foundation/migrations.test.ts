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

    /** A visitor with `count` dialogs in `state`, inserted as rows; their ids. */
    async function visitorWithDialogs(state: string, count: number): Promise<string[]> {
      const visitorId = crypto.randomUUID();
      await handle.db('visitors').insert({ id: visitorId, token_hash: `h-${visitorId}`, site_id: 'demo' });
      const ids = Array.from({ length: count }, () => crypto.randomUUID());
      for (const id of ids)
        await handle
          .db('dialogs')
          .insert({ id, visitor_id: visitorId, site_id: 'demo', state, snapshot: '{}' });
      return ids;
    }

    it('when migrated twice, then the second run applies nothing and every table exists', async () => {
      const first = await migrate(handle.db);
      expect(first[0]).to.equal('001-initial');
      expect(first).to.include('002-presence-changed-at');
      expect(await migrate(handle.db)).to.deep.equal([]);
      expect(await handle.db.schema.hasColumn('operators', 'presence_changed_at')).to.equal(true);
      for (const table of TABLES) expect(await handle.db.schema.hasTable(table), table).to.equal(true);
    });

    it('when a message is inserted twice with the same client id, then the unique index refuses the second', async () => {
      const dialogId = (await visitorWithDialogs('created', 1))[0]!;
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

    it('when messages without a client id share a dialog and an auto key comes twice, then they are stored and the second auto key is refused (010: partial unique indexes)', async () => {
      const dialogId = (await visitorWithDialogs('closed', 1))[0]!;
      const system = { dialog_id: dialogId, author_kind: 'system', body: 'note' };
      await handle.db('messages').insert({ id: crypto.randomUUID(), ...system });
      await handle.db('messages').insert({ id: crypto.randomUUID(), ...system });
      const auto = { dialog_id: dialogId, author_kind: 'auto', body: 'hello', auto_key: 'greeting' };
      await handle.db('messages').insert({ id: crypto.randomUUID(), ...auto });
      const again = await handle.db.raw(
        `insert into messages (id, dialog_id, author_kind, body, auto_key) values (?, ?, 'auto', 'hello', 'greeting')
         on conflict do nothing returning id`,
        [crypto.randomUUID(), dialogId],
      );
      expect(again.rows).to.deep.equal([]);
      const count = await handle
        .db('messages')
        .where({ dialog_id: dialogId })
        .count<{ n: string }[]>('* as n');
      expect(Number(count[0]?.n)).to.equal(3);
    });

    it('when an event comes twice with one version, then the key refuses it; the retention delete by id keeps the young changes (012: events keyed by version, no created_at index)', async () => {
      const dialogId = (await visitorWithDialogs('closed', 1))[0]!;
      const event = { dialog_id: dialogId, version: 2, type: 'CLOSE', to_state: 'closed' };
      await handle.db('dialog_events').insert(event);
      let failed = false;
      await handle
        .db('dialog_events')
        .insert(event)
        .catch(() => {
          failed = true;
        });
      expect(failed).to.equal(true);
      const keys = await handle.db.raw<{ rows: { columns: string }[] }>(
        `select string_agg(a.attname, ',' order by k.n) as columns
         from pg_index i cross join unnest(i.indkey) with ordinality as k(attnum, n)
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
         where i.indrelid = 'dialog_events'::regclass and i.indisprimary group by i.indexrelid`,
      );
      expect(keys.rows.map((r) => r.columns)).to.deep.equal(['dialog_id,version']);
      // docs/changes.md's retention: everything older than the first young change goes.
      const change = (seq: number, age: string) =>
        handle.db.raw(
          `insert into dialog_changes (dialog_id, seq, kind, payload, created_at)
           values (?, ?, 'transition', '{}', now() - ?::interval)`,
          [dialogId, seq, age],
        );
      await change(1, '40 days');
      await change(2, '31 days');
      await change(3, '1 day');
      await change(4, '0 days');
      await handle.db.raw(`delete from dialog_changes where id < coalesce(
        (select id from dialog_changes where created_at >= now() - interval '30 days' order by id limit 1),
        (select max(id) + 1 from dialog_changes))`);
      expect(
        await handle.db('dialog_changes').where({ dialog_id: dialogId }).orderBy('seq').pluck('seq'),
      ).to.deep.equal([3, 4]);
    });

    it('when dialogs are deleted, then their messages, events and outbox rows go with them and other dialogs keep theirs (011: a trigger, not foreign keys)', async () => {
      const [gone, kept] = await visitorWithDialogs('closed', 2);
      if (!gone || !kept) throw new Error('two dialogs expected');
      for (const id of [gone, kept]) {
        await handle
          .db('messages')
          .insert({ id: crypto.randomUUID(), dialog_id: id, author_kind: 'system', body: 'x' });
        await handle
          .db('dialog_events')
          .insert({ dialog_id: id, version: 2, type: 'CLOSE', to_state: 'closed' });
        await handle
          .db('dialog_changes')
          .insert({ dialog_id: id, seq: 1, kind: 'transition', payload: '{}' });
      }
      await handle.db('dialogs').where({ id: gone }).delete();
      for (const table of ['messages', 'dialog_events', 'dialog_changes'] as const) {
        const left = await handle.db(table).whereIn('dialog_id', [gone, kept]).pluck('dialog_id');
        expect(left, table).to.deep.equal([kept]);
      }
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
