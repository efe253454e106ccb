import { expect } from 'chai';
import { DEMO_PASSWORD } from '../../src/accounts/seed';
import { postgresAvailable } from '../support/postgres';
import { type Backends, startTestServer, type TestServer } from '../support/engine';

interface ApiBody {
  data: { token: string; operator: { email: string; role: string } };
  error: { code: string; field?: string; message: string; retryAfterMs?: number };
}

async function post(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ApiBody, headers: response.headers };
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`engine server (${backends} backends)`, function () {
    this.timeout(60_000);
    let server: TestServer;

    before(async function () {
      if (backends === 'real' && !(await postgresAvailable())) return this.skip();
      server = await startTestServer(backends, { LOGIN_MAX_FAILURES: 3, METRICS_PORT: 0 });
    });
    after(async () => server?.cleanup());

    it('when asked /healthz, then it answers 200', async () => {
      const response = await fetch(`${server.url}/healthz`);
      expect(response.status).to.equal(200);
    });

    it('when asked /readyz, then it names the backends in use', async () => {
      const response = await fetch(`${server.url}/readyz`);
      const body = (await response.json()) as {
        database: { backend: string };
        routingStore: { backend: string };
      };
      expect(response.status).to.equal(200);
      expect(body.database.backend).to.equal(backends === 'real' ? 'postgres' : 'pglite');
      expect(body.routingStore.backend).to.equal(backends === 'real' ? 'redis' : 'memory');
    });

    it('when asked /metrics on METRICS_PORT, then Prometheus text with default and domain metrics comes back', async () => {
      const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
      expect(text).to.contain('process_cpu_seconds_total');
      expect(text).to.contain('hotline_assignments_total');
    });

    it('when a demo operator logs in, then he gets an httpOnly session cookie that authenticates /api/auth/me', async () => {
      const login = await post(server, '/api/auth/login', {
        email: 'anna@example.com',
        password: DEMO_PASSWORD,
      });
      expect(login.status).to.equal(200);
      expect(login.body.data.operator.email).to.equal('anna@example.com');
      expect(login.body.data.operator).not.to.have.property('passwordHash');
      const cookie = login.headers.get('set-cookie') ?? '';
      expect(cookie).to.match(/hl_session=.+HttpOnly/i);
      const me = await fetch(`${server.url}/api/auth/me`, { headers: { cookie: cookie.split(';')[0]! } });
      expect(me.status).to.equal(200);
      expect(((await me.json()) as { data: { role: string } }).data.role).to.equal('operator');
    });

    it('when the password or the e-mail is wrong, then both get the same 401 with no hint', async () => {
      const wrongPassword = await post(server, '/api/auth/login', {
        email: 'boris@example.com',
        password: 'nope-nope',
      });
      const wrongEmail = await post(server, '/api/auth/login', {
        email: 'nobody@example.com',
        password: 'nope-nope',
      });
      expect(wrongPassword.status).to.equal(401);
      expect(wrongEmail.status).to.equal(401);
      expect(wrongPassword.body).to.deep.equal(wrongEmail.body);
    });

    it('when failures repeat from one address, then that e-mail from there gets 429 with retryAfterMs, even with the right password', async () => {
      // TRUST_PROXY defaults to 0: the forged X-Forwarded-For does not make them different addresses.
      for (let i = 0; i < 3; i++)
        await post(
          server,
          '/api/auth/login',
          { email: 'carl@example.com', password: 'wrong-password' },
          { 'x-forwarded-for': `10.0.0.${i}` },
        );
      const blocked = await post(
        server,
        '/api/auth/login',
        { email: 'carl@example.com', password: DEMO_PASSWORD },
        { 'x-forwarded-for': '10.0.0.9' },
      );
      expect(blocked.status).to.equal(429);
      expect(blocked.body.error.code).to.equal('rate_limited');
      expect(blocked.body.error.retryAfterMs).to.be.within(1000, 900_000);
      expect(blocked.headers.get('retry-after')).to.equal(
        String(Math.ceil(blocked.body.error.retryAfterMs! / 1000)),
      );
    });

    it('when the body is malformed or incomplete, then 400 names the field', async () => {
      const malformed = await post(server, '/api/auth/login', '{"email":');
      expect(malformed.status).to.equal(400);
      const missing = await post(server, '/api/auth/login', { email: 'anna@example.com' });
      expect(missing.status).to.equal(400);
      expect(missing.body.error.field).to.equal('password');
    });

    it('when an operator calls a supervisor API, then 403; without a session, 401', async () => {
      const login = await post(server, '/api/auth/login', {
        email: 'dina@example.com',
        password: DEMO_PASSWORD,
      });
      const asOperator = await fetch(`${server.url}/api/routing-config`, {
        headers: { authorization: `Bearer ${login.body.data.token}` },
      });
      expect(asOperator.status).to.equal(403);
      const anonymous = await fetch(`${server.url}/api/routing-config`);
      expect(anonymous.status).to.equal(401);
    });
  });
}
