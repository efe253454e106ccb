import type { Knex } from 'knex';

/**
 * The dialog change outbox (docs/changes.md): one row per committed change of a dialog, written in
 * the change's own transaction. `seq` orders a dialog's changes without gaps (1, 2, 3 …: the writer
 * holds the dialog's row lock); `id` orders all changes by insertion; `tx_id` is the writing
 * transaction, so a reader can stay behind every transaction still running (pg_snapshot_xmin).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dialog_changes', (t) => {
    t.bigIncrements('id');
    t.uuid('dialog_id').notNullable().references('dialogs.id').onDelete('CASCADE');
    t.integer('seq').notNullable();
    t.text('kind').notNullable();
    t.jsonb('payload').notNullable();
    t.text('node_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dialog_id', 'seq']);
    t.index(['created_at']);
  });
  await knex.raw('alter table dialog_changes add column tx_id xid8 not null default pg_current_xact_id()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('dialog_changes');
}
