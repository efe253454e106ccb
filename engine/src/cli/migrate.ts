import { loadConfig } from '../config';
import { migrate, openDatabase } from '../storage/database';

/** The migration Job's command: applies pending migrations and exits. */
const config = loadConfig();
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: config.dataDir,
  schema: config.DATABASE_SCHEMA,
});
const applied = await migrate(database.db);
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
await database.close();
