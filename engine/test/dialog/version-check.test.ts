import { expect } from 'chai';
import type { Locks } from '../../src/locks/dialog-locks';
import type { VisitorDialogView } from '@hotline/protocol';
import { call, closeAllSockets, connectVisitor } from '../support/clients';
import {
  type Backends,
  backendsAvailable,
  startTestServer,
  TEST_ROUTING,
  type TestServer,
} from '../support/engine';

/** Locks that do nothing: as if every node had lost its lock (expired, partitioned, paused). */
const noLocks: Locks = {
  withLock: (_key, work) => work(),
  tryLease: async (_key, _ttl, work) => {
    await work();
    return true;
  },
};

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`dialog writes without any lock (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;

    before(async function () {
      if (!(await backendsAvailable(backends))) return this.skip();
      server = await startTestServer(backends, { routingConfigPath: TEST_ROUTING });
    });
    after(async () => {
      closeAllSockets();
      await server?.cleanup();
    });

    it('when many events for one dialog race with no lock held, then the version check keeps every one and loses none', async () => {
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', {
        choice: { groupId: 'night' },
        page: { url: 'http://shop.test/' },
      });
      const dialogs = server.engine.dialogs as unknown as { deps: { locks: Locks } };
      const original = dialogs.deps.locks;
      dialogs.deps.locks = noLocks;
      try {
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            server.engine.dialogs.dispatch(view.id, { type: 'VISITOR_MESSAGE' }),
          ),
        );
        expect(results.every((r) => r.accepted)).to.equal(true);
        const after = (await server.engine.repo.findDialog(view.id))!;
        // Every committed transition has its own version: none overwrote another (timers may add some).
        const versions = (
          await server.engine.database
            .db('dialog_events')
            .where({ dialog_id: view.id })
            .orderBy('version')
            .pluck('version')
        ).map(Number);
        expect(versions).to.deep.equal(Array.from({ length: after.version - 1 }, (_, i) => i + 2));
        const messages = await server.engine.database
          .db('dialog_events')
          .where({ dialog_id: view.id, type: 'VISITOR_MESSAGE' })
          .count<{ count: string | number }[]>('id as count');
        expect(Number(messages[0]?.count)).to.equal(20);
      } finally {
        dialogs.deps.locks = original;
      }
    });
  });
}
