import type { Knex } from 'knex';
import { OPEN } from './009-one-statement-changes';

/**
 * Issue 16, Postgres's part: fewer index entries per routed dialog (docs/capacity.md), the same facts.
 * - A message has a client id (a visitor's or an operator's) or an auto key (an auto-message), rarely
 *   both: each unique index keeps only the rows that have its column. NULLs never conflicted, so what
 *   is refused is unchanged, and `on conflict do nothing` still checks both.
 * - The dialogs' `state` and `(operator_id, state)` indexes serve only reads of open dialogs (lists,
 *   rebuilds, the reconciler): they keep only open rows, so a close adds no entry to them and closed
 *   dialogs, most of the table, stop filling them. `(group_id, state)` stays whole: the handling
 *   times read closed dialogs of a group.
 * - Room on each `dialogs` page (fillfactor 80), so an update that changes no indexed column (a
 *   message-only change, a rating) stays on its page without new index entries (HOT).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table messages drop constraint messages_dialog_id_client_message_id_unique');
  await knex.raw('alter table messages drop constraint messages_dialog_id_auto_key_unique');
  await knex.raw(
    'create unique index messages_client_message_id on messages (dialog_id, client_message_id) where client_message_id is not null',
  );
  await knex.raw(
    'create unique index messages_auto_key on messages (dialog_id, auto_key) where auto_key is not null',
  );
  await knex.raw('drop index dialogs_state_index');
  await knex.raw('drop index dialogs_operator_id_state_index');
  await knex.raw(`create index dialogs_open_state on dialogs (state) where state in (${OPEN})`);
  await knex.raw(
    `create index dialogs_open_operator_state on dialogs (operator_id, state) where state in (${OPEN})`,
  );
  await knex.raw('alter table dialogs set (fillfactor = 80)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table dialogs reset (fillfactor)');
  await knex.raw('drop index dialogs_open_operator_state');
  await knex.raw('drop index dialogs_open_state');
  await knex.schema.alterTable('dialogs', (t) => {
    t.index(['state']);
    t.index(['operator_id', 'state']);
  });
  await knex.raw('drop index messages_auto_key');
  await knex.raw('drop index messages_client_message_id');
  await knex.schema.alterTable('messages', (t) => {
    t.unique(['dialog_id', 'client_message_id']);
    t.unique(['dialog_id', 'auto_key']);
  });
}
