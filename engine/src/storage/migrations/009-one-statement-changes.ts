import type { Knex } from 'knex';

/** The states in which a dialog is open (dialog-views' OPEN_STATES, as the `state` column spells them). */
export const OPEN = `'created', 'queued', 'offered', 'assigned', 'active', 'offline', 'awaiting-contact', 'lead'`;

/**
 * Issue 16: a transition written as one statement, without a transaction around it.
 * - `dialogs.change_seq` is the dialog's last outbox `seq`: each change statement bumps it in the row it
 *   writes, so two writers of one dialog are ordered by the row itself (a statement that waited for the
 *   row lock re-evaluates the increment on the newest row), never by a `max(seq)` read of an older snapshot.
 * - One open dialog per visitor is a partial unique index: a start inserts with ON CONFLICT DO NOTHING
 *   instead of locking the visitor's row and looking; a reopen that meets another open dialog fails.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dialogs', (t) => {
    t.integer('change_seq').notNullable().defaultTo(0);
  });
  await knex.raw(
    `update dialogs d set change_seq = c.seq
     from (select dialog_id, max(seq) as seq from dialog_changes group by dialog_id) c
     where c.dialog_id = d.id`,
  );
  await knex.raw(
    `create unique index dialogs_one_open_per_visitor on dialogs (visitor_id) where state in (${OPEN})`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists dialogs_one_open_per_visitor');
  await knex.schema.alterTable('dialogs', (t) => {
    t.dropColumn('change_seq');
  });
}
