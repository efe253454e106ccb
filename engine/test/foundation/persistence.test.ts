import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startServer } from '../../src/server';
import { login } from '../support/clients';
import { TEST_ROUTING } from '../support/engine';

describe('embedded storage across restarts', function () {
  this.timeout(60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'hotline-data-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const boot = () =>
    startServer(
      {
        PORT: 0,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        SEED_DEMO: true,
        dataDir,
        routingConfigPath: TEST_ROUTING,
      },
      { env: {} },
    );

  it('when the engine stops and starts again on the same data dir, then accounts, config versions and dialogs are still there', async () => {
    const first = await boot();
    const created = await first.engine.operatorsRepo.create({
      email: 'kept@example.com',
      name: 'Kept',
      password: 'kept-password',
      role: 'operator',
    });
    const version = first.engine.routingConfig.current().version;
    await first.stop();

    const second = await boot();
    try {
      expect(await login(second.url, 'kept@example.com', 'kept-password')).to.be.a('string');
      expect((await second.engine.operatorsRepo.findById(created.id))?.email).to.equal('kept@example.com');
      expect(second.engine.routingConfig.current().version).to.equal(version);
      expect(await second.engine.operatorsRepo.count(), 'the demo is seeded once, not again').to.equal(6);
    } finally {
      await second.stop();
    }
  });
});
