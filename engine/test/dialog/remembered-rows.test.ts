import { expect } from 'chai';
import type { DialogDetail, MessageView, OperatorSelf, VisitorDialogView } from '@hotline/protocol';
import * as clients from '../support/clients';
import { call, clientId, closeAllSockets, connectOperator, connectVisitor, next } from '../support/clients';
import { backendsAvailable, startTestServer, TEST_ROUTING, type TestServer } from '../support/engine';
import { dropSchema, freshSchema } from '../support/postgres';
import { deleteKeys, testRedis } from '../support/redis';

/**
 * Issue 16: a node decides a dialog's write on the row it last wrote or read, without reading it
 * (DialogService's cache). Another node's write makes that row stale: the version check refuses the
 * write, and what is decided then (who may act, where the visitor's message goes) is decided on a read.
 */
describe('rows a node remembers, changed by another node (two engines on one Postgres and Redis)', function () {
  this.timeout(60_000);
  const shared = { DATABASE_SCHEMA: freshSchema(), routingConfigPath: TEST_ROUTING };
  const prefix = `hltest-${shared.DATABASE_SCHEMA}`;
  const nodes: TestServer[] = [];

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    // One after the other: the first migrates the schema and seeds the accounts.
    for (const _node of ['a', 'b'])
      nodes.push(await startTestServer('real', { ...shared, REDIS_KEY_PREFIX: prefix }));
  });

  after(async () => {
    closeAllSockets();
    await Promise.all(nodes.map((node) => node.cleanup()));
    const redis = await testRedis();
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    await dropSchema(shared.DATABASE_SCHEMA).catch(() => undefined);
  });

  /** A dialog started on node A (which remembers its row), assigned to anna. */
  async function assignedToAnnaOnA() {
    const [a, b] = nodes as [TestServer, TestServer];
    const annaOnA = await connectOperator(a.url, 'anna@example.com');
    const annaOnB = await connectOperator(b.url, 'anna@example.com');
    await call<OperatorSelf>(annaOnA, 'presence:set', { status: 'online' });
    const visitor = await connectVisitor(a.url);
    const assigned = next<DialogDetail>(annaOnA, 'dialog:assigned');
    const view = await call<VisitorDialogView>(visitor, 'dialog:start', clients.chatStart('support'));
    expect((await assigned).id).to.equal(view.id);
    return { annaOnA, annaOnB, visitor, dialogId: view.id };
  }

  it("when the dialog node A remembers as anna's is transferred to carl on node B, then her message on node A is refused as today (forbidden) and nothing is stored", async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const { annaOnA, annaOnB, dialogId } = await assignedToAnnaOnA();
    const carl = await connectOperator(b.url, 'carl@example.com');
    const carlId = (await call<OperatorSelf>(carl, 'presence:set', { status: 'online' })).operatorId;
    await call(annaOnB, 'dialog:transfer', { dialogId, toOperatorId: carlId });
    // Away: he keeps it, and the next tests' dialogs go to anna.
    await call<OperatorSelf>(carl, 'presence:set', { status: 'away' });
    expect((await a.engine.repo.findDialog(dialogId))?.operatorId).to.equal(carlId);

    const refused: unknown = await call(annaOnA, 'message:send', {
      dialogId,
      clientMessageId: clientId(),
      body: 'not mine any more',
    }).catch((error: unknown) => error);
    expect(refused).to.include({ code: 'forbidden', message: 'this dialog is not assigned to you' });
    expect(await storedCount(b, dialogId, 'not mine any more')).to.equal(0);
  });

  it("when the dialog node A remembers as open is closed on node B, then the visitor's next message on node A reopens it, as a read would have decided", async () => {
    const [a] = nodes as [TestServer, TestServer];
    const { annaOnB, visitor, dialogId } = await assignedToAnnaOnA();
    await call(annaOnB, 'dialog:close', { dialogId, outcome: 'resolved' });
    expect((await a.engine.repo.findDialog(dialogId))?.state).to.equal('closed');

    const message = await call<MessageView>(visitor, 'message:send', {
      clientMessageId: clientId(),
      body: 'one more thing',
    });
    expect(message.dialogId).to.equal(dialogId);
    const row = await a.engine.repo.findDialog(dialogId);
    expect(row?.state).to.not.equal('closed');
    expect(await storedCount(a, dialogId, 'one more thing')).to.equal(1);
  });

  it('when a visitor rates his dialog as he closes it, then the close (decided on the remembered row) keeps the rating', async () => {
    const [a] = nodes as [TestServer, TestServer];
    const { visitor, dialogId } = await assignedToAnnaOnA();
    await call(visitor, 'dialog:close', { rating: 5 });
    const row = await a.engine.repo.findDialog(dialogId);
    expect(row?.closedAt).to.not.equal(null);
    expect(row?.rating).to.equal(5);
  });
});

/** How many messages of the dialog have this body, as Postgres has them. */
async function storedCount(node: TestServer, dialogId: string, body: string): Promise<number> {
  return (await node.engine.database.db('messages').where({ dialog_id: dialogId, body })).length;
}
