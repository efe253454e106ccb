import type { Knex } from 'knex';

/**
 * Files in dialogs (docs/attachments.md): one row per upload slot, from `attachment:prepare`
 * (`pending`) through the upload (`ready`, or `refused` by the checks) to the message that sends it
 * (`used`, `message_id`). The bytes live in the FileStore under `storage_key`; `removed_at` marks
 * files deleted by retention, whose message keeps a placeholder.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('attachments', (t) => {
    t.uuid('id').primary();
    t.uuid('dialog_id').notNullable().references('id').inTable('dialogs').onDelete('CASCADE');
    t.text('site_id').notNullable();
    t.text('uploaded_by_kind').notNullable();
    t.uuid('uploaded_by').notNullable();
    t.text('name').notNullable();
    t.text('declared_type').notNullable();
    t.text('type');
    t.bigInteger('size').notNullable();
    t.text('kind');
    t.integer('width');
    t.integer('height');
    t.text('status').notNullable().defaultTo('pending');
    t.text('storage_key');
    t.text('thumbnail_key');
    t.uuid('message_id').references('id').inTable('messages').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('uploaded_at', { useTz: true });
    t.timestamp('removed_at', { useTz: true });
    t.index(['dialog_id']);
    t.index(['message_id']);
    t.index(['status', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('attachments');
}
