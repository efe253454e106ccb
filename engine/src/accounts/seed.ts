import { ConfigError, type EngineConfig } from '../config';
import type { Logger } from '../logger';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo-accounts';
import type { OperatorRepository } from './operator-repository';
import { verifyPassword } from './passwords';

export { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo-accounts';

/**
 * On an empty database: the supervisor from ADMIN_EMAIL/ADMIN_PASSWORD, and with SEED_DEMO=true
 * (`npm start`'s quick start; never in production) the documented demo accounts.
 */
export async function seedAccounts(
  operators: OperatorRepository,
  config: EngineConfig,
  logger: Logger,
): Promise<string[]> {
  const created: string[] = [];
  if (
    config.ADMIN_EMAIL &&
    config.ADMIN_PASSWORD &&
    !(await operators.findByEmailWithHash(config.ADMIN_EMAIL))
  ) {
    await operators.create({
      email: config.ADMIN_EMAIL,
      name: 'Administrator',
      password: config.ADMIN_PASSWORD,
      role: 'supervisor',
    });
    created.push(config.ADMIN_EMAIL);
  }
  if (config.SEED_DEMO && (await operators.count()) === created.length) {
    for (const account of DEMO_ACCOUNTS) {
      await operators.create({ ...account, password: DEMO_PASSWORD });
      created.push(account.email);
    }
  }
  if (created.length > 0) logger.info({ accounts: created }, 'seeded accounts');
  return created;
}

/**
 * With NODE_ENV=production, an active demo account that still opens with the demo password (left
 * from a quick start on the same database) stops the engine before it listens. Only the demo
 * e-mails are checked: one hash each, not every account.
 */
export async function refuseDemoAccountsInProduction(
  operators: OperatorRepository,
  config: EngineConfig,
): Promise<void> {
  if (config.NODE_ENV !== 'production') return;
  for (const { email } of DEMO_ACCOUNTS) {
    const account = await operators.findByEmailWithHash(email);
    if (account?.active && (await verifyPassword(DEMO_PASSWORD, account.passwordHash)).ok)
      throw new ConfigError(
        'NODE_ENV',
        `production refuses the demo account ${email} with the demo password: change its password or deactivate it`,
      );
  }
}
