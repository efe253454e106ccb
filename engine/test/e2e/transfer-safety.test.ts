import { expect } from 'chai';
import type { DialogDetail, OperatorSelf } from '@hotline/protocol';
import { checkHoldings } from '../multinode/invariants';
import {
  call,
  callRaw,
  chatStart,
  clientId,
  connectOperator,
  connectVisitor,
  eventually,
  fillOperator,
  next,
} from '../support/clients';
import { type Backends, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`transfers keep every operator within his limit (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING }, (s) => {
      server = s;
    });

    const load = async (operatorId: string) => (await server.engine.store.getOperator(operatorId))?.load;
    const holdingViolations = async () =>
      (await checkHoldings(server.engine.database.db, server.engine.store)).violations;

    /** Boris (limit 1) online and holding one answered sales dialog. */
    async function fullBoris() {
      const boris = await connectOperator(server.url, 'boris@example.com');
      const self = await call<OperatorSelf>(boris, 'presence:set', { status: 'online' });
      const assigned = next<DialogDetail>(boris, 'dialog:assigned');
      await call(await connectVisitor(server.url), 'dialog:start', chatStart('sales'));
      const dialog = await assigned;
      // Answered, so the unanswered threshold of sales does not take it away.
      await call(boris, 'message:send', { dialogId: dialog.id, clientMessageId: clientId(), body: 'Hello' });
      return { boris, borisId: self.operatorId };
    }

    it("when the store loses an away operator's slot, then checkHoldings names him with both counts", async () => {
      const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'support', 1);
      const annaId = held[0]!.operatorId!;
      await call(anna, 'presence:set', { status: 'away' });
      // The hole as it was: the slot freed behind Postgres' back.
      await server.engine.store.release(held[0]!.id, annaId);
      const { mismatches } = await checkHoldings(server.engine.database.db, server.engine.store);
      expect(mismatches).to.deep.equal([{ operatorId: annaId, postgres: 1, store: 0, status: 'away' }]);
    });

    it('when an away operator at her limit transfers to a full operator, then the refusal leaves her load as it was and she never holds more than her limit', async () => {
      const { borisId } = await fullBoris();
      const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'support', 3);
      const annaId = held[0]!.operatorId!;
      // A fourth support visitor waits: anna is full, carl is offline.
      const waiting = await call<{ id: string }>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('support'),
      );
      await call(anna, 'presence:set', { status: 'away' });

      const refused = await callRaw(anna, 'dialog:transfer', {
        dialogId: held[0]!.id,
        toOperatorId: borisId,
        note: 'please take it',
      });
      expect('error' in refused && refused.error.code).to.equal('conflict');
      expect(await load(annaId)).to.equal(3);
      expect(await holdingViolations()).to.deep.equal([]);
      const notes = await server.engine.messageRepo.messages(held[0]!.id);
      expect(notes.map((m) => m.body).filter((b) => b.includes('please take it'))).to.deep.equal([]);

      await call(anna, 'presence:set', { status: 'online' });
      await server.engine.assignments.idle();
      await server.engine.assignments.trigger('support');
      expect(await load(annaId)).to.equal(3);
      expect(
        await server.engine.repo.dialogsInStates(['assigned', 'active'], { operatorId: annaId }),
      ).to.have.length(3);
      expect((await server.engine.repo.findDialog(waiting.id))?.state).to.equal('queued');
      expect(await holdingViolations()).to.deep.equal([]);
    });

    it('when an operator transfers to an operator with room, then the dialog and its slot move together and the note is kept', async () => {
      const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'support', 2);
      const annaId = held[0]!.operatorId!;
      const carl = await connectOperator(server.url, 'carl@example.com');
      const carlSelf = await call<OperatorSelf>(carl, 'presence:set', { status: 'online' });
      const received = next<DialogDetail>(carl, 'dialog:assigned', (d) => d.id === held[0]!.id);
      const removed = next<{ dialogId: string }>(anna, 'dialog:removed', (r) => r.dialogId === held[0]!.id);
      await call(anna, 'dialog:transfer', {
        dialogId: held[0]!.id,
        toOperatorId: carlSelf.operatorId,
        note: 'VIP',
      });
      await Promise.all([received, removed]);
      expect(await load(annaId)).to.equal(1);
      expect(await load(carlSelf.operatorId)).to.equal(1);
      const notes = await server.engine.messageRepo.messages(held[0]!.id);
      expect(notes.filter((m) => m.body.includes('VIP'))).to.have.length(1);
      expect(await holdingViolations()).to.deep.equal([]);
    });

    it('when two transfers race for the last free slot of an operator, then exactly one gets it and nobody is over his limit', async () => {
      const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'support', 2);
      const annaId = held[0]!.operatorId!;
      const boris = await connectOperator(server.url, 'boris@example.com');
      const borisSelf = await call<OperatorSelf>(boris, 'presence:set', { status: 'online' });
      const answers = await Promise.all(
        held.map((d) =>
          callRaw(anna, 'dialog:transfer', {
            dialogId: d.id,
            toOperatorId: borisSelf.operatorId,
            note: `note ${d.id}`,
          }),
        ),
      );
      const refused = answers.filter((a) => 'error' in a);
      expect(refused).to.have.length(1);
      expect('error' in refused[0]! && refused[0].error.code).to.equal('conflict');
      expect(await load(borisSelf.operatorId)).to.equal(1);
      expect(await load(annaId)).to.equal(1);
      expect(await holdingViolations()).to.deep.equal([]);
      // Only the transfer that happened kept its note.
      const notes = (await Promise.all(held.map((d) => server.engine.messageRepo.messages(d.id))))
        .flat()
        .filter((m) => m.body.includes('note '));
      expect(notes).to.have.length(1);
    });

    it('when an away operator transfers to a group, then the dialog is queued there and her slot is freed in the same step', async () => {
      const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'support', 2);
      const annaId = held[0]!.operatorId!;
      await call(anna, 'presence:set', { status: 'away' });
      await call(anna, 'dialog:transfer', { dialogId: held[0]!.id, toGroupId: 'offers' });
      await eventually(
        async () => (await server.engine.repo.findDialog(held[0]!.id))?.state === 'queued',
        5_000,
        'queued in offers',
      );
      expect((await server.engine.store.position(held[0]!.id))?.groupId).to.equal('offers');
      expect(await load(annaId)).to.equal(1);
      expect(await holdingViolations()).to.deep.equal([]);
    });
  });
}
