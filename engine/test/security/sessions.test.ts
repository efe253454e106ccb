import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import type { GroupLiveStats, OperatorSessionView } from '@hotline/protocol';
import { SESSION_RECHECK_MS } from '../../src/realtime/operator-namespace';
import { callRaw } from '../support/clients';
import { type Backends, type TestServer, withTestServer } from '../support/engine';

/** Past the operator socket's session re-check interval: its next event reads the session again. */
const afterRecheckInterval = () => new Promise((resolve) => setTimeout(resolve, SESSION_RECHECK_MS + 50));
import {
  closeSessionSockets,
  connectedSocket,
  type Credential,
  disconnection,
  newAccount,
  openOperatorSocket,
  rest,
  type SignedIn,
  signIn,
} from './session-clients';

const SECRET = 'security-test-secret-0123456789-abcdef';

/** Every way a session is presented: bearer and cookie on REST, auth.token and cookie on the socket. */
async function expectRefusedEverywhere(url: string, session: SignedIn) {
  expect((await rest(url, { token: session.token }, 'GET', '/api/auth/me')).status, 'bearer').to.equal(401);
  expect((await rest(url, { cookie: session.cookie }, 'GET', '/api/auth/me')).status, 'cookie').to.equal(401);
  expect(await openOperatorSocket(url, { token: session.token }), 'socket auth.token').to.deep.equal({
    refused: 'unauthorized',
  });
  expect(await openOperatorSocket(url, { cookie: session.cookie }), 'socket cookie').to.deep.equal({
    refused: 'unauthorized',
  });
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`revocable operator sessions (${backends} backends)`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let url: string;
    let admin: SignedIn;
    withTestServer(backends, { SESSION_SECRET: SECRET }, (s) => {
      server = s;
      url = s.url;
    });
    before(async () => {
      if (server) admin = await signIn(url, 'admin@example.com');
    });
    afterEach(() => closeSessionSockets());

    it('when an operator logs out, then the same token and cookie get 401 on REST, his open socket is disconnected and a new handshake with them is refused', async () => {
      const account = await newAccount(url, { token: admin.token });
      const session = await signIn(url, account.email, account.password);
      expect((await rest(url, { token: session.token }, 'GET', '/api/auth/me')).status).to.equal(200);
      expect((await rest(url, { cookie: session.cookie }, 'GET', '/api/auth/me')).status).to.equal(200);
      const socket = await connectedSocket(url, { cookie: session.cookie });
      const revoked = new Promise<{ reason: string }>((resolve) => socket.once('session:revoked', resolve));
      const gone = disconnection(socket);

      expect((await rest(url, { cookie: session.cookie }, 'POST', '/api/auth/logout')).status).to.equal(200);

      expect(await revoked).to.deep.equal({ reason: 'logout' });
      expect((await gone).reason).to.equal('io server disconnect');
      await expectRefusedEverywhere(url, session);
    });

    it('when the login is answered, then the cookie is HttpOnly and SameSite=Strict and the token carries sid, sub and exp', async () => {
      const response = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'anna@example.com', password: 'demo-password' }),
      });
      const cookie = response.headers.get('set-cookie') ?? '';
      expect(cookie)
        .to.match(/HttpOnly/i)
        .and.to.match(/SameSite=Strict/i);
      const { data } = (await response.json()) as {
        data: { token: string; sessionId: string; expiresAt: string };
      };
      const claims = JSON.parse(Buffer.from(data.token.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      expect(claims.sid).to.equal(data.sessionId);
      expect(claims.exp).to.equal(Math.floor(Date.parse(data.expiresAt) / 1000));
      expect(Number(claims.exp) - Number(claims.iat)).to.be.within(12 * 3600 - 1, 12 * 3600 + 1);
      expect(claims).not.to.have.property('role');
    });

    it('when an operator changes his password, then his other sessions are refused and their sockets disconnected, the asking one keeps working', async () => {
      const account = await newAccount(url, { token: admin.token });
      const here = await signIn(url, account.email, account.password);
      const elsewhere = await signIn(url, account.email, account.password);
      const socket = await connectedSocket(url, { token: elsewhere.token });
      const gone = disconnection(socket);

      const wrong = await rest(url, { cookie: here.cookie }, 'POST', '/api/auth/password', {
        currentPassword: 'not-it-at-all',
        newPassword: 'second-password-2',
      });
      expect(wrong.status).to.equal(400);
      expect(wrong.error?.field).to.equal('currentPassword');
      const changed = await rest<{ revokedSessions: number }>(
        url,
        { cookie: here.cookie },
        'POST',
        '/api/auth/password',
        {
          currentPassword: account.password,
          newPassword: 'second-password-2',
        },
      );
      expect(changed.status).to.equal(200);
      expect(changed.data.revokedSessions).to.equal(1);

      expect((await gone).reason).to.equal('io server disconnect');
      await expectRefusedEverywhere(url, elsewhere);
      expect((await rest(url, { cookie: here.cookie }, 'GET', '/api/auth/me')).status).to.equal(200);
      await signIn(url, account.email, 'second-password-2');
    });

    it("when a supervisor resets an operator's password, then every session of his is refused", async () => {
      const account = await newAccount(url, { token: admin.token });
      const session = await signIn(url, account.email, account.password);
      const socket = await connectedSocket(url, { token: session.token });
      const gone = disconnection(socket);
      expect(
        (
          await rest(url, { token: admin.token }, 'PATCH', `/api/operators/${account.id}`, {
            password: 'reset-by-admin-1',
          })
        ).status,
      ).to.equal(200);
      expect((await gone).reason).to.equal('io server disconnect');
      await expectRefusedEverywhere(url, session);
      expect(
        (await rest(url, { token: admin.token }, 'GET', '/api/auth/me')).status,
        'the supervisor keeps his own',
      ).to.equal(200);
    });

    it('when an operator is deactivated, then his open socket is told and disconnected and his tokens are refused', async () => {
      const account = await newAccount(url, { token: admin.token });
      const session = await signIn(url, account.email, account.password);
      const socket = await connectedSocket(url, { token: session.token });
      const revoked = new Promise<{ reason: string }>((resolve) => socket.once('session:revoked', resolve));
      const gone = disconnection(socket);
      expect(
        (await rest(url, { token: admin.token }, 'PATCH', `/api/operators/${account.id}`, { active: false }))
          .status,
      ).to.equal(200);
      expect(await revoked).to.deep.equal({ reason: 'deactivated' });
      expect((await gone).reason).to.equal('io server disconnect');
      await expectRefusedEverywhere(url, session);
    });

    it('when a supervisor is demoted, then his socket is disconnected, his tokens refused, and a new login is an operator without supervisor events', async () => {
      const account = await newAccount(url, { token: admin.token }, 'supervisor');
      const session = await signIn(url, account.email, account.password);
      const socket = await connectedSocket(url, { token: session.token });
      expect('data' in (await callRaw<GroupLiveStats[]>(socket, 'dashboard:subscribe'))).to.equal(true);
      const gone = disconnection(socket);
      expect(
        (
          await rest(url, { token: admin.token }, 'PATCH', `/api/operators/${account.id}`, {
            role: 'operator',
          })
        ).status,
      ).to.equal(200);
      expect((await gone).reason).to.equal('io server disconnect');
      await expectRefusedEverywhere(url, session);

      const again = await signIn(url, account.email, account.password);
      const demoted = await connectedSocket(url, { token: again.token });
      expect(await callRaw(demoted, 'dashboard:subscribe')).to.have.nested.property(
        'error.code',
        'forbidden',
      );
    });

    it('when his row changes under an open socket, then an event after the re-check interval sees it: a demoted supervisor loses supervisor events, a deactivated operator gets unauthorized and is disconnected', async () => {
      // Straight in the database, without the PATCH's revocation: only the periodic re-check stands
      // (SESSION_RECHECK_MS: an event reads the session again once the last read is that old).
      const account = await newAccount(url, { token: admin.token }, 'supervisor');
      const session = await signIn(url, account.email, account.password);
      const socket = await connectedSocket(url, { token: session.token });
      expect('data' in (await callRaw(socket, 'dashboard:subscribe'))).to.equal(true);

      await server.engine.database.db('operators').where({ id: account.id }).update({ role: 'operator' });
      await afterRecheckInterval();
      expect(await callRaw(socket, 'dashboard:subscribe')).to.have.nested.property('error.code', 'forbidden');
      expect(socket.connected).to.equal(true);

      await server.engine.database.db('operators').where({ id: account.id }).update({ active: false });
      await afterRecheckInterval();
      const gone = disconnection(socket);
      expect(await callRaw(socket, 'dialogs:list')).to.have.nested.property('error.code', 'unauthorized');
      expect((await gone).reason).to.equal('io server disconnect');
    });

    it('when a token is malformed, unsigned by us, without exp, or names a non-UUID sub or sid or an unknown session, then REST answers 401 and the socket is refused, never a 500', async () => {
      const key = new TextEncoder().encode(SECRET);
      const anna = (await rest<{ id: string }>(url, { token: admin.token }, 'GET', '/api/operators'))
        .data as unknown as { id: string; email: string }[];
      const annaId = anna.find((o) => o.email === 'anna@example.com')!.id;
      const liveSid = (await signIn(url, 'anna@example.com')).sessionId;
      const sign = (claims: Record<string, unknown>, withExp = true, signingKey = key) => {
        const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
        if (withExp) jwt.setExpirationTime('1h');
        return jwt.sign(signingKey);
      };
      const forged: Record<string, string> = {
        'no exp': await sign({ sub: annaId, sid: liveSid }, false),
        'non-UUID sub': await sign({ sub: 'anna', sid: liveSid }),
        'non-UUID sid': await sign({ sub: annaId, sid: "1' or '1'='1" }),
        'no sid (an old token)': await sign({ sub: annaId, role: 'supervisor' }),
        'unknown sid': await sign({ sub: annaId, sid: randomUUID() }),
        "another operator's sid": await sign({ sub: randomUUID(), sid: liveSid }),
        'another key': await sign(
          { sub: annaId, sid: liveSid },
          true,
          new TextEncoder().encode('x'.repeat(40)),
        ),
        'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: annaId, sid: liveSid, exp: 9e9 })).toString('base64url')}.`,
        garbage: 'not.a.jwt',
      };
      for (const [what, token] of Object.entries(forged)) {
        for (const credential of [{ token }, { cookie: `hl_session=${token}` }] as Credential[]) {
          const answer = await rest(url, credential, 'GET', '/api/auth/me');
          expect(answer.status, `${what} ${Object.keys(credential)[0]}`).to.equal(401);
          expect(answer.error?.code).to.equal('unauthorized');
          expect(await openOperatorSocket(url, credential), `${what} socket`).to.deep.equal({
            refused: 'unauthorized',
          });
        }
      }
    });

    it('when a session is past its expiry, then it is refused', async () => {
      const session = await signIn(url, 'boris@example.com');
      await server.engine.database
        .db('operator_sessions')
        .where({ id: session.sessionId })
        .update({ expires_at: new Date(Date.now() - 1000) });
      await expectRefusedEverywhere(url, session);
    });

    it('when a session expires while its socket is open, then the socket is disconnected at the expiry, not at its next event', async () => {
      const session = await signIn(url, 'boris@example.com');
      const expiresAt = Date.now() + 800;
      await server.engine.database
        .db('operator_sessions')
        .where({ id: session.sessionId })
        .update({ expires_at: new Date(expiresAt) });
      const socket = await connectedSocket(url, { token: session.token });
      const { reason, at } = await disconnection(socket);
      expect(reason).to.equal('io server disconnect');
      expect(at).to.be.at.least(expiresAt - 50);
      expect(await openOperatorSocket(url, { token: session.token })).to.deep.equal({
        refused: 'unauthorized',
      });
    });

    it("when an operator lists his sessions and revokes one, then only that one ends; another's session id is 404 and a non-UUID id 400", async () => {
      const account = await newAccount(url, { token: admin.token });
      const here = await signIn(url, account.email, account.password, 'Browser A');
      const other = await signIn(url, account.email, account.password, 'Browser B');
      const socket = await connectedSocket(url, { cookie: other.cookie });
      const gone = disconnection(socket);

      const listed = await rest<OperatorSessionView[]>(
        url,
        { cookie: here.cookie },
        'GET',
        '/api/auth/sessions',
      );
      expect(listed.data.map((s) => [s.id, s.userAgent, s.current]).sort()).to.deep.equal(
        [
          [here.sessionId, 'Browser A', true],
          [other.sessionId, 'Browser B', false],
        ].sort(),
      );
      expect(listed.data[0]).to.have.keys([
        'id',
        'createdAt',
        'lastSeenAt',
        'expiresAt',
        'userAgent',
        'ip',
        'current',
      ]);

      expect(
        (await rest(url, { cookie: here.cookie }, 'DELETE', `/api/auth/sessions/${admin.sessionId}`)).status,
        "another operator's",
      ).to.equal(404);
      const bad = await rest(url, { cookie: here.cookie }, 'DELETE', '/api/auth/sessions/nope');
      expect([bad.status, bad.error?.field]).to.deep.equal([400, 'id']);
      expect(
        (await rest(url, { cookie: here.cookie }, 'DELETE', `/api/auth/sessions/${other.sessionId}`)).status,
      ).to.equal(200);

      expect((await gone).reason).to.equal('io server disconnect');
      await expectRefusedEverywhere(url, other);
      expect((await rest(url, { token: admin.token }, 'GET', '/api/auth/me')).status).to.equal(200);
      const after = await rest<OperatorSessionView[]>(
        url,
        { cookie: here.cookie },
        'GET',
        '/api/auth/sessions',
      );
      expect(after.data.map((s) => s.id)).to.deep.equal([here.sessionId]);
      expect(
        (await rest(url, { cookie: here.cookie }, 'DELETE', `/api/auth/sessions/${other.sessionId}`)).status,
        'twice',
      ).to.equal(404);
    });

    it('when a supervisor revokes all sessions of an operator, then every one of them is refused; an operator may not do it', async () => {
      const account = await newAccount(url, { token: admin.token });
      const sessions = [
        await signIn(url, account.email, account.password),
        await signIn(url, account.email, account.password),
      ];
      const operatorTry = await rest(
        url,
        { token: sessions[0]!.token },
        'DELETE',
        `/api/operators/${account.id}/sessions`,
      );
      expect(operatorTry.status).to.equal(403);
      const revoked = await rest<{ revokedSessions: number }>(
        url,
        { token: admin.token },
        'DELETE',
        `/api/operators/${account.id}/sessions`,
      );
      expect(revoked.data).to.deep.equal({ revokedSessions: 2 });
      for (const session of sessions) await expectRefusedEverywhere(url, session);
      expect(
        (await rest(url, { token: admin.token }, 'DELETE', `/api/operators/${randomUUID()}/sessions`)).status,
      ).to.equal(404);
      expect(
        (await rest(url, { token: admin.token }, 'DELETE', '/api/operators/nope/sessions')).status,
      ).to.equal(400);
    });
  });
}
