import { expect } from 'chai';
import { OPEN_STATES } from '../../src/dialog/dialog-views';
import type { MessageView, VisitorDialogView, VisitorSession } from '@hotline/protocol';
import {
  call,
  callRaw,
  chatStart,
  clientId,
  closeAllSockets,
  connectOperator,
  connectVisitor,
} from '../support/clients';
import {
  backendsAvailable,
  resetDialogs,
  startTestServer,
  TEST_ROUTING,
  type TestServer,
} from '../support/engine';

const ROUNDS = 40;

/**
 * One tab writes to the visitor's recently closed dialog (message:send reopens it) while another tab
 * starts a new one (dialog:start): both take the visitor's row lock, so he ends with one open dialog
 * and the message in it, whichever wins.
 */
describe('reopen racing a start from another tab (Postgres + Redis)', function () {
  this.timeout(120_000);
  let server: TestServer;

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    server = await startTestServer('real', {
      routingConfigPath: TEST_ROUTING,
      RECONCILE_INTERVAL_MS: 600_000,
    });
  });
  afterEach(async () => {
    closeAllSockets();
    if (server) await resetDialogs(server);
  });
  after(async () => server?.cleanup());

  it(`when one tab reopens a closed dialog by writing while another starts a new one (${ROUNDS} rounds), then the visitor never has two open dialogs and the message lands in his open one`, async () => {
    const { repo } = server.engine;
    const anna = await connectOperator(server.url, 'anna@example.com');
    await call(anna, 'presence:set', { status: 'online' });
    for (let round = 0; round < ROUNDS; round++) {
      const first = await connectVisitor(server.url);
      const { visitorId, visitorToken } = await call<VisitorSession>(first, 'session:resume');
      const second = await connectVisitor(server.url, { visitorToken });
      const before = await call<VisitorDialogView>(first, 'dialog:start', chatStart('support'));
      await call(first, 'dialog:close', {});
      expect((await repo.findDialog(before.id))?.closedAt, 'closed, within the reopen window').to.not.equal(
        null,
      );

      const body = `round ${round}`;
      const [written, start] = await Promise.all([
        callRaw<MessageView>(first, 'message:send', { clientMessageId: clientId(), body }),
        callRaw<VisitorDialogView>(second, 'dialog:start', chatStart('support', 'a new question')),
      ]);
      expect(written, 'message:send answered').to.have.property('data');
      expect(start, 'dialog:start answered').to.have.property('data');

      const open = (await repo.dialogsOfVisitor(visitorId)).filter((d) =>
        OPEN_STATES.some((state) => state === d.state),
      );
      expect(
        open.map((d) => d.id),
        `round ${round}: open dialogs`,
      ).to.have.length(1);
      const message = 'data' in written ? written.data : null;
      expect(message?.dialogId, `round ${round}: the message is in the open dialog`).to.equal(open[0]!.id);
      first.disconnect();
      second.disconnect();
    }
  });
});
