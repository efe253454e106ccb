import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import { SOCKET_FRAME_LIMIT_BYTES, SOCKET_PAYLOAD_LIMIT_BYTES } from '../../src/realtime/ack-handler';
import type { Ack, DialogDetail, VisitorSession } from '@hotline/protocol';
import { nestedJson, rawSocket } from './raw-frames';
import {
  call,
  callRaw,
  chatStart,
  connectOperator,
  connectVisitor,
  fillOperator,
  login,
} from '../support/clients';
import { type Backends, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`bad input is the client's mistake, never a 500 (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING }, (s) => {
      server = s;
    });

    async function send(
      method: string,
      path: string,
      init: { token?: string; body?: string; type?: string } = {},
    ) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body !== undefined ? { 'content-type': init.type ?? 'application/json' } : {}),
        },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const text = await response.text();
      return {
        status: response.status,
        text,
        error: (JSON.parse(text) as { error?: { code: string; field?: string } }).error,
      };
    }

    it('when a path id is not a UUID, then every route answers 400 naming the id', async () => {
      const token = await login(server.url, 'admin@example.com');
      for (const [method, path] of [
        ['GET', '/api/dialogs/not-a-uuid'],
        ['GET', '/api/visitors/1%20or%201=1'],
        ['PATCH', '/api/operators/42'],
        ['DELETE', '/api/quick-replies/%00'],
      ] as const) {
        const answer = await send(method, path, { token, ...(method === 'PATCH' ? { body: '{}' } : {}) });
        expect(answer.status, `${method} ${path}`).to.equal(400);
        expect(answer.error).to.deep.include({ code: 'bad_request', field: 'id' });
      }
      const version = await send('GET', '/api/routing-config/versions/abc', { token });
      expect([version.status, version.error?.field]).to.deep.equal([400, 'version']);
      const item = await send('DELETE', `/api/routing-config/groups/${'x'.repeat(65)}`, { token });
      expect([item.status, item.error?.field]).to.deep.equal([400, 'id']);
      expect((await send('GET', `/api/dialogs/${randomUUID()}`, { token })).status).to.equal(404);
      for (const broken of ['/api/dialogs/%zz', '/api/visitors/%E0%A4%A', '/api/sites/%C0%AF/widget']) {
        const answer = await send('GET', broken, { token });
        expect([answer.status, answer.error?.code, answer.error?.field], broken).to.deep.equal([
          400,
          'bad_request',
          'path',
        ]);
      }
    });

    it('when a body holds a NUL byte, is malformed or too large, then it is 400 or 413 with bad_request and no stack trace', async () => {
      const nulLogin = await send('POST', '/api/auth/login', {
        body: JSON.stringify({ email: 'anna@example.com\u0000', password: 'x' }),
      });
      expect([nulLogin.status, nulLogin.error?.code, nulLogin.error?.field]).to.deep.equal([
        400,
        'bad_request',
        'email',
      ]);
      const token = await login(server.url, 'admin@example.com');
      const nulKey = await send('PUT', '/api/routing-config', {
        token,
        body: JSON.stringify({ config: { groups: [{ 'i\u0000d': 1 }] } }),
      });
      expect([nulKey.status, nulKey.error?.field]).to.deep.equal([400, 'config.groups.0.i\\0d']);
      const malformed = await send('POST', '/api/auth/login', { body: '{"email":' });
      expect([malformed.status, malformed.error?.field]).to.deep.equal([400, 'body']);
      const charset = await send('POST', '/api/auth/login', {
        body: '{}',
        type: 'application/json; charset=klingon',
      });
      expect([charset.status, charset.error?.code]).to.deep.equal([415, 'bad_request']);
      const huge = await send('POST', '/api/auth/login', {
        body: JSON.stringify({ email: 'a'.repeat(1_100_000), password: 'x' }),
      });
      expect([huge.status, huge.error?.code, huge.error?.field]).to.deep.equal([413, 'bad_request', 'body']);
      for (const answer of [nulLogin, nulKey, malformed, charset, huge])
        expect(answer.text).not.to.match(/at .+\.(ts|js):\d+/);
    });

    it('when a session token has no expiry or a subject that is not an operator id, then it is 401, not 500', async () => {
      const row = await server.engine.database
        .db('settings')
        .where({ key: 'session_secret' })
        .first<{ value: string }>();
      const key = new TextEncoder().encode(row!.value);
      const anna = (await server.engine.operatorsRepo.findByEmailWithHash('anna@example.com'))!;
      const noExpiry = await new SignJWT({ role: 'operator' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(anna.id)
        .sign(key);
      const oddSubject = await new SignJWT({ role: 'supervisor' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject("' or 1=1 --")
        .setExpirationTime('1h')
        .sign(key);
      for (const token of [noExpiry, oddSubject, 'not.a.jwt']) {
        const answer = await send('GET', '/api/auth/me', { token });
        expect([answer.status, answer.error?.code]).to.deep.equal([401, 'unauthorized']);
      }
    });

    it('when a socket event is oversized, NUL-laden, callback-only or unknown, then it is answered and the connection stays up', async () => {
      const visitor = await connectVisitor(server.url);
      // Only the callback, as `socket.emit('session:resume', cb)` in a browser would send it.
      const untyped: Socket = visitor;
      const resumed = await new Promise<Ack<VisitorSession>>((resolve) =>
        untyped.emit('session:resume', resolve),
      );
      expect('data' in resumed && resumed.data.visitorToken).to.be.a('string');
      const nul = await callRaw(visitor, 'dialog:start', { ...chatStart('support'), name: 'Eve\u0000' });
      expect('error' in nul && nul.error).to.include({ code: 'bad_request', field: 'name' });
      const big = await callRaw(visitor, 'page:change', {
        url: 'http://shop.test/',
        title: 'x'.repeat(SOCKET_PAYLOAD_LIMIT_BYTES),
      });
      expect('error' in big && big.error).to.include({ code: 'bad_request', field: 'payload' });
      // Just under the 1.1 MB frame: read, refused, connection kept.
      const frame = await callRaw(visitor, 'message:send', {
        clientMessageId: 'x',
        body: 'y'.repeat(1_000_000),
      });
      expect('error' in frame && frame.error).to.include({ code: 'bad_request', field: 'payload' });
      // 100,000 levels deep (socket.io-client cannot even encode it): sent as raw frames.
      const raw = await rawSocket(server.url, '/visitor', { siteId: 'demo' });
      const nested = JSON.parse(
        await raw.emit('typing:set', `{"typing":true,"extra":${nestedJson(100_000)}}`),
      ) as Ack<null>[];
      expect(nested[0]).to.deep.equal({
        error: { code: 'bad_request', message: 'payload is nested too deeply', field: 'payload' },
      });
      expect(raw.open).to.equal(true);
      raw.close();
      const unknown = await callRaw(visitor, 'dialog:open', { dialogId: randomUUID() });
      expect('error' in unknown && unknown.error).to.include({ code: 'bad_request', field: 'event' });
      expect(visitor.connected).to.equal(true);
      expect((await call<VisitorSession>(visitor, 'session:resume')).visitorId).to.be.a('string');
    });

    it('when a frame is larger than the documented frame limit, then socket.io closes that connection (and only then)', async () => {
      const visitor = await connectVisitor(server.url);
      const closed = new Promise<string>((resolve) => visitor.once('disconnect', resolve));
      visitor.emit(
        'page:change',
        { url: 'http://shop.test/', title: 'x'.repeat(SOCKET_FRAME_LIMIT_BYTES + 1000) },
        () => undefined, // never called: the frame closes the connection
      );
      expect(await closed).to.equal('transport close');
      const other = await connectVisitor(server.url);
      expect((await call<VisitorSession>(other, 'session:resume')).visitorId).to.be.a('string');
    });

    it('when a transfer or an assign names an operator who does not exist, then it is a conflict at that field and nothing moves', async () => {
      const { operator: carl, held } = await fillOperator(server.url, 'carl@example.com', 'support', 1);
      const transfer = await callRaw(carl, 'dialog:transfer', {
        dialogId: held[0]!.id,
        toOperatorId: randomUUID(),
      });
      expect('error' in transfer && transfer.error).to.include({ code: 'conflict', field: 'toOperatorId' });
      const admin = await connectOperator(server.url, 'admin@example.com');
      await fillOperator(server.url, 'boris@example.com', 'sales', 1);
      const queued = await call<{ id: string }>(
        await connectVisitor(server.url),
        'dialog:start',
        chatStart('sales'),
      );
      const assign = await callRaw(admin, 'dialog:assign', { dialogId: queued.id, operatorId: randomUUID() });
      expect('error' in assign && assign.error).to.include({ code: 'conflict', field: 'operatorId' });
      expect((await server.engine.repo.findDialog(queued.id))?.state).to.equal('queued');
      expect((await call<DialogDetail>(carl, 'dialog:open', { dialogId: held[0]!.id })).state).to.equal(
        'assigned',
      );
    });
  });
}
