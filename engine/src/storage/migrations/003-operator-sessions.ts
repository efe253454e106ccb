import type { Knex } from 'knex';

/**
 * Server-side operator sessions: a session token names its row (`sid`), so logout, a password
 * change, deactivation or a role change revoke it at once, on every node.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('operator_sessions', (t) => {
    t.uuid('id').primary();
    t.uuid('operator_id').notNullable().references('operators.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_reason');
    t.text('user_agent');
    t.text('ip');
    t.index(['operator_id', 'expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('operator_sessions');
}
