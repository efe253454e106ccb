import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { DialogDetail, DialogSummary, OperatorSelf, VisitorDialogView } from '@hotline/protocol';
import { checkHoldings } from '../multinode/invariants';
import {
  call,
  callRaw,
  chatStart,
  connectOperator,
  connectVisitor,
  fillOperator,
  next,
} from '../support/clients';
import { type Backends, type TestServer, withTestServer } from '../support/engine';

const SUPERVISOR_ROUTING = fileURLToPath(new URL('../fixtures/routing-supervisor.yaml', import.meta.url));

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`supervisor assign and take-over (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: SUPERVISOR_ROUTING }, (s) => {
      server = s;
    });

    const load = async (operatorId: string) => (await server.engine.store.getOperator(operatorId))?.load;
    const holdingViolations = async () =>
      (await checkHoldings(server.engine.database.db, server.engine.store)).violations;

    /** Anna full in support (3 of 3) and one more support visitor waiting in the queue. */
    async function queuedBehindFullAnna() {
      const { operator: anna, held } = await fillOperator(server.url, 'anna@example.com', 'support', 3);
      const visitor = await connectVisitor(server.url);
      const waiting = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support'));
      expect((await server.engine.repo.findDialog(waiting.id))?.state).to.equal('queued');
      return { anna, annaId: held[0]!.operatorId!, held, visitor, waiting };
    }

    it('when a supervisor assigns a queued dialog to an operator with room, then it leaves the queue for him and everyone is told', async () => {
      const { annaId, visitor, waiting } = await queuedBehindFullAnna();
      const boris = await connectOperator(server.url, 'boris@example.com');
      const borisSelf = await call<OperatorSelf>(boris, 'presence:set', { status: 'online' });
      const admin = await connectOperator(server.url, 'admin@example.com');

      const refused = await callRaw(admin, 'dialog:assign', { dialogId: waiting.id, operatorId: annaId });
      expect('error' in refused && refused.error).to.include({ code: 'conflict', field: 'operatorId' });
      expect((await server.engine.repo.findDialog(waiting.id))?.state).to.equal('queued');
      expect(await load(annaId)).to.equal(3);

      const pushed = next<DialogDetail>(boris, 'dialog:assigned', (d) => d.id === waiting.id);
      const told = next<{ state: string }>(visitor, 'dialog:state', (s) => s.state === 'assigned');
      const summary = await call<DialogSummary>(admin, 'dialog:assign', {
        dialogId: waiting.id,
        operatorId: borisSelf.operatorId,
      });
      expect(summary).to.include({ id: waiting.id, state: 'assigned', operatorId: borisSelf.operatorId });
      await Promise.all([pushed, told]);
      expect(await server.engine.store.position(waiting.id)).to.equal(null);
      expect(await load(borisSelf.operatorId)).to.equal(1);
      expect(await holdingViolations()).to.deep.equal([]);

      const again = await callRaw(admin, 'dialog:assign', {
        dialogId: waiting.id,
        operatorId: borisSelf.operatorId,
      });
      expect('error' in again && again.error.code).to.equal('conflict');
    });

    it("when a supervisor takes over a held dialog, then it becomes his and the holder's slot is freed in the same step", async () => {
      const { anna, annaId, held, waiting } = await queuedBehindFullAnna();
      await call(anna, 'presence:set', { status: 'away' });
      const admin = await connectOperator(server.url, 'admin@example.com');

      const offline = await callRaw(admin, 'dialog:takeover', { dialogId: held[0]!.id });
      expect('error' in offline && offline.error.code).to.equal('conflict');
      expect(await load(annaId)).to.equal(3);

      const adminSelf = await call<OperatorSelf>(admin, 'presence:set', { status: 'online' });
      const removed = next<{ dialogId: string }>(anna, 'dialog:removed', (r) => r.dialogId === held[0]!.id);
      const detail = await call<DialogDetail>(admin, 'dialog:takeover', { dialogId: held[0]!.id });
      expect(detail.operatorId).to.equal(adminSelf.operatorId);
      await removed;
      expect(await load(annaId)).to.equal(2);
      expect(await load(adminSelf.operatorId)).to.equal(1);
      expect(await holdingViolations()).to.deep.equal([]);

      // He may write in it now; the queued dialog still waits (anna is away).
      const mine = await call<{ mine: DialogSummary[] }>(admin, 'dialogs:list');
      expect(mine.mine.map((d) => d.id)).to.include(held[0]!.id);
      expect((await server.engine.repo.findDialog(waiting.id))?.state).to.equal('queued');

      await call(admin, 'dialog:takeover', { dialogId: held[1]!.id });
      const full = await callRaw(admin, 'dialog:takeover', { dialogId: held[2]!.id });
      expect('error' in full && full.error.code).to.equal('conflict');
      expect(await load(adminSelf.operatorId)).to.equal(2);
      expect(await holdingViolations()).to.deep.equal([]);
    });

    it('when an operator who is not a supervisor assigns or takes over, or the payload is bad, then it is refused and nothing moves', async () => {
      const { anna, annaId, held, waiting } = await queuedBehindFullAnna();
      const carl = await connectOperator(server.url, 'carl@example.com');
      const carlSelf = await call<OperatorSelf>(carl, 'presence:set', { status: 'online' });
      const assign = await callRaw(anna, 'dialog:assign', {
        dialogId: waiting.id,
        operatorId: carlSelf.operatorId,
      });
      expect('error' in assign && assign.error.code).to.equal('forbidden');
      const takeover = await callRaw(carl, 'dialog:takeover', { dialogId: held[0]!.id });
      expect('error' in takeover && takeover.error.code).to.equal('forbidden');
      const admin = await connectOperator(server.url, 'admin@example.com');
      const bad = await callRaw(admin, 'dialog:assign', { dialogId: waiting.id, operatorId: 'carl' });
      expect('error' in bad && bad.error).to.include({ code: 'bad_request', field: 'operatorId' });
      expect(await load(annaId)).to.equal(3);
      expect(admin.connected).to.equal(true);
    });
  });
}
