import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('configuration', () => {
  it('when the environment is empty, then every default applies', () => {
    const config = loadConfig({});
    expect(config.PORT).to.equal(3000);
    expect(config.DATABASE_URL).to.equal(undefined);
    expect(config.REDIS_URL).to.equal(undefined);
    expect(config.SEED_DEMO).to.equal(false);
    expect(config.TRUST_PROXY).to.equal(0);
    expect(config.dataDir).to.match(/data$/);
  });

  const bad: [Record<string, string>, string][] = [
    [{ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL: not a redis:// URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: not a postgres:// URL'],
    [{ PORT: 'eighty' }, 'PORT: must be a port number'],
    [{ PORT: '70000' }, 'PORT:'],
    [{ SEED_DEMO: 'maybe' }, 'SEED_DEMO: must be true or false'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET: must be at least 32 characters'],
    [{ ADMIN_EMAIL: 'not-an-email' }, 'ADMIN_EMAIL: not an e-mail address'],
    [{ ADMIN_EMAIL: 'a@b.co' }, 'ADMIN_PASSWORD: required with ADMIN_EMAIL'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY: must be a number of proxy hops'],
    [{ TRUST_PROXY: '1.5' }, 'TRUST_PROXY: must be a number of proxy hops'],
    [
      { NODE_ENV: 'production', SEED_DEMO: 'true' },
      'SEED_DEMO: demo accounts are refused with NODE_ENV=production',
    ],
    [
      { NODE_ENV: 'production', ADMIN_EMAIL: 'boss@shop.example', ADMIN_PASSWORD: 'demo-password' },
      'ADMIN_PASSWORD: a known demo password is refused with NODE_ENV=production',
    ],
  ];
  for (const [env, message] of bad) {
    it(`when ${Object.keys(env).join(', ')} is bad, then the error names it: "${message}"`, () => {
      expect(() => loadConfig(env))
        .to.throw(ConfigError)
        .with.property('message')
        .that.contains(message);
    });
  }

  it('when the engine starts with a bad variable, then it exits 2 with one line naming it', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'engine/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, REDIS_URL: 'http://nope' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).to.equal(2);
    expect(result.stderr.trim().split('\n')).to.deep.equal(['REDIS_URL: not a redis:// URL']);
  });
});
