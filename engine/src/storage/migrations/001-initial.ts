import type { Knex } from 'knex';

/**
 * The durable model. Dialog rows carry the machine snapshot and a version for optimistic writes;
 * messages carry client ids and auto-message keys whose unique indexes make retries idempotent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('settings', (t) => {
    t.text('key').primary();
    t.text('value').notNullable();
  });

  await knex.schema.createTable('operators', (t) => {
    t.uuid('id').primary();
    t.text('email').notNullable().unique();
    t.text('name').notNullable();
    t.text('display_name');
    t.text('avatar_url');
    t.text('role').notNullable().checkIn(['operator', 'supervisor']);
    t.text('password_hash').notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    // The presence he chose last, so routing state rebuilt after a Redis loss keeps it.
    t.text('presence').notNullable().defaultTo('offline').checkIn(['online', 'away', 'offline']);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('routing_config_versions', (t) => {
    t.increments('version').primary();
    t.jsonb('config').notNullable();
    t.uuid('author_id').references('operators.id');
    t.text('source').notNullable();
    t.text('comment');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // Projection of the current routing config, rewritten in the same transaction as each version,
  // so reports and lead lists can join on groups.
  await createGroupTables(knex);

  await knex.schema.createTable('visitors', (t) => {
    t.uuid('id').primary();
    t.text('token_hash').notNullable().unique();
    t.text('site_id').notNullable();
    t.text('name');
    t.text('email');
    t.text('phone');
    t.text('language');
    t.text('user_agent');
    t.text('ip');
    t.timestamp('blocked_at', { useTz: true });
    t.text('blocked_reason');
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('dialogs', (t) => {
    t.uuid('id').primary();
    t.uuid('visitor_id').notNullable().references('visitors.id');
    t.text('site_id').notNullable();
    t.text('kind').notNullable().defaultTo('chat').checkIn(['chat', 'callback']);
    t.text('state').notNullable();
    t.jsonb('snapshot').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.text('group_id');
    t.text('topic_id');
    t.text('region_id');
    t.integer('priority').notNullable().defaultTo(0);
    t.text('locale').notNullable().defaultTo('en');
    t.uuid('operator_id').references('operators.id');
    t.jsonb('contact');
    t.jsonb('callback');
    t.jsonb('page');
    t.text('outcome');
    t.smallint('rating');
    t.uuid('previous_dialog_id').references('dialogs.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('queued_at', { useTz: true });
    t.timestamp('assigned_at', { useTz: true });
    t.timestamp('first_response_at', { useTz: true });
    t.timestamp('first_auto_response_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true });
    t.index(['visitor_id', 'created_at']);
    t.index(['state']);
    t.index(['operator_id', 'state']);
    t.index(['group_id', 'state']);
  });

  await knex.schema.createTable('messages', (t) => {
    t.uuid('id').primary();
    t.bigIncrements('seq', { primaryKey: false });
    t.uuid('dialog_id').notNullable().references('dialogs.id').onDelete('CASCADE');
    t.text('author_kind').notNullable().checkIn(['visitor', 'operator', 'auto', 'system']);
    t.uuid('operator_id').references('operators.id');
    t.text('auto_kind');
    t.text('auto_key');
    t.text('client_message_id');
    t.text('body').notNullable();
    t.jsonb('meta');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dialog_id', 'client_message_id']);
    t.unique(['dialog_id', 'auto_key']);
    t.index(['dialog_id', 'seq']);
  });

  await knex.schema.createTable('visitor_pages', (t) => {
    t.bigIncrements('id');
    t.uuid('visitor_id').notNullable().references('visitors.id').onDelete('CASCADE');
    t.uuid('dialog_id').references('dialogs.id').onDelete('SET NULL');
    t.text('url').notNullable();
    t.text('title');
    t.text('referrer');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['visitor_id', 'at']);
  });

  await knex.schema.createTable('dialog_events', (t) => {
    t.bigIncrements('id');
    t.uuid('dialog_id').notNullable().references('dialogs.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.text('type').notNullable();
    t.text('from_state');
    t.text('to_state').notNullable();
    t.jsonb('payload');
    t.text('node_id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dialog_id', 'version']);
  });

  await knex.schema.createTable('quick_replies', (t) => {
    t.uuid('id').primary();
    t.uuid('operator_id').references('operators.id').onDelete('CASCADE');
    t.text('group_id');
    t.text('shortcut').notNullable();
    t.text('title').notNullable();
    t.text('body').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.uuid('actor_id').references('operators.id');
    t.text('action').notNullable();
    t.text('target');
    t.jsonb('details');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_log',
    'quick_replies',
    'dialog_events',
    'visitor_pages',
    'messages',
    'dialogs',
    'visitors',
    'group_memberships',
    'groups',
    'routing_config_versions',
    'operators',
    'settings',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}

/** Groups and memberships as rows (dropped by 008: nothing read them; its down brings them back). */
export async function createGroupTables(knex: Knex): Promise<void> {
  await knex.schema.createTable('groups', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.integer('config_version').notNullable();
  });
  await knex.schema.createTable('group_memberships', (t) => {
    t.text('group_id').notNullable().references('groups.id').onDelete('CASCADE');
    t.uuid('operator_id').notNullable().references('operators.id').onDelete('CASCADE');
    t.text('tier').notNullable().checkIn(['primary', 'secondary']);
    t.integer('limit').notNullable();
    t.primary(['group_id', 'operator_id']);
  });
}
