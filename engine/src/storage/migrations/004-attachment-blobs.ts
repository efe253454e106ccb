import type { Knex } from 'knex';

/**
 * Attachments' bytes in Postgres (FILE_STORE=postgres): 256 KB chunks per key, so several replicas
 * share files without another component and no statement ever carries a whole file.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('attachment_blobs', (t) => {
    t.text('key').notNullable();
    t.integer('chunk').notNullable();
    t.binary('data').notNullable();
    t.primary(['key', 'chunk']);
  });
  // Images and PDFs are compressed already: store the chunks out of line as they are, without pglz.
  await knex.raw('ALTER TABLE attachment_blobs ALTER COLUMN data SET STORAGE EXTERNAL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('attachment_blobs');
}
