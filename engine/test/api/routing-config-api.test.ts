import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { DEFAULT_TEXTS } from '@hotline/routing-rules';
import { parse } from 'yaml';
import type { DialogDetail, OperatorSelf } from '@hotline/protocol';
import {
  call,
  closeAllSockets,
  connectOperator,
  connectVisitor,
  eventually,
  login,
  next,
} from '../support/clients';
import {
  type Backends,
  backendsAvailable,
  EXAMPLE_ROUTING,
  startTestServer,
  TEST_ROUTING,
  type TestServer,
} from '../support/engine';
import { api } from './rest';

interface ConfigVersion {
  version: number;
  authorId: string | null;
  source: string;
  config: {
    groups: { id: string; limits: { default: number } }[];
    operators: { operatorEmail: string; limit?: number; groups: unknown[] }[];
  };
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`supervisor routing-config API (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let supervisor: string;

    before(async function () {
      if (!(await backendsAvailable(backends))) return this.skip();
      server = await startTestServer(backends, { routingConfigPath: TEST_ROUTING });
      supervisor = await login(server.url, 'admin@example.com');
    });
    afterEach(() => closeAllSockets());
    after(async () => server?.cleanup());

    it('when the shipped example is put and read back, then it round-trips and a new version records the author', async () => {
      const example = parse(readFileSync(EXAMPLE_ROUTING, 'utf8'));
      const put = await api<ConfigVersion>(server, supervisor, 'PUT', '/api/routing-config', {
        config: example,
        comment: 'the shop',
      });
      expect(put.status).to.equal(200);
      const read = await api<ConfigVersion>(server, supervisor, 'GET', '/api/routing-config');
      expect(read.body.data.version).to.equal(put.body.data.version);
      expect(read.body.data.config.groups.map((g) => g.id)).to.deep.equal(
        example.groups.map((g: { id: string }) => g.id),
      );
      const again = await api<ConfigVersion>(server, supervisor, 'PUT', '/api/routing-config', {
        config: read.body.data.config,
      });
      expect(again.status, 'the normalised config validates as it is').to.equal(200);
      const versions = await api<
        { version: number; authorId: string | null; source: string; comment: string | null }[]
      >(server, supervisor, 'GET', '/api/routing-config/versions');
      const mine = versions.body.data.find((v) => v.version === put.body.data.version);
      expect(mine?.authorId).to.be.a('string');
      expect(mine?.source).to.equal('api');
      expect(mine?.comment).to.equal('the shop');
      expect(versions.body.data[versions.body.data.length - 1]?.source).to.match(/^file:/);
    });

    it('when a config without texts is put, then it is stored as entered and read with the built-in texts', async () => {
      const example = parse(readFileSync(EXAMPLE_ROUTING, 'utf8')) as {
        groups: { id: string; texts?: unknown }[];
      };
      const entered = { ...example, groups: example.groups.map(({ texts: _texts, ...group }) => group) };
      const put = await api<ConfigVersion & { entered: typeof entered }>(
        server,
        supervisor,
        'PUT',
        '/api/routing-config',
        { config: entered },
      );
      expect(put.status).to.equal(200);
      const stored = await server.engine.database
        .db('routing_config_versions')
        .where({ version: put.body.data.version })
        .first<{ config: unknown }>();
      const storedConfig = (
        typeof stored?.config === 'string' ? JSON.parse(stored.config) : stored?.config
      ) as {
        groups: { texts?: unknown }[];
      };
      expect(
        storedConfig.groups.every((g) => g.texts === undefined),
        'no default is stored',
      ).to.equal(true);
      expect(put.body.data.entered).to.deep.equal(entered);
      const effective = put.body.data.config as unknown as {
        groups: { texts: Record<string, { greeting: string }> }[];
      };
      expect(effective.groups[0]!.texts.en!.greeting).to.equal(DEFAULT_TEXTS.en!.greeting);

      // Editing one group through its path starts from what was entered: the other groups keep no texts.
      const first = entered.groups[0]!;
      const edited = await api<ConfigVersion>(
        server,
        supervisor,
        'PUT',
        `/api/routing-config/groups/${first.id}`,
        {
          ...first,
          texts: { en: { greeting: 'Our own greeting' } },
        },
      );
      expect(edited.status).to.equal(200);
      const after = await server.engine.database
        .db('routing_config_versions')
        .where({ version: edited.body.data.version })
        .first<{ config: unknown }>();
      const afterConfig = (typeof after?.config === 'string' ? JSON.parse(after.config) : after?.config) as {
        groups: { texts?: unknown }[];
      };
      expect(afterConfig.groups[0]!.texts).to.deep.equal({ en: { greeting: 'Our own greeting' } });
      expect(afterConfig.groups.slice(1).every((g) => g.texts === undefined)).to.equal(true);
    });

    it('when a broken config is put, then 400 lists every error path and nothing is saved', async () => {
      const before = await api<ConfigVersion>(server, supervisor, 'GET', '/api/routing-config');
      const broken = structuredClone(before.body.data.config) as ConfigVersion['config'] & {
        defaultRoute: { groupId: string };
      };
      broken.groups[0]!.limits.default = 0;
      broken.defaultRoute.groupId = 'nowhere';
      const put = await api<ConfigVersion>(server, supervisor, 'PUT', '/api/routing-config', {
        config: broken,
      });
      expect(put.status).to.equal(400);
      const paths = put.body.error.details?.map((d) => d.path);
      expect(paths).to.include('groups[0].limits.default');
      expect(paths).to.include('defaultRoute.groupId');
      const after = await api<ConfigVersion>(server, supervisor, 'GET', '/api/routing-config');
      expect(after.body.data.version).to.equal(before.body.data.version);
    });

    it('when one group is edited through its own path, then the whole config is validated and saved as a new version', async () => {
      const current = await api<ConfigVersion>(server, supervisor, 'GET', '/api/routing-config');
      const support = current.body.data.config.groups.find((g) => g.id === 'support')!;
      const edited = await api<ConfigVersion>(
        server,
        supervisor,
        'PUT',
        '/api/routing-config/groups/support',
        { ...support, limits: { default: 4 } },
      );
      expect(edited.status).to.equal(200);
      expect(edited.body.data.config.groups.find((g) => g.id === 'support')?.limits.default).to.equal(4);
      const bad = await api<ConfigVersion>(server, supervisor, 'PUT', '/api/routing-config/groups/support', {
        ...support,
        strategy: 'fastest',
      });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.details?.[0]?.path).to.match(/^groups\[\d+\]\.strategy$/);
      const unknownPart = await api(server, supervisor, 'PUT', '/api/routing-config/widgets/x', {});
      expect(unknownPart.status).to.equal(400);
      expect(unknownPart.body.error.field).to.equal('collection');
    });

    it('when a limit is lowered, then the operator keeps his dialogs and gets no new ones until he is under it', async () => {
      const carl = await connectOperator(server.url, 'carl@example.com');
      const self = await call<OperatorSelf>(carl, 'presence:set', { status: 'online' });
      const received: DialogDetail[] = [];
      carl.on('dialog:assigned', (d) => received.push(d));
      for (let i = 0; i < self.limit; i++) {
        const visitor = await connectVisitor(server.url);
        await call(visitor, 'dialog:start', {
          choice: { groupId: 'support' },
          page: { url: 'http://shop.test/' },
        });
      }
      await eventually(() => received.length === self.limit, 10_000, 'carl full');
      const current = await api<ConfigVersion>(server, supervisor, 'GET', '/api/routing-config');
      const profile = current.body.data.config.operators.find((o) => o.operatorEmail === 'carl@example.com')!;
      const updated = next<OperatorSelf>(carl, 'self:update', (s) => s.limit === 1);
      const lowered = await api(server, supervisor, 'PUT', '/api/routing-config/operators/carl@example.com', {
        ...profile,
        limit: 1,
      });
      expect(lowered.status).to.equal(200);
      expect((await updated).load).to.equal(self.limit);
      const waiting = await connectVisitor(server.url);
      await call(waiting, 'dialog:start', {
        choice: { groupId: 'support' },
        page: { url: 'http://shop.test/' },
      });
      for (const d of received.slice(0, self.limit - 1)) await call(carl, 'dialog:close', { dialogId: d.id });
      await new Promise((r) => setTimeout(r, 300));
      expect(received, 'at the new limit: nothing new').to.have.length(self.limit);
      expect(await server.engine.store.queue('support')).to.have.length(1);
      await call(carl, 'dialog:close', { dialogId: received[self.limit - 1]!.id });
      await eventually(
        () => received.length === self.limit + 1,
        10_000,
        'the waiting dialog once he is under the limit',
      );
      await call(carl, 'presence:set', { status: 'offline' });
    });

    it('when a supervisor saves on one node, then another node follows without a restart', async function () {
      if (backends !== 'real') return this.skip();
      const other = await startTestServer('real', {
        routingConfigPath: TEST_ROUTING,
        DATABASE_SCHEMA: server.engine.config.DATABASE_SCHEMA,
        REDIS_KEY_PREFIX: server.engine.config.REDIS_KEY_PREFIX,
      });
      try {
        const current = await api<ConfigVersion>(server, supervisor, 'GET', '/api/routing-config');
        const sales = current.body.data.config.groups.find((g) => g.id === 'sales')!;
        const saved = await api<ConfigVersion>(
          server,
          supervisor,
          'PUT',
          '/api/routing-config/groups/sales',
          { ...sales, limits: { default: 7 } },
        );
        await eventually(
          () => other.engine.routingConfig.current().version === saved.body.data.version,
          5000,
          'the other node to follow',
        );
        expect(
          other.engine.routingConfig.current().config.groups.find((g) => g.id === 'sales')?.limits.default,
        ).to.equal(7);
      } finally {
        await other.cleanup();
      }
    });

    it('when an operator calls the supervisor API, then 403; he may read the group list', async () => {
      const anna = await login(server.url, 'anna@example.com');
      expect((await api(server, anna, 'PUT', '/api/routing-config', { config: {} })).status).to.equal(403);
      const groups = await api<{ id: string; unansweredSeconds: number }[]>(
        server,
        anna,
        'GET',
        '/api/groups',
      );
      expect(groups.status).to.equal(200);
      expect(groups.body.data.map((g) => g.id)).to.include('support');
    });
  });
}
