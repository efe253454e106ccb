import { OperatorRepository } from '../accounts/operator-repository';
import { seedAccounts } from '../accounts/seed';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { migrate, openDatabase } from '../storage/database';

/** `npm run seed`: creates the first supervisor (ADMIN_EMAIL/ADMIN_PASSWORD) and the demo accounts on an empty database. */
const config = loadConfig();
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: config.dataDir,
  schema: config.DATABASE_SCHEMA,
});
await migrate(database.db);
const created = await seedAccounts(
  new OperatorRepository(database.db),
  config,
  createLogger('warn', config.NODE_ID),
);
process.stdout.write(
  created.length ? `created: ${created.join(', ')}\n` : 'nothing to seed: accounts exist\n',
);
await database.close();
