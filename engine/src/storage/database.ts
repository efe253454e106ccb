import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from './migrations';

export type Database = Knex;
/** A transaction in progress: services pass it to repositories, never query it themselves. */
export type Transaction = Knex.Transaction;

export interface DatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite in `dataDir` is used. */
  url?: string | undefined;
  dataDir: string;
  /** Postgres schema to use (tests run each suite in a fresh one). */
  schema?: string;
}

export interface DatabaseHandle {
  db: Database;
  backend: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/**
 * Opens the database: real Postgres through pg when a URL is given, otherwise embedded Postgres
 * (PGlite, single connection) kept in `dataDir` so it survives restarts. Same SQL and migrations.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  let db: Knex;
  if (options.url) {
    db = knexFactory({
      client: 'pg',
      connection: options.url,
      searchPath: options.schema ? [options.schema, 'public'] : undefined,
      pool: {
        min: 0,
        max: 10,
        afterCreate: (
          conn: { query: (sql: string, cb: (err: Error | null) => void) => void },
          done: (err: Error | null, conn: unknown) => void,
        ) => {
          if (!options.schema) return done(null, conn);
          conn.query(`SET search_path TO "${options.schema}", public`, (err) => done(err, conn));
        },
      },
      acquireConnectionTimeout: 5000,
    });
    if (options.schema) await db.raw(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    db = knexFactory({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: { filename: options.dataDir },
    } as Knex.Config);
  }
  return {
    db,
    backend: options.url ? 'postgres' : 'pglite',
    close: () => db.destroy(),
  };
}

/** Throws when the database does not answer (readiness). */
export async function ping(db: Database): Promise<void> {
  await db.raw('select 1');
}

/** Runs every pending migration; safe to call on each start and from several replicas (knex takes a lock). */
export async function migrate(db: Database, schema?: string): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource, schemaName: schema })) as [
    number,
    string[],
  ];
  return applied;
}
