import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { DialogDetail, VisitorDialogView } from '@hotline/protocol';
import type { OperatorSocket } from '../support/clients';
import {
  call,
  clientId,
  closeAllSockets,
  collect,
  connectOperator,
  connectVisitor,
  next,
} from '../support/clients';
import {
  type Backends,
  backendsAvailable,
  resetDialogs,
  startTestServer,
  type TestServer,
} from '../support/engine';

const ROUTING = fileURLToPath(new URL('../fixtures/routing-skills.yaml', import.meta.url));
const OPERATORS = ['anna', 'boris', 'carl', 'dina'] as const;
type Name = (typeof OPERATORS)[number];

/** The operators' profiles (fixture) alone decide: equal load, one strategy, same tier. */
for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`operators' profiles in ranking (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let sockets: Record<Name, OperatorSocket>;

    before(async function () {
      if (!(await backendsAvailable(backends))) return this.skip();
      server = await startTestServer(backends, { routingConfigPath: ROUTING });
    });
    beforeEach(async function () {
      if (!server) return this.skip();
      sockets = {} as Record<Name, OperatorSocket>;
      for (const name of OPERATORS) sockets[name] = await connectOperator(server.url, `${name}@example.com`);
    });
    afterEach(async () => {
      closeAllSockets();
      if (server) await resetDialogs(server);
    });
    after(async () => server?.cleanup());

    const online = async (...names: Name[]) => {
      for (const name of names) await call(sockets[name], 'presence:set', { status: 'online' });
    };
    /** Who receives the dialog `start` creates (the first dialog:assigned among the operators). */
    const receiver = async (
      start: (visitor: Awaited<ReturnType<typeof connectVisitor>>) => Promise<VisitorDialogView>,
    ) => {
      const visitor = await connectVisitor(server.url);
      await call(visitor, 'session:resume');
      const views = OPERATORS.map((name) =>
        next<DialogDetail>(sockets[name], 'dialog:assigned', () => true, 5_000).then((d) => ({
          name,
          id: d.id,
        })),
      );
      const view = await start(visitor);
      const first = await Promise.any(views).catch(async (error) => {
        const row = await server.engine.repo.findDialog(view.id);
        throw new Error(`nobody got ${view.id} (${row?.state}, operator ${row?.operatorId}): ${error}`);
      });
      expect(first.id).to.equal(view.id);
      return first.name;
    };
    const chat =
      (choice: object, language = 'en') =>
      (visitor: Awaited<ReturnType<typeof connectVisitor>>) =>
        call<VisitorDialogView>(visitor, 'dialog:start', {
          choice,
          page: { url: 'http://shop.test/' },
          language,
          message: { clientMessageId: clientId(), body: 'Hello' },
        });

    it('when a visitor picks a topic, then the operator with that topic skill gets the dialog', async () => {
      await online(...OPERATORS);
      expect(await receiver(chat({ topicId: 'returns' }))).to.equal('carl');
    });

    it('when a visitor writes in Russian, then the operator who speaks it gets the dialog', async () => {
      await online(...OPERATORS);
      expect(await receiver(chat({ groupId: 'help' }, 'ru'))).to.equal('anna');
    });

    it('when a call back is requested, then an operator who takes calls gets it, never one who takes none', async () => {
      await online(...OPERATORS);
      const callback = (visitor: Awaited<ReturnType<typeof connectVisitor>>) =>
        call<VisitorDialogView>(visitor, 'callback:request', { phone: '+7 912 345-67-89' });
      expect(await receiver(callback)).to.equal('dina');
      // Only boris is left online: the call back waits rather than go to him; a chat goes to him.
      for (const name of ['anna', 'carl', 'dina'] as const)
        await call(sockets[name], 'presence:set', { status: 'away' });
      const borisAssigned = collect<DialogDetail>(sockets.boris, 'dialog:assigned');
      const visitor = await connectVisitor(server.url);
      await call(visitor, 'session:resume');
      const waiting = await callback(visitor);
      await new Promise((r) => setTimeout(r, 500));
      expect(borisAssigned.map((d) => d.id)).to.not.include(waiting.id);
      expect((await server.engine.repo.findDialog(waiting.id))?.state).to.equal('queued');
      expect(await receiver(chat({ groupId: 'help' }))).to.equal('boris');
    });
  });
}
