import type { Knex } from 'knex';

/**
 * Issue 16, Postgres's part: fewer index entries for the rows every change writes, the same facts.
 * - `dialog_events` is keyed by `(dialog_id, version)` (the version check makes it unique, its unique
 *   index was there already): its `id` keeps its sequence but no index of its own, which nothing reads
 *   by (a routed dialog writes six events: six index entries and their WAL fewer).
 * - `dialog_changes.created_at` serves only retention's range delete (docs/changes.md): rows come in
 *   creation order, so a BRIN index (one summary per range of pages, none written per row) serves it as
 *   the B-tree did, one entry per change fewer.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table dialog_events drop constraint dialog_events_pkey,
    drop constraint dialog_events_dialog_id_version_unique, add primary key (dialog_id, version)`);
  await knex.raw('drop index dialog_changes_created_at_index');
  await knex.raw('create index dialog_changes_created_at_brin on dialog_changes using brin (created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index dialog_changes_created_at_brin');
  await knex.raw('create index dialog_changes_created_at_index on dialog_changes (created_at)');
  await knex.raw(`alter table dialog_events drop constraint dialog_events_pkey,
    add constraint dialog_events_dialog_id_version_unique unique (dialog_id, version), add primary key (id)`);
}
