import type { Knex } from 'knex';

/**
 * When an operator's presence last changed: an operator gone offline keeps his dialogs for his
 * groups' `keepDialogsOnOfflineSeconds`, counted from here, on whichever node reconciles.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operators', (t) => {
    t.timestamp('presence_changed_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operators', (t) => {
    t.dropColumn('presence_changed_at');
  });
}
