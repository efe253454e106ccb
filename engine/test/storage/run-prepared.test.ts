import { expect } from 'chai';
import { runPrepared } from '../../src/storage/database';
import { PgCounter } from '../support/pg-counter';
import { withMigratedDatabase } from '../support/migrated-database';

/**
 * The hot statements run straight on a connection of knex's pool (`runPrepared`), past knex's runner:
 * they must still be counted (the budget tests), run in the transaction they are given, and work on
 * both backends.
 */
for (const backend of ['embedded PGlite', 'Postgres'] as const) {
  describe(`runPrepared on ${backend}`, function () {
    this.timeout(60_000);
    const database = withMigratedDatabase(backend);

    const insertVisitor = `insert into visitors (id, token_hash, site_id) values (?, ?, 'demo') returning id`;

    it('when statements run outside and inside a transaction, then the statement counter sees each, with its transaction', async () => {
      const counter = new PgCounter(database.handle.db);
      try {
        await runPrepared(database.handle.db, 'test_select_one', 'select ? :: int as one', [1]);
        await database.handle.db.transaction(async (trx) => {
          await runPrepared(trx, 'test_select_one', 'select ? :: int as one', [2]);
        });
        const counted = counter.take();
        // Ours, plus the transaction's BEGIN and COMMIT through knex.
        expect(counted.statements).to.equal(4);
        expect(counted.reads).to.equal(1);
        expect(counted.transactions).to.equal(1);
        expect(counted.sql).to.include('select $1 :: int as one');
        expect(counted.sql).to.include('[tx] select $1 :: int as one');
      } finally {
        counter.stop();
      }
    });

    it('when a statement runs in a transaction that rolls back, then its write is gone', async () => {
      const id = crypto.randomUUID();
      await database.handle.db
        .transaction(async (trx) => {
          const rows = await runPrepared<{ id: string }>(trx, 'test_insert_visitor', insertVisitor, [id, id]);
          expect(rows).to.deep.equal([{ id }]);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(await database.handle.db('visitors').where({ id }).first()).to.equal(undefined);
    });

    it('when the same named statement runs again, then it returns parsed values and a literal \\? stays a question mark', async () => {
      const at = new Date('2026-01-02T03:04:05.000Z');
      for (const n of [1, 2]) {
        const [row] = await runPrepared<{ n: number; at: Date; doc: { a: number }; mark: string }>(
          database.handle.db,
          'test_parsed',
          `select ?::int as n, ?::timestamptz as at, ?::jsonb as doc, '\\?' as mark`,
          [n, at, JSON.stringify({ a: n })],
        );
        expect(row).to.deep.equal({ n, at, doc: { a: n }, mark: '?' });
      }
    });

    it('when a statement runs on real Postgres, then it is prepared on its connection under its name', async function () {
      if (backend !== 'Postgres') return this.skip();
      const names = await database.handle.db.transaction(async (trx) => {
        await runPrepared(trx, 'test_named', 'select ? :: int as one', [1]);
        return (await trx.raw<{ rows: { name: string }[] }>('select name from pg_prepared_statements')).rows;
      });
      expect(names.map((n) => n.name)).to.include('test_named');
    });

    it('when a binding is undefined, then the statement is refused before it is sent', async () => {
      const error = await runPrepared(database.handle.db, 'test_undefined', 'select ? as x', [
        undefined,
      ]).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(/undefined binding/);
    });

    it('when a statement fails, then its connection goes back to the pool and the next one runs', async () => {
      const id = crypto.randomUUID();
      await runPrepared(database.handle.db, 'test_insert_visitor', insertVisitor, [id, id]);
      const duplicate = await runPrepared(database.handle.db, 'test_insert_visitor', insertVisitor, [
        id,
        id,
      ]).catch((e: unknown) => e);
      expect(duplicate).to.have.property('code', '23505');
      // More than the pool holds: a connection kept by a failure would make these time out.
      for (let i = 0; i < 12; i++)
        await runPrepared(database.handle.db, 'test_select_one', 'select ? :: int as one', [i]);
    });
  });
}
