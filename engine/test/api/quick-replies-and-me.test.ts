import { expect } from 'chai';
import type { QuickReply } from '@hotline/protocol';
import { closeAllSockets, connectOperator, login, next } from '../support/clients';
import { api } from './rest';
import {
  type Backends,
  backendsAvailable,
  startTestServer,
  TEST_ROUTING,
  type TestServer,
} from '../support/engine';

const ids = (list: QuickReply[]) => list.map((r) => r.id);

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`quick replies' order, operator language, request ids (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let anna: string;
    let boris: string;

    before(async function () {
      if (!(await backendsAvailable(backends))) return this.skip();
      server = await startTestServer(backends, { routingConfigPath: TEST_ROUTING });
      anna = await login(server.url, 'anna@example.com');
      boris = await login(server.url, 'boris@example.com');
    });
    afterEach(() => closeAllSockets());
    after(async () => server?.cleanup());

    it('when an operator reorders his quick replies, then GET returns his order, his other tab is pushed it, and another operator keeps his', async () => {
      const otherTab = await connectOperator(server.url, 'anna@example.com');
      const created: QuickReply[] = [];
      for (const shortcut of ['hi', 'bye', 'wait']) {
        const pushed = next<{ quickReplies: QuickReply[] }>(otherTab, 'quickReplies:changed', (p) =>
          p.quickReplies.some((r) => r.shortcut === shortcut),
        );
        const answer = await api<QuickReply>(server, anna, 'POST', '/api/quick-replies', {
          shortcut,
          title: shortcut,
          body: `${shortcut}!`,
        });
        expect(answer.status).to.equal(201);
        created.push(answer.body.data);
        await pushed;
      }
      const listed = await api<QuickReply[]>(server, anna, 'GET', '/api/quick-replies');
      expect(ids(listed.body.data)).to.deep.equal(ids(created));

      const wanted = ids(created).reverse();
      const pushed = next<{ quickReplies: QuickReply[] }>(otherTab, 'quickReplies:changed', (p) =>
        ids(p.quickReplies).every((id, i) => id === wanted[i]),
      );
      const reordered = await api<QuickReply[]>(server, anna, 'PUT', '/api/quick-replies/order', {
        ids: wanted,
      });
      expect(reordered.status).to.equal(200);
      expect(ids(reordered.body.data)).to.deep.equal(wanted);
      expect(ids((await pushed).quickReplies)).to.deep.equal(wanted);
      expect(
        ids((await api<QuickReply[]>(server, anna, 'GET', '/api/quick-replies')).body.data),
      ).to.deep.equal(wanted);
      // Boris sees none of Anna's personal replies.
      const his = await api<QuickReply[]>(server, boris, 'GET', '/api/quick-replies');
      expect(ids(his.body.data)).to.not.include.members(wanted);

      const deletedPush = next<{ quickReplies: QuickReply[] }>(otherTab, 'quickReplies:changed', (p) =>
        p.quickReplies.every((r) => r.id !== wanted[0]),
      );
      expect((await api(server, anna, 'DELETE', `/api/quick-replies/${wanted[0]}`)).status).to.equal(200);
      expect(ids((await deletedPush).quickReplies)).to.deep.equal(wanted.slice(1));
    });

    it('when the order is bad, then 400 names ids', async () => {
      const mine = ids((await api<QuickReply[]>(server, anna, 'GET', '/api/quick-replies')).body.data);
      const cases: unknown[] = [
        { ids: mine.slice(1) },
        { ids: [...mine, mine[0]] },
        { ids: [...mine, crypto.randomUUID()] },
        { ids: 'no' },
        {},
      ];
      for (const body of cases) {
        const answer = await api(server, anna, 'PUT', '/api/quick-replies/order', body);
        expect(answer.status, JSON.stringify(body)).to.equal(400);
        expect(answer.body.error.code).to.equal('bad_request');
        expect(answer.body.error.field, JSON.stringify(body)).to.equal('ids');
      }
      const notUuid = await api(server, anna, 'PUT', '/api/quick-replies/order', { ids: ['x'] });
      expect(notUuid.body.error.field).to.equal('ids.0');
    });

    it('when an operator sets his language, then /api/auth/me returns it; a language not offered is 400 at locale', async () => {
      expect(
        (await api<{ locale: string | null }>(server, boris, 'GET', '/api/auth/me')).body.data.locale,
      ).to.equal(null);
      const set = await api<{ locale: string | null }>(server, boris, 'PATCH', '/api/auth/me', {
        locale: 'ru',
      });
      expect(set.status).to.equal(200);
      expect(set.body.data.locale).to.equal('ru');
      expect(
        (await api<{ locale: string | null }>(server, boris, 'GET', '/api/auth/me')).body.data.locale,
      ).to.equal('ru');
      const cleared = await api<{ locale: string | null }>(server, boris, 'PATCH', '/api/auth/me', {
        locale: null,
      });
      expect(cleared.body.data.locale).to.equal(null);
      for (const body of [{ locale: 'de' }, {}, { locale: 'ru', role: 'supervisor' }]) {
        const bad = await api(server, boris, 'PATCH', '/api/auth/me', body);
        expect(bad.status, JSON.stringify(body)).to.equal(400);
        expect(bad.body.error.field, JSON.stringify(body)).to.be.oneOf(['locale', 'role']);
      }
    });

    it("when a request is answered, then it carries a request id: the client's when it sent a plain one, else a new one", async () => {
      const fresh = await fetch(`${server.url}/healthz`);
      expect(fresh.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      const given = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-42' } });
      expect(given.headers.get('x-request-id')).to.equal('trace-42');
      const unsafe = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'a b\u00e9' } });
      expect(unsafe.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
  });
}
