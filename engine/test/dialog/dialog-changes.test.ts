import { expect } from 'chai';
import type { DialogDetail, OperatorSelf, VisitorDialogView } from '@hotline/protocol';
import {
  call,
  chatStart,
  clientId,
  connectOperator,
  connectVisitor,
  eventually,
  next,
} from '../support/clients';
import { type Backends, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';

interface Payload {
  event: { type: string } | null;
  from: string;
  to: string;
  version: number;
  messages: { body: string; seq: number }[];
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`dialog change outbox (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING }, (s) => {
      server = s;
    });

    it('when a dialog is started, assigned, answered and closed, then its changes are in the outbox in order, gap-free, with their messages, and a reader resumes after the last id', async () => {
      const { repo } = server.engine;
      const start = (await repo.changesSince(0, 10_000)).at(-1)?.id ?? 0;
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const assigned = next<DialogDetail>(anna, 'dialog:assigned');
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support', 'first'));
      await assigned;
      await call(anna, 'message:send', { dialogId: view.id, clientMessageId: clientId(), body: 'answer' });
      await call(anna, 'dialog:close', { dialogId: view.id, outcome: 'resolved' });

      // The read horizon waits for every older transaction of the cluster (other suites share it).
      let changes: Awaited<ReturnType<typeof repo.changesSince>> = [];
      await eventually(
        async () => {
          changes = (await repo.changesSince(start, 1000)).filter((c) => c.dialogId === view.id);
          return changes.length >= 3;
        },
        20_000,
        'the three changes past the read horizon',
      );
      // Created and assigned in one commit (an operator had room): one change, its last event ASSIGNED.
      expect(changes.map((c) => c.seq)).to.deep.equal([1, 2, 3]);
      const payloads = changes.map((c) => c.payload as Payload);
      expect(payloads.map((p) => p.event?.type)).to.deep.equal(['ASSIGNED', 'OPERATOR_MESSAGE', 'CLOSE']);
      expect(payloads.map((p) => [p.from, p.to])).to.deep.equal([
        ['created', 'assigned'],
        ['assigned', 'active'],
        ['active', 'closed'],
      ]);
      expect(payloads[0]!.messages.map((m) => m.body)).to.include('first');
      expect(payloads[1]!.messages.map((m) => m.body)).to.deep.equal(['answer']);
      // Versions follow the dialog's: each change is the version it wrote.
      const versions = payloads.map((p) => p.version);
      expect(versions).to.deep.equal([...versions].sort((a, b) => a - b));
      // Global ids increase; a reader after the last id gets nothing more, and `limit` bounds a batch.
      const ids = changes.map((c) => c.id);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      expect(
        (await repo.changesSince(ids.at(-1)!, 1000)).filter((c) => c.dialogId === view.id),
      ).to.deep.equal([]);
      expect(await repo.changesSince(start, 2)).to.have.length(2);
    });

    it('when a returning visitor is assigned and then transferred, then each new holder is handed, with the change, the same detail a read gives (messages, card, earlier dialogs)', async () => {
      const { reader, repo } = server.engine;
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const first = next<DialogDetail>(anna, 'dialog:assigned');
      const earlier = await call<VisitorDialogView>(
        visitor,
        'dialog:start',
        chatStart('support', 'first visit'),
      );
      await first;
      await call(anna, 'message:send', { dialogId: earlier.id, clientMessageId: clientId(), body: 'hello' });
      await call(anna, 'dialog:close', { dialogId: earlier.id, outcome: 'resolved' });

      const again = next<DialogDetail>(anna, 'dialog:assigned', (d) => d.id !== earlier.id);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support', 'back again'));
      const handed = await again;
      const read = await reader.detail((await repo.findDialog(view.id))!);
      expect(handed).to.deep.equal(read);
      expect(handed.history.map((h) => h.dialog.id)).to.deep.equal([earlier.id]);
      expect(handed.history[0]!.messages.map((m) => m.body)).to.include.members(['first visit', 'hello']);
      expect(handed.visitor.earlierDialogs).to.equal(1);
      expect(handed.messages.map((m) => m.body)).to.include('back again');

      const boris = await connectOperator(server.url, 'boris@example.com');
      const borisSelf = await call<OperatorSelf>(boris, 'presence:set', { status: 'online' });
      const transferred = next<DialogDetail>(boris, 'dialog:assigned', (d) => d.id === view.id);
      await call(anna, 'dialog:transfer', { dialogId: view.id, toOperatorId: borisSelf.operatorId });
      const toBoris = await transferred;
      expect(toBoris).to.deep.equal(await reader.detail((await repo.findDialog(view.id))!));
      expect(toBoris.operatorId).to.equal(borisSelf.operatorId);
    });

    it('when a change is written by a transaction still open, then neither it nor a later committed change is read until it commits; then both are, in id order', async function () {
      const { repo, database } = server.engine;
      // PGlite has one connection: a transaction held open would block every other statement.
      if (database.backend === 'pglite') return this.skip();
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support'));
      let after = 0;
      await eventually(
        async () => {
          const seen = await repo.changesSince(0, 100_000);
          after = seen.at(-1)?.id ?? 0;
          return seen.some((c) => c.dialogId === view.id);
        },
        20_000,
        'the started dialog past the read horizon',
      );

      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let written!: (id: number) => void;
      const slowId = new Promise<number>((resolve) => {
        written = resolve;
      });
      const slow = database.db.transaction(async (trx) => {
        const outcome = await repo.saveMessage(trx, view.id, {
          kind: 'message',
          payload: { note: 'slow' },
          nodeId: 'test',
          events: [],
          messages: [],
        });
        if (outcome.kind !== 'written') throw new Error(`the slow change was not written: ${outcome.kind}`);
        written(outcome.change.id);
        await held;
      });
      const slowChangeId = await slowId;
      // A later change of another dialog commits while the slow one is open.
      const other = await connectVisitor(server.url);
      const otherView = await call<VisitorDialogView>(other, 'dialog:start', chatStart('night'));
      const during = await repo.changesSince(after, 1000);
      expect(during.map((c) => c.id)).to.not.include(slowChangeId);
      expect(during.filter((c) => c.dialogId === otherView.id)).to.deep.equal([]);
      release();
      await slow;
      let later: Awaited<ReturnType<typeof repo.changesSince>> = [];
      await eventually(
        async () => {
          later = await repo.changesSince(after, 1000);
          return later.some((c) => c.dialogId === otherView.id);
        },
        20_000,
        'both changes once the slow transaction committed',
      );
      const ids = later.map((c) => c.id);
      expect(ids).to.include(slowChangeId);
      expect(later.filter((c) => c.dialogId === otherView.id)).to.have.length.greaterThan(0);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    });

    it('when a change statement and a dialog read run again on a connection, then Postgres runs them as the named statements it prepared there (planned once), and PGlite runs them unnamed', async () => {
      const { repo, database } = server.engine;
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support'));
      const write = { kind: 'message' as const, payload: null, nodeId: 'test', events: [], messages: [] };
      // One transaction: one connection, whose named statements pg_prepared_statements lists.
      const [before, seqs, after] = await database.db.transaction(async (trx) => {
        const prepared = async () =>
          database.backend === 'pglite'
            ? new Map<string, number>()
            : new Map(
                (
                  await trx.raw<{ rows: { name: string; runs: number }[] }>(
                    `select name, generic_plans + custom_plans as runs from pg_prepared_statements
                     where name like 'hotline_%'`,
                  )
                ).rows.map((r) => [r.name, Number(r.runs)]),
              );
        const first = await prepared();
        const seqs: number[] = [];
        for (let i = 0; i < 3; i++) {
          const outcome = await repo.saveMessage(trx, view.id, write);
          if (outcome.kind !== 'written') throw new Error(`the change was not written: ${outcome.kind}`);
          seqs.push(outcome.change.seq);
          expect((await repo.findDialog(view.id, trx))?.id).to.equal(view.id);
        }
        return [first, seqs, await prepared()];
      });
      expect(seqs).to.deep.equal([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
      if (database.backend === 'pglite') return;
      const runs = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
      expect(runs('hotline_find_dialog')).to.equal(3);
      const changes = [...after.keys()].filter(
        (name) => name.startsWith('hotline_change_') && runs(name) > 0,
      );
      expect(changes.map(runs)).to.deep.equal([3]);
    });
  });
}
