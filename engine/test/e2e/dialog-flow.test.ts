import { expect } from 'chai';
import type {
  DialogDetail,
  MessageView,
  OperatorSelf,
  QueuePositionView,
  VisitorDialogView,
  VisitorSession,
} from '@hotline/protocol';
import {
  call,
  callRaw,
  clientId,
  collect,
  connectOperator,
  connectVisitor,
  eventually,
  fillOperator,
  next,
} from '../support/clients';
import { type Backends, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';

const start = (groupId: string, body = 'Hello, I need help') => ({
  choice: { groupId },
  page: { url: 'http://shop.test/catalog', title: 'Catalog', referrer: 'http://search.test/?q=shop' },
  language: 'en',
  message: { clientMessageId: clientId(), body },
});

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`dialog flow through socket.io (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING, METRICS_PORT: 0 }, (s) => {
      server = s;
    });

    it('when a visitor writes and an operator is online, then the operator receives the dialog with the visitor card and they talk', async () => {
      const anna = await connectOperator(server.url, 'anna@example.com');
      const self = await call<OperatorSelf>(anna, 'presence:set', { status: 'online' });
      expect(self).to.include({ status: 'online', load: 0, limit: 3 });
      const visitor = await connectVisitor(server.url);
      const session = await call<VisitorSession>(visitor, 'session:resume');
      expect(session.visitorToken).to.be.a('string');
      const assigned = next<DialogDetail>(anna, 'dialog:assigned');
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', start('support'));
      const dialog = await assigned;
      expect(dialog.id).to.equal(view.id);
      // The menu choice comes first, as a system line for the operator.
      expect(dialog.messages.map((m) => m.body)).to.deep.equal([
        'Visitor chose: Support',
        'Hello, I need help',
      ]);
      expect(dialog.visitor.currentPage?.url).to.equal('http://shop.test/catalog');
      expect(dialog.visitor.referrer).to.equal('http://search.test/?q=shop');
      const reply = next<MessageView>(visitor, 'message:new', (m) => m.authorKind === 'operator');
      await call(anna, 'message:send', {
        dialogId: dialog.id,
        clientMessageId: clientId(),
        body: 'Hi! How can I help?',
      });
      expect((await reply).body).to.equal('Hi! How can I help?');
      expect((await reply).authorName).to.equal('Anna');
      const row = await server.engine.repo.findDialog(dialog.id);
      expect(row?.state).to.equal('active');
    });

    it('when the visitor resends a message with the same client id, then it is stored once', async () => {
      const visitor = await connectVisitor(server.url);
      await call<VisitorDialogView>(visitor, 'dialog:start', start('night'));
      const message = { clientMessageId: clientId(), body: 'twice?' };
      const first = await call<MessageView>(visitor, 'message:send', message);
      const second = await call<MessageView>(visitor, 'message:send', message);
      expect(second.id).to.equal(first.id);
      const messages = await server.engine.messageRepo.messages(first.dialogId);
      expect(messages.filter((m) => m.body === 'twice?')).to.have.length(1);
    });

    it('when the visitor reconnects with his token, then he gets the same dialog and its history; another token cannot see it', async () => {
      const visitor = await connectVisitor(server.url);
      const { visitorToken } = await call<VisitorSession>(visitor, 'session:resume');
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', start('night', 'remember me'));
      visitor.close();
      const again = await connectVisitor(server.url, { visitorToken });
      const resumed = await call<VisitorSession>(again, 'session:resume');
      expect(resumed.dialog?.id).to.equal(view.id);
      expect(resumed.dialog?.messages.map((m) => m.body)).to.include('remember me');
      const stranger = await connectVisitor(server.url, { visitorToken: 'x'.repeat(32) });
      const other = await call<VisitorSession>(stranger, 'session:resume');
      expect(other.dialog).to.equal(null);
      expect(other.visitorToken).not.to.equal(visitorToken);
    });

    it('when a payload is bad, then the ack names the field and the connection stays up', async () => {
      const visitor = await connectVisitor(server.url);
      const bad = await callRaw(visitor, 'message:send', { clientMessageId: 'c', body: '' });
      expect(bad).to.have.property('error');
      if ('error' in bad) expect(bad.error).to.include({ code: 'bad_request', field: 'body' });
      const badContact = await callRaw(visitor, 'contact:leave', { contact: '12' });
      if ('error' in badContact) expect(badContact.error.code).to.be.oneOf(['bad_request', 'not_found']);
      else expect.fail('a bad contact was accepted');
      expect(visitor.connected).to.equal(true);
      const anna = await connectOperator(server.url, 'carl@example.com');
      const badTransfer = await callRaw(anna, 'dialog:transfer', { dialogId: 'nope' });
      if ('error' in badTransfer) expect(badTransfer.error.field).to.equal('dialogId');
      else expect.fail('a bad transfer was accepted');
      expect(anna.connected).to.equal(true);
    });

    it('when an operator acts on a dialog that is not his, then it is forbidden', async () => {
      const carl = await connectOperator(server.url, 'carl@example.com');
      await call(carl, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const assigned = next<DialogDetail>(carl, 'dialog:assigned');
      await call(visitor, 'dialog:start', start('support'));
      const dialog = await assigned;
      const boris = await connectOperator(server.url, 'boris@example.com');
      const denied = await callRaw(boris, 'message:send', {
        dialogId: dialog.id,
        clientMessageId: clientId(),
        body: 'mine now',
      });
      expect('error' in denied && denied.error.code).to.equal('forbidden');
      await call(carl, 'dialog:close', { dialogId: dialog.id, outcome: 'resolved' });
      await call(carl, 'presence:set', { status: 'offline' });
    });

    it('when nobody is online, then the offline auto-reply comes after the delay, the contact gets thanks and an operator coming online sees the lead', async () => {
      const visitor = await connectVisitor(server.url);
      const autoReply = next<MessageView>(visitor, 'message:new', (m) => m.autoKind === 'offline-reply');
      const startedAt = Date.now();
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', start('night', 'Anyone there?'));
      expect(view.state).to.equal('offline');
      const reply = await autoReply;
      expect(Date.now() - startedAt).to.be.greaterThanOrEqual(250);
      expect(reply.authorKind).to.equal('auto');
      expect(reply.authorName).to.equal('Olga');
      const state = await call<VisitorSession>(visitor, 'session:resume');
      expect(state.dialog?.contactRequested).to.equal(true);
      const thanks = next<MessageView>(visitor, 'message:new', (m) => m.autoKind === 'contact-thanks');
      const contact = await call<{ kind: string; value: string }>(visitor, 'contact:leave', {
        contact: '8 (916) 123-45-67',
      });
      expect(contact).to.deep.equal({ kind: 'phone', value: '+79161234567' });
      await thanks;
      const dina = await connectOperator(server.url, 'dina@example.com');
      await call(dina, 'presence:set', { status: 'online' });
      const lists = await call<{ leads: { id: string; contact: unknown }[] }>(dina, 'dialogs:list');
      const lead = lists.leads.find((l) => l.id === view.id);
      expect(lead?.contact).to.deep.equal({ kind: 'phone', value: '+79161234567' });
      const picked = await call<DialogDetail>(dina, 'lead:pick', { dialogId: view.id });
      expect(picked.state).to.equal('assigned');
      expect(picked.messages.map((m) => m.autoKind)).to.include.members(['offline-reply', 'contact-thanks']);
      await call(dina, 'dialog:close', { dialogId: view.id, outcome: 'called-back' });
      await call(dina, 'presence:set', { status: 'offline' });
      const autoMessages = (await server.engine.messageRepo.messages(view.id)).filter(
        (m) => m.authorKind === 'auto',
      );
      expect(autoMessages.map((m) => m.autoKind)).to.deep.equal(['offline-reply', 'contact-thanks']);
    });

    it('when the operator stays silent past the threshold, then exactly one auto-message asks for contacts', async () => {
      const anna = await connectOperator(server.url, 'anna@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const assigned = next<DialogDetail>(anna, 'dialog:assigned');
      const unanswered = next<MessageView>(visitor, 'message:new', (m) => m.autoKind === 'unanswered');
      await call(visitor, 'dialog:start', start('sales', 'price?'));
      const dialog = await assigned;
      await unanswered;
      await call(visitor, 'message:send', { clientMessageId: clientId(), body: 'hello??' });
      await new Promise((r) => setTimeout(r, 1200));
      const auto = (await server.engine.messageRepo.messages(dialog.id)).filter(
        (m) => m.autoKind === 'unanswered',
      );
      expect(auto).to.have.length(1);
      await call(anna, 'dialog:close', { dialogId: dialog.id });
      await call(anna, 'presence:set', { status: 'offline' });
    });

    it('when operators are at their limit, then dialogs queue with positions and flow in as capacity frees, never above the limit', async () => {
      const carl = await connectOperator(server.url, 'carl@example.com'); // support, limit 3
      await call(carl, 'presence:set', { status: 'online' });
      const received: DialogDetail[] = [];
      carl.on('dialog:assigned', (d) => received.push(d));
      const visitors = await Promise.all(Array.from({ length: 6 }, () => connectVisitor(server.url)));
      const views: VisitorDialogView[] = [];
      for (const v of visitors)
        views.push(await call<VisitorDialogView>(v, 'dialog:start', start('support')));
      await eventually(() => received.length === 3, 10_000, 'three assignments');
      const queue = await server.engine.store.queue('support');
      expect(queue.map((q) => q.dialogId)).to.deep.equal(views.slice(3).map((v) => v.id));
      expect(queue.map((q) => q.position)).to.deep.equal([1, 2, 3]);
      expect(views[5]!.queue?.position).to.equal(3);
      expect((await server.engine.store.getOperator(received[0]!.operatorId!))?.load).to.equal(3);

      const lastMoves = next<{ position: number }>(visitors[5]!, 'queue:position', (p) => p.position === 2);
      await call(carl, 'dialog:close', { dialogId: received[0]!.id });
      await eventually(() => received.length === 4, 10_000, 'the fourth assignment');
      expect(received[3]!.id).to.equal(views[3]!.id);
      await lastMoves;
      await new Promise((r) => setTimeout(r, 200));
      expect(received, 'never above his limit').to.have.length(4);

      // A second operator coming online to the backlog receives at most his limit.
      const anna = await connectOperator(server.url, 'anna@example.com'); // support too, limit 3
      const toAnna: DialogDetail[] = [];
      anna.on('dialog:assigned', (d) => toAnna.push(d));
      await call(anna, 'presence:set', { status: 'online' });
      await eventually(() => toAnna.length === 2, 10_000, 'the backlog to flow to anna');
      await new Promise((r) => setTimeout(r, 200));
      expect(toAnna.map((d) => d.id)).to.deep.equal(views.slice(4).map((v) => v.id));
      expect(await server.engine.store.queue('support')).to.deep.equal([]);
    });

    it('when the queue grows behind a waiting visitor, then his unchanged position is not pushed again, but after a reconnect it is', async () => {
      await fillOperator(server.url, 'carl@example.com', 'support', 3); // support, limit 3
      const first = await connectVisitor(server.url);
      const firstPushes = collect<QueuePositionView>(first, 'queue:position');
      const view = await call<VisitorDialogView>(first, 'dialog:start', start('support'));
      expect(view.queue?.position).to.equal(1);
      await eventually(() => firstPushes.length === 1, 5_000, 'the position on enqueue');
      expect(firstPushes[0]).to.include({ dialogId: view.id, position: 1 });

      const second = await connectVisitor(server.url);
      const secondPushes = collect<QueuePositionView>(second, 'queue:position');
      await call(second, 'dialog:start', start('support'));
      await eventually(() => secondPushes.length === 1, 5_000, "the second visitor's position");
      expect(secondPushes[0]!.position).to.equal(2);
      await new Promise((r) => setTimeout(r, 400));
      const firstPositions = firstPushes.map((p) => p.position);
      expect(firstPositions, 'no repeated push of an unchanged position').to.deep.equal([1]);

      // He reconnects: the resume answers with his place, and the next queue change pushes it to
      // the new socket although his position did not move.
      const { visitorToken } = await call<VisitorSession>(first, 'session:resume');
      first.close();
      const again = await connectVisitor(server.url, { visitorToken });
      const againPushes = collect<QueuePositionView>(again, 'queue:position');
      const resumed = await call<VisitorSession>(again, 'session:resume');
      expect(resumed.dialog?.queue?.position).to.equal(1);
      await call(await connectVisitor(server.url), 'dialog:start', start('support'));
      await eventually(() => againPushes.length === 1, 5_000, 'the position after the reconnect');
      expect(againPushes[0]).to.include({ dialogId: view.id, position: 1 });
      await new Promise((r) => setTimeout(r, 400));
      expect(againPushes).to.have.length(1);
      const secondPositions = secondPushes.map((p) => p.position);
      expect(secondPositions, 'the visitor behind did not move either').to.deep.equal([2]);
    });

    it('when transferred to another group, then the first operator is freed and the other group gets it', async () => {
      const boris = await connectOperator(server.url, 'boris@example.com'); // sales, limit 1
      const carl = await connectOperator(server.url, 'carl@example.com'); // support
      await call(boris, 'presence:set', { status: 'online' });
      await call(carl, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const toBoris = next<DialogDetail>(boris, 'dialog:assigned');
      await call(visitor, 'dialog:start', start('sales'));
      const dialog = await toBoris;
      const toCarl = next<DialogDetail>(carl, 'dialog:assigned', (d) => d.id === dialog.id);
      const removed = next<{ dialogId: string }>(boris, 'dialog:removed');
      await call(boris, 'dialog:transfer', {
        dialogId: dialog.id,
        toGroupId: 'support',
        note: 'about a return',
      });
      await toCarl;
      expect((await removed).dialogId).to.equal(dialog.id);
      expect((await server.engine.store.getOperator(dialog.operatorId!))?.load).to.equal(0);
      const detail = await call<DialogDetail>(carl, 'dialog:open', { dialogId: dialog.id });
      expect(
        detail.messages.some((m) => m.authorKind === 'system' && m.body.includes('about a return')),
      ).to.equal(true);
      const visitorView = await call<VisitorSession>(visitor, 'session:resume');
      expect(visitorView.dialog?.messages.some((m) => m.authorKind === 'system')).to.equal(false);
      await call(carl, 'dialog:close', { dialogId: dialog.id });
      await call(boris, 'presence:set', { status: 'offline' });
      await call(carl, 'presence:set', { status: 'offline' });
    });

    it('when a visitor asks for a call back, then a callback dialog with his phone goes to a group that takes calls', async () => {
      const carl = await connectOperator(server.url, 'carl@example.com'); // support takes calls
      await call(carl, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const bad = await callRaw(visitor, 'callback:request', { phone: 'call me maybe' });
      expect('error' in bad && bad.error.field).to.equal('phone');
      const assigned = next<DialogDetail>(carl, 'dialog:assigned');
      const view = await call<VisitorDialogView>(visitor, 'callback:request', {
        phone: '+7 916 123-45-67',
        preferredTime: 'after 18:00',
        page: { url: 'http://shop.test/contacts' },
      });
      const dialog = await assigned;
      expect(dialog.id).to.equal(view.id);
      expect(dialog.kind).to.equal('callback');
      expect(dialog.groupId).to.equal('support');
      expect(dialog.callback).to.deep.equal({ phone: '+79161234567', preferredTime: 'after 18:00' });
      const opened = await call<DialogDetail>(carl, 'dialog:open', { dialogId: dialog.id });
      expect(opened.contact).to.deep.equal({ kind: 'phone', value: '+79161234567' });
      await call(carl, 'dialog:close', { dialogId: dialog.id, outcome: 'called-back' });
    });

    it('when dialogs have run, then /metrics reports queues, assignments, auto-messages, contacts and response times', async () => {
      const visitor = await connectVisitor(server.url);
      await call(visitor, 'dialog:start', start('support'));
      await call(visitor, 'dialog:close', {});
      const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
      const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);
      expect(value(/hotline_assignments_total\{group="support"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/hotline_auto_messages_total\{kind="offline-reply"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/hotline_contacts_captured_total (\d+)/)).to.be.greaterThan(0);
      expect(value(/hotline_dialogs_abandoned_total (\d+)/)).to.be.greaterThan(0);
      expect(value(/hotline_first_response_seconds_count\{kind="human"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/hotline_first_response_seconds_count\{kind="auto"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/hotline_leads_followed_up_total\{outcome="called-back"\} (\d+)/)).to.be.greaterThan(0);
      expect(text).to.match(/hotline_queue_wait_seconds_bucket\{le="[^"]+",group="support"\}/);
      expect(text).to.match(/hotline_queue_length\{group="support"\} \d+/);
      expect(text).to.match(/hotline_operator_load\{operator="[^"]+"\} \d+/);
    });

    it("when an operator goes online and then away with nobody waiting, then /metrics follows his group's online operators", async () => {
      const online = async () => {
        const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
        return Number(text.match(/hotline_operators_online\{group="night"\} (\d+)/)?.[1] ?? -1);
      };
      const dina = await connectOperator(server.url, 'dina@example.com');
      await call(dina, 'presence:set', { status: 'online' });
      await eventually(async () => (await online()) === 1, 5_000, 'night: 1 online');
      await call(dina, 'presence:set', { status: 'away' });
      await eventually(async () => (await online()) === 0, 5_000, 'night: 0 online');
    });

    it('when a group works in offer mode, then an unanswered offer expires and goes to the next operator', async () => {
      const anna = await connectOperator(server.url, 'anna@example.com');
      const boris = await connectOperator(server.url, 'boris@example.com');
      await call(anna, 'presence:set', { status: 'online' });
      await call(boris, 'presence:set', { status: 'online' });
      const offers: { operator: string; id: string }[] = [];
      anna.on('dialog:offered', (o) => offers.push({ operator: 'anna', id: o.dialog.id }));
      boris.on('dialog:offered', (o) => offers.push({ operator: 'boris', id: o.dialog.id }));
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', start('offers'));
      await eventually(() => offers.length >= 2, 10_000, 'a second offer');
      expect(offers[0]!.id).to.equal(view.id);
      expect(offers[1]!.operator).not.to.equal(offers[0]!.operator);
      const second = offers[1]!.operator === 'anna' ? anna : boris;
      const accepted = await call<DialogDetail>(second, 'offer:accept', { dialogId: view.id });
      expect(accepted.state).to.equal('assigned');
      await call(second, 'dialog:close', { dialogId: view.id });
      await call(anna, 'presence:set', { status: 'offline' });
      await call(boris, 'presence:set', { status: 'offline' });
    });
  });
}
