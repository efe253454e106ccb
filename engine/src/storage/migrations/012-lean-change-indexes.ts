import type { Knex } from 'knex';

/**
 * Issue 16, Postgres's part: fewer index entries for the rows every change writes, the same facts.
 * - `dialog_events` is keyed by `(dialog_id, version)` (the version check makes it unique, its unique
 *   index was there already): its `id` keeps its sequence but no index of its own, which nothing reads
 *   by (a routed dialog writes six events: six index entries and their WAL fewer).
 * - `dialog_changes.created_at` loses its index: it served only retention (docs/changes.md), and ids
 *   grow with creation time, so retention deletes below the first id young enough, found by walking
 *   the primary key over the rows it deletes anyway; one index entry per change fewer. (A BRIN index
 *   was measured first: it rewrites its range's summary on every insert, as much WAL as the B-tree.)
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table dialog_events drop constraint dialog_events_pkey,
    drop constraint dialog_events_dialog_id_version_unique, add primary key (dialog_id, version)`);
  await knex.raw('drop index dialog_changes_created_at_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('create index dialog_changes_created_at_index on dialog_changes (created_at)');
  await knex.raw(`alter table dialog_events drop constraint dialog_events_pkey,
    add constraint dialog_events_dialog_id_version_unique unique (dialog_id, version), add primary key (id)`);
}
