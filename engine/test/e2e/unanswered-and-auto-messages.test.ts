import { DEFAULT_TEXTS } from '@hotline/routing-rules';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type {
  DialogDetail,
  DialogSummary,
  MessageView,
  OperatorSelf,
  VisitorDialogView,
  VisitorSession,
} from '@hotline/protocol';
import {
  call,
  chatStart,
  collect,
  connectOperator,
  connectVisitor,
  eventually,
  fillOperator,
  next,
} from '../support/clients';
import { type Backends, type TestServer, withTestServer } from '../support/engine';

/** Groups `silent` (no reroute), `quick` (reroute, 1.5 s grace) and `busy` (one seat, early "all busy"). */
const ROUTING = fileURLToPath(new URL('../fixtures/routing-unanswered.yaml', import.meta.url));
const autoKinds = (messages: MessageView[]) =>
  messages.filter((m) => m.authorKind === 'auto').map((m) => m.autoKind);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`unanswered threshold and truthful auto-messages through socket.io (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: ROUTING }, (s) => {
      server = s;
    });

    const online = async (email: string) => {
      const socket = await connectOperator(server.url, email);
      const self = await call<OperatorSelf>(socket, 'presence:set', { status: 'online' });
      return { socket, self };
    };

    describe('case 7: the unanswered auto-message asks for a contact', () => {
      it('when the operator stays silent and no contact is known, then the visitor is asked for one, in his language', async () => {
        const anna = await online('anna@example.com');
        const visitor = await connectVisitor(server.url);
        const messages = collect<MessageView>(visitor, 'message:new');
        const assigned = next<DialogDetail>(anna.socket, 'dialog:assigned');
        await call<VisitorDialogView>(visitor, 'dialog:start', {
          ...chatStart('silent', 'Сколько стоит?'),
          language: 'ru',
        });
        await assigned;
        await eventually(
          () => messages.some((m) => m.autoKind === 'ask-contact'),
          5000,
          'the ask for a contact',
        );
        expect(autoKinds(messages)).to.deep.equal(['unanswered', 'ask-contact']);
        expect(messages.find((m) => m.autoKind === 'ask-contact')?.body).to.equal(
          DEFAULT_TEXTS.ru!.askContact,
        );
        const session = await call<VisitorSession>(visitor, 'session:resume');
        expect(session.dialog?.contactRequested).to.equal(true);
      });

      it('when the operator stays silent and the visitor already left a contact, then nobody asks for it again', async () => {
        await online('anna@example.com');
        const visitor = await connectVisitor(server.url);
        const messages = collect<MessageView>(visitor, 'message:new');
        await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('silent', 'Call me'));
        await call(visitor, 'contact:leave', { contact: 'visitor@example.com' });
        await eventually(
          () => messages.some((m) => m.autoKind === 'unanswered'),
          5000,
          'the unanswered message',
        );
        await sleep(300);
        expect(autoKinds(messages)).to.deep.equal(['contact-thanks', 'unanswered']);
        const session = await call<VisitorSession>(visitor, 'session:resume');
        expect(session.dialog?.contactRequested).to.equal(false);
      });
    });

    describe('case 8: auto-messages check the dialog when they fire', () => {
      it('when "all busy, leave a contact" is due after the visitor left his contact, then he hears his place and is not asked again', async () => {
        await fillOperator(server.url, 'anna@example.com', 'busy', 1);
        const visitor = await connectVisitor(server.url);
        const messages = collect<MessageView>(visitor, 'message:new');
        const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('busy', 'Waiting…'));
        expect(view.state).to.equal('queued');
        await call(visitor, 'contact:leave', { contact: '+1 415 555 2671' });
        await eventually(() => messages.some((m) => m.autoKind === 'queue-position'), 5000, 'the wait step');
        expect(autoKinds(messages)).to.deep.equal(['contact-thanks', 'queue-position']);
      });

      it('when "all busy" is due while an operator who may take the dialog sits idle, then nothing is said and he gets it', async () => {
        await fillOperator(server.url, 'anna@example.com', 'busy', 1);
        const visitor = await connectVisitor(server.url);
        const messages = collect<MessageView>(visitor, 'message:new');
        const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('busy', 'Anyone?'));
        expect(view.state).to.equal('queued');
        // Boris is online with room, but the trigger that would have routed to him was lost (as when a
        // node dies between a presence change and its dispatch): only the store knows he is online.
        const boris = await connectOperator(server.url, 'boris@example.com');
        const self = await call<OperatorSelf>(boris, 'presence:set', { status: 'away' });
        const toBoris = next<DialogDetail>(boris, 'dialog:assigned', (d) => d.id === view.id, 5000);
        await server.engine.store.setPresence(self.operatorId, 'online', Date.now());
        expect((await toBoris).id).to.equal(view.id);
        await sleep(200);
        expect(autoKinds(messages)).to.not.include('queue-offer-contact');
      });
    });

    describe('case 2: the unanswered threshold is fair to the operator', () => {
      it('when he is the only one who may take a silent dialog, then it stays with him and the visitor still hears from us', async () => {
        const anna = await online('anna@example.com');
        const removed = collect<{ dialogId: string }>(anna.socket, 'dialog:removed');
        const visitor = await connectVisitor(server.url);
        const messages = collect<MessageView>(visitor, 'message:new');
        const assigned = next<DialogDetail>(anna.socket, 'dialog:assigned');
        const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('quick', 'Hello?'));
        expect((await assigned).rerouteAt).to.be.a('string');
        await eventually(
          () => messages.some((m) => m.autoKind === 'ask-contact'),
          5000,
          'the unanswered messages',
        );
        await sleep(300);
        const row = await server.engine.repo.findDialog(view.id);
        expect(row?.state).to.equal('assigned');
        expect(row?.operatorId).to.equal(anna.self.operatorId);
        expect(removed).to.deep.equal([]);
        expect(autoKinds(messages)).to.deep.equal(['unanswered', 'ask-contact']);
      });

      it('when a dialog kept by its only possible operator waits and another operator comes online, then it goes to him without more messages', async () => {
        const anna = await online('anna@example.com');
        const visitor = await connectVisitor(server.url);
        const messages = collect<MessageView>(visitor, 'message:new');
        const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('quick', 'Hello?'));
        await eventually(
          () => messages.some((m) => m.autoKind === 'ask-contact'),
          5000,
          'the unanswered messages',
        );
        expect((await server.engine.repo.findDialog(view.id))?.operatorId).to.equal(anna.self.operatorId);
        const boris = await connectOperator(server.url, 'boris@example.com');
        const toBoris = next<DialogDetail>(boris, 'dialog:assigned', (d) => d.id === view.id, 8000);
        const removed = next<{ dialogId: string; reason: string }>(
          anna.socket,
          'dialog:removed',
          (r) => r.dialogId === view.id,
          8000,
        );
        await call(boris, 'presence:set', { status: 'online' });
        expect((await toBoris).id).to.equal(view.id);
        expect((await removed).reason).to.equal('threshold');
        expect(autoKinds(messages)).to.deep.equal(['unanswered', 'ask-contact']);
      });

      it('when a dialog will be taken on silence, then the console counts down to it, typing holds it for the grace, then it goes to someone else', async () => {
        const anna = await online('anna@example.com');
        const visitor = await connectVisitor(server.url);
        const assigned = next<DialogDetail>(anna.socket, 'dialog:assigned');
        const startedAt = Date.now();
        const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('quick', 'Hello?'));
        const detail = await assigned;
        const firstDue = Date.parse(detail.rerouteAt ?? '');
        expect(firstDue).to.be.within(startedAt + 700, Date.now() + 900);
        const boris = await online('boris@example.com');
        const toBoris = next<DialogDetail>(boris.socket, 'dialog:assigned', (d) => d.id === view.id, 8000);
        const removed = next<{ dialogId: string; reason: string }>(
          anna.socket,
          'dialog:removed',
          (r) => r.dialogId === view.id,
          8000,
        );
        const postponed = next<DialogSummary>(
          anna.socket,
          'dialog:updated',
          (s) => s.id === view.id && Date.parse(s.rerouteAt ?? '') > firstDue,
          5000,
        );
        const typedAt = Date.now();
        await call(anna.socket, 'typing:set', { dialogId: view.id, typing: true });
        // Past the 0.8 s threshold but within the 1.5 s grace after his typing: still his.
        await sleep(Math.max(0, firstDue - Date.now()) + 400);
        expect((await server.engine.repo.findDialog(view.id))?.operatorId).to.equal(anna.self.operatorId);
        expect(Date.parse((await postponed).rerouteAt ?? '')).to.be.within(typedAt + 1400, typedAt + 1700);
        await call(anna.socket, 'typing:set', { dialogId: view.id, typing: false });
        expect((await toBoris).id).to.equal(view.id);
        expect(Date.now() - typedAt).to.be.greaterThanOrEqual(1400);
        expect((await removed).reason).to.equal('threshold');
      });
    });
  });
}
