import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createLogger } from '../../src/logger';
import { RoutingConfigService } from '../../src/routing-config/routing-config-service';
import { AuditRepository } from '../../src/storage/audit-repository';
import { ConfigVersionRepository } from '../../src/storage/config-version-repository';
import { type DatabaseHandle, migrate, openDatabase } from '../../src/storage/database';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Written before `operatorId` became `operatorEmail`. */
const OLD_YAML = `
groups:
  - id: sales
    name: Sales
operators:
  - operatorId: anna@example.com
    groups: [{ groupId: sales }]
defaultRoute: { groupId: sales }
`;
const oldStored = {
  groups: [{ id: 'sales', name: 'Sales' }],
  operators: [{ operatorId: 'Boris@Example.com', groups: [{ groupId: 'sales' }], limit: 4 }],
  defaultRoute: { groupId: 'sales' },
};

describe('routing config written with the deprecated operatorId key', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-keys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when the config check reads an old routing file, then it passes and warns that the key is deprecated', () => {
    const path = join(dir, 'routing.yaml');
    writeFileSync(path, OLD_YAML);
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'engine/src/cli/check-config.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, ROUTING_CONFIG: path },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr.trim().split('\n')).to.deep.equal([
      `warning: ${path}: operators[0].operatorId is deprecated: write operatorEmail`,
    ]);
  });

  describe('in Postgres', () => {
    let database: DatabaseHandle;
    let schema: string;
    let versions: ConfigVersionRepository;
    const supervisorId = randomUUID();
    before(async () => {
      // Postgres is one of this project's services: its absence fails the suite, it is not skipped.
      schema = freshSchema();
      database = await openDatabase({ url: TEST_DATABASE_URL, dataDir: dir, schema });
      await migrate(database.db, schema);
      await database.db('operators').insert({
        id: supervisorId,
        email: 'admin@example.com',
        name: 'Admin',
        role: 'supervisor',
        password_hash: 'unused',
      });
      versions = new ConfigVersionRepository(database.db, new AuditRepository(database.db));
    });
    after(async () => {
      await database?.close();
      if (schema) await dropSchema(schema);
    });

    it('when an old stored JSON is the latest version, then it loads, and the next save writes operatorEmail', async () => {
      await versions.save(oldStored, { authorId: null, source: 'test', comment: 'before the rename' });
      const service = new RoutingConfigService(versions, createLogger('silent', 'test'));
      const loaded = await service.load(join(dir, 'absent.yaml'));
      expect(loaded.config.operators).to.have.length(1);
      expect(loaded.config.operators[0]!.operatorEmail).to.equal('boris@example.com');
      expect(loaded.config.operators[0]!.limit).to.equal(4);

      const { saved, created } = await service.replacePart(
        'operators',
        'boris@example.com',
        { groups: [{ groupId: 'sales' }], limit: 2 },
        supervisorId,
      );
      expect(created, 'the old-key profile is found under its e-mail').to.equal(false);
      const stored = await versions.find(saved.version);
      expect(stored?.config).to.deep.equal({
        ...oldStored,
        operators: [{ operatorEmail: 'boris@example.com', groups: [{ groupId: 'sales' }], limit: 2 }],
      });
    });

    it('when an old YAML is the first start, then version 1 is stored with operatorEmail', async () => {
      await database.db('routing_config_versions').del();
      const path = join(dir, 'first.yaml');
      writeFileSync(path, OLD_YAML);
      const service = new RoutingConfigService(versions, createLogger('silent', 'test'));
      const loaded = await service.load(path);
      const stored = await versions.find(loaded.version);
      expect(stored?.config).to.have.nested.property('operators[0].operatorEmail', 'anna@example.com');
      expect(stored?.config).to.not.have.nested.property('operators[0].operatorId');
    });
  });
});
