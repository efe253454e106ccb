import type { Knex } from 'knex';

/** The rows a change statement writes beside its dialog row, and which only it writes. */
const CHILDREN = ['messages', 'dialog_events', 'dialog_changes'] as const;

/**
 * Issue 16, Postgres's part: a change's messages, events and outbox row without a foreign-key check
 * each (15 of the 19 checks of a routed dialog, each an SPI query, a row lock and its WAL record).
 * What the foreign keys kept true stays true:
 * - a row names an existing dialog: only a change statement writes these rows (dialog-repository.ts,
 *   `writeChange`), in the statement that inserts or updates that dialog's row and only when it did
 *   (`where exists (select 1 from d)`), the row locked until the commit; nothing updates `dialog_id`;
 * - rows go with their dialog (`on delete cascade`, docs/changes.md): a trigger deletes them with it,
 *   after a visitor's erasure deletes his dialogs (one delete per table per statement).
 * Tables written elsewhere (attachments, visitor_pages) keep their foreign keys.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of CHILDREN)
    await knex.raw(`alter table ${table} drop constraint ${table}_dialog_id_foreign`);
  await knex.raw(`create function dialogs_delete_change_rows() returns trigger language plpgsql
    set search_path from current as $$
    begin
      ${CHILDREN.map((t) => `delete from ${t} where dialog_id in (select id from gone);`).join('\n      ')}
      return null;
    end $$`);
  await knex.raw(`create trigger dialogs_delete_change_rows after delete on dialogs
    referencing old table as gone for each statement execute function dialogs_delete_change_rows()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger dialogs_delete_change_rows on dialogs');
  await knex.raw('drop function dialogs_delete_change_rows()');
  for (const table of CHILDREN)
    await knex.schema.alterTable(table, (t) => {
      t.foreign('dialog_id').references('dialogs.id').onDelete('CASCADE');
    });
}
