import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import { migrationSource } from './migrations';

export type Database = Knex;
/** A transaction in progress: services pass it to repositories, never query it themselves. */
export type Transaction = Knex.Transaction;
/** Where a statement runs: the database (autocommit), or a transaction in progress. */
export type Executor = Database | Transaction;

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
  /**
   * Calls `onNotify` for every NOTIFY on `topic` in this database's schema (see `notifyChannel`), and
   * once each time its listening connection is (re)established, for what was sent while it was not.
   * On PGlite (one process, no other writer) it never calls. A handle without it (a test's own) is polled.
   */
  listen?(topic: string, onNotify: () => void, onError: (error: Error) => void): Listening;
  close(): Promise<void>;
}

export interface Listening {
  stop(): Promise<void>;
}

/**
 * SQL naming the channel of `topic` in the schema a statement runs in (its search path), the one
 * `listen` follows: `select pg_notify(${notifyChannel}, ?)` with the topic as its first binding. Cut to
 * 63 characters: pg_notify refuses a longer channel (a long schema name would fail every save).
 */
export const notifyChannel = "left(?::text || '.' || current_schema(), 63)";

/** How long a listening connection that dropped waits before it connects again. */
const LISTEN_RETRY_MS = 1000;

/** One dedicated connection LISTENing on `topic`'s channel, connected again whenever it drops. */
function listenOn(
  url: string,
  schema: string | undefined,
  topic: string,
  onNotify: () => void,
  onError: (error: Error) => void,
): Listening {
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  const drop = (dropped: pg.Client) => {
    if (client !== dropped) return;
    client = null;
    dropped.end().catch(() => undefined);
    if (stopped) return;
    retry = setTimeout(connect, LISTEN_RETRY_MS);
    retry.unref();
  };
  const connect = async () => {
    const own = new pg.Client({ connectionString: url });
    client = own;
    own.on('notification', () => onNotify());
    own.on('error', (error) => {
      onError(error);
      drop(own);
    });
    own.on('end', () => drop(own));
    try {
      await own.connect();
      if (schema) await own.query(`SET search_path TO "${schema}", public`);
      // The schema as the writers' statements see it, so both name the same channel.
      const { rows } = await own.query<{ channel: string }>(
        `select ${notifyChannel.replace('?', '$1')} as channel`,
        [topic],
      );
      await own.query(`LISTEN "${rows[0]!.channel.replaceAll('"', '""')}"`);
      if (stopped || client !== own) return void own.end().catch(() => undefined);
      onNotify();
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
      drop(own);
    }
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const own = client;
      client = null;
      await own?.end().catch(() => undefined);
    },
  };
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
  const { url, schema } = options;
  return {
    db,
    backend: url ? 'postgres' : 'pglite',
    listen: (topic, onNotify, onError) =>
      url ? listenOn(url, schema, topic, onNotify, onError) : { stop: async () => undefined },
    close: () => db.destroy(),
  };
}

/** The connection knex's pool hands out: a pg client, or the one PGlite; knex tags it with its ids. */
type PooledConnection = (
  | pg.Client
  | { query<R>(text: string, values: unknown[]): Promise<{ rows: R[] }> }
) & { __knexUid?: string; __knexTxId?: string };

/** What a statement knex sent looks like to a `query` listener (the statement counter's tap). */
interface StatementEvent {
  sql: string;
  bindings: unknown[];
  __knexUid?: string | undefined;
  __knexTxId?: string | undefined;
}

/** What `runPrepared` needs of knex's client (knex types it `any`). */
interface PoolClient {
  acquireConnection(): Promise<PooledConnection>;
  releaseConnection(connection: PooledConnection): Promise<unknown>;
  emit(event: 'query', statement: StatementEvent): boolean;
}

/** Each hot statement's text with knex's `?` placeholders numbered as Postgres wants them (`$1`...). */
const positioned = new Map<string, string>();
function positionedText(sql: string): string {
  let text = positioned.get(sql);
  if (text === undefined) {
    let n = 0;
    // knex's rule: `\?` is a literal question mark, any other `?` a binding.
    text = sql.replace(/(\\*)\?/g, (_match, escapes: string) => (escapes.length % 2 ? '?' : `$${++n}`));
    positioned.set(sql, text);
  }
  return text;
}

/**
 * Runs a hot statement (the engine runs a few per routed dialog) straight on a connection of knex's
 * own pool, as a named (prepared) statement, and returns its rows. Straight: knex's runner (query
 * compile, binding positions, its emitters, its connection checks) was ~10 % of the engine's CPU at
 * the bench's rate (knex 6.9 %, lodash 1.6 %, with tarn 1.6 %), for statements whose text never
 * changes. Knex's pool rather than a pg.Pool of our own: one pool with one limit and one search_path
 * setup (`afterCreate`), and a transaction's client hands out the transaction's own connection, so a
 * statement given a transaction runs in it.
 * Every statement is still announced as knex's `query` event, so whoever counts statements (the
 * budget tests) sees these too.
 *
 * Named: Postgres parses and plans it once per connection instead of on every call (planning was half
 * of a routed dialog's Postgres time). The name must always stand for the same text (pg refuses a name
 * reused for another) and the text should select named columns, not `*` (a cached plan whose result
 * type changed fails). PGlite has no named statements: it plans each time, as before. `?` marks a
 * binding (as in knex.raw); an undefined binding is refused as knex refuses it (a bug, not a null).
 */
export async function runPrepared<R>(
  executor: Executor,
  name: string,
  sql: string,
  bindings: unknown[],
): Promise<R[]> {
  if (bindings.includes(undefined)) throw new Error(`undefined binding in statement ${name}`);
  if ('isCompleted' in executor && executor.isCompleted())
    throw new Error(`statement ${name} after its transaction completed`);
  const client: PoolClient = executor.client;
  const text = positionedText(sql);
  const connection = await client.acquireConnection();
  try {
    const { __knexUid, __knexTxId } = connection;
    client.emit('query', { sql: text, bindings, __knexUid, __knexTxId });
    if (connection instanceof pg.Client) {
      return (await connection.query<R & pg.QueryResultRow>({ name, text, values: bindings })).rows;
    }
    return (await connection.query<R>(text, bindings)).rows;
  } finally {
    await client.releaseConnection(connection);
  }
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
