import type { EngineConfig } from '../config';
import type { Logger } from '../logger';
import type { OperatorRepository } from './operator-repository';

/** Demo accounts; their e-mails match the operator profiles of the shipped routing.yaml. */
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_ACCOUNTS = [
  { email: 'admin@example.com', name: 'Alex Supervisor', role: 'supervisor' as const, displayName: 'Alex' },
  { email: 'anna@example.com', name: 'Anna Petrova', role: 'operator' as const, displayName: 'Anna' },
  { email: 'boris@example.com', name: 'Boris Ivanov', role: 'operator' as const, displayName: 'Boris' },
  { email: 'carl@example.com', name: 'Carl Smith', role: 'operator' as const, displayName: 'Carl' },
  { email: 'dina@example.com', name: 'Dina Orlova', role: 'operator' as const, displayName: 'Dina' },
];

/**
 * On an empty database: the supervisor from ADMIN_EMAIL/ADMIN_PASSWORD, and unless SEED_DEMO=false
 * the documented demo accounts, so the console and the widget have something to show.
 */
export async function seedAccounts(operators: OperatorRepository, config: EngineConfig, logger: Logger): Promise<string[]> {
  const created: string[] = [];
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD && !(await operators.findByEmailWithHash(config.ADMIN_EMAIL))) {
    await operators.create({ email: config.ADMIN_EMAIL, name: 'Administrator', password: config.ADMIN_PASSWORD, role: 'supervisor' });
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
