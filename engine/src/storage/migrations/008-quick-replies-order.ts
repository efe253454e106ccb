import type { Knex } from 'knex';
import { createGroupTables } from './001-initial';

/**
 * Issue 17's engine part and issue 14's clean-up:
 * - each operator orders the quick replies he sees (his own and his groups' shared ones): one row per
 *   operator and reply, so one operator's order never moves another's;
 * - an operator's console language (null: the browser's);
 * - `groups` and `group_memberships` go: every config save rewrote them and nothing read them (the
 *   routing config is the one place groups and memberships live).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('quick_reply_positions', (t) => {
    t.uuid('operator_id').notNullable().references('operators.id').onDelete('CASCADE');
    t.uuid('quick_reply_id').notNullable().references('quick_replies.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.primary(['operator_id', 'quick_reply_id']);
  });
  await knex.schema.alterTable('operators', (t) => {
    t.text('locale').nullable().checkIn(['en', 'ru'], 'operators_locale_check');
  });
  await knex.schema.dropTableIfExists('group_memberships');
  await knex.schema.dropTableIfExists('groups');
}

export async function down(knex: Knex): Promise<void> {
  await createGroupTables(knex);
  await knex.schema.alterTable('operators', (t) => {
    t.dropChecks('operators_locale_check');
    t.dropColumn('locale');
  });
  await knex.schema.dropTableIfExists('quick_reply_positions');
}
