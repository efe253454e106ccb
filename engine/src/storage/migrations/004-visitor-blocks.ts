import type { Knex } from 'knex';

/**
 * Client addresses refused after an operator blocked a visitor from them, until `expires_at`: a
 * spammer who clears his storage (a new token) is still refused. One row per address; a later block
 * moves its expiry.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('visitor_blocks', (t) => {
    t.text('address').primary();
    t.uuid('visitor_id').notNullable();
    t.text('reason').notNullable();
    t.timestamp('blocked_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('visitor_blocks');
}
