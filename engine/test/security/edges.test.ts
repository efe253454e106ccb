/**
 * The engine's edges (issue 13): which origins may use the widget, /operator and the console's REST,
 * CSRF on cookie-authenticated writes, visitor URLs kept only when http(s), security headers,
 * /metrics off the public port, and slow URL patterns refused at save.
 */
import { SiteSchema } from '@hotline/routing-rules';
import { expect } from 'chai';
import { io, type Socket } from 'socket.io-client';
import { ConfigError, loadConfig } from '../../src/config';
import { OriginPolicy } from '../../src/http/origins';
import type { VisitorSession } from '@hotline/protocol';
import { call, chatStart, connectVisitor, login } from '../support/clients';
import { type Backends, type TestServer, withTestServer } from '../support/engine';

const PUBLIC_URL = 'https://chat.example.test';
const LISTED = 'https://shop.example';
const FOREIGN = 'https://evil.example';

/** Connects a socket sending `origin` (as a browser would); resolves with the refusal's data, or null when it connected. */
async function handshake(
  url: string,
  namespace: '/visitor' | '/operator',
  auth: Record<string, string>,
  origin?: string,
) {
  const socket: Socket = io(`${url}${namespace}`, {
    auth,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(origin ? { extraHeaders: { origin } } : {}),
  });
  try {
    return await new Promise<{ code?: string; field?: string } | null>((resolve) => {
      socket.once('connect', () => resolve(null));
      socket.once('connect_error', (error: Error & { data?: { code?: string; field?: string } }) =>
        resolve(error.data ?? { code: error.message }),
      );
    });
  } finally {
    socket.close();
  }
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`security edges (${backends} backends)`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let bearer: string;
    withTestServer(backends, { PUBLIC_URL, METRICS_PORT: 0 }, (s) => {
      server = s;
    });
    before(async () => {
      if (server) bearer = await login(server.url, 'admin@example.com');
    });

    const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);
    const errorOf = async (response: Response) =>
      ((await response.json()) as { error: { code: string; field?: string } }).error;

    describe('origins', () => {
      it('when a page of a foreign origin opens /visitor for a site with origins, then the handshake is refused with forbidden at origin', async () => {
        expect(await handshake(server.url, '/visitor', { siteId: 'demo' }, FOREIGN)).to.deep.equal({
          code: 'forbidden',
          field: 'origin',
        });
        expect(await handshake(server.url, '/visitor', { siteId: 'demo' }, LISTED)).to.equal(null);
        expect(
          await handshake(server.url, '/visitor', { siteId: 'demo' }, PUBLIC_URL),
          'the engine’s own demo page',
        ).to.equal(null);
        expect(
          await handshake(server.url, '/visitor', { siteId: 'demo' }),
          'no Origin: not a browser',
        ).to.equal(null);
      });

      it('when a site has an empty origins list, then any origin may open /visitor for it', async () => {
        const added = await api('/api/routing-config/sites/anywhere', {
          method: 'PUT',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Open site', origins: [] }),
        });
        expect(added.status).to.equal(201);
        expect(await handshake(server.url, '/visitor', { siteId: 'anywhere' }, FOREIGN)).to.equal(null);
        expect(await handshake(server.url, '/visitor', { siteId: 'demo' }, FOREIGN)).to.deep.equal({
          code: 'forbidden',
          field: 'origin',
        });
        // An open site opens socket.io's CORS to every origin (without credentials): take it away again.
        const removed = await api('/api/routing-config/sites/anywhere', {
          method: 'DELETE',
          headers: { authorization: `Bearer ${bearer}` },
        });
        expect(removed.status).to.equal(200);
      });

      it('when /operator is opened from a foreign origin, then it is refused even with a valid token; from PUBLIC_URL it connects', async () => {
        const token = await login(server.url, 'anna@example.com');
        expect(await handshake(server.url, '/operator', { token }, FOREIGN)).to.deep.equal({
          code: 'forbidden',
          field: 'origin',
        });
        expect(
          await handshake(server.url, '/operator', { token }, server.url),
          'the engine’s address is not PUBLIC_URL',
        ).to.deep.equal({ code: 'forbidden', field: 'origin' });
        expect(await handshake(server.url, '/operator', { token }, PUBLIC_URL)).to.equal(null);
      });

      it('when a foreign origin sends a CORS preflight, then neither socket.io nor the API reflects it', async () => {
        const preflight = (path: string, origin: string) =>
          api(path, {
            method: 'OPTIONS',
            headers: {
              origin,
              'access-control-request-method': 'POST',
              'access-control-request-headers': 'content-type',
            },
          });
        const socketForeign = await preflight('/socket.io/?EIO=4&transport=polling', FOREIGN);
        expect(socketForeign.headers.get('access-control-allow-origin')).to.equal(null);
        expect(socketForeign.headers.get('access-control-allow-credentials')).to.equal(null);
        const socketOwn = await preflight('/socket.io/?EIO=4&transport=polling', PUBLIC_URL);
        expect(socketOwn.headers.get('access-control-allow-origin')).to.equal(PUBLIC_URL);
        expect(socketOwn.headers.get('access-control-allow-credentials')).to.equal('true');
        const socketSite = await preflight('/socket.io/?EIO=4&transport=polling', LISTED);
        expect(socketSite.headers.get('access-control-allow-origin')).to.equal(LISTED);
        expect(
          socketSite.headers.get('access-control-allow-credentials'),
          'the widget sends no cookies',
        ).to.equal(null);
        const apiForeign = await preflight('/api/operators/x', FOREIGN);
        expect(apiForeign.status).to.equal(403);
        expect(apiForeign.headers.get('access-control-allow-origin')).to.equal(null);
      });

      it('when the widget asks for its site from a foreign origin, then 403; from a listed origin, CORS for that origin', async () => {
        const foreign = await api('/api/sites/demo/widget', { headers: { origin: FOREIGN } });
        expect(foreign.status).to.equal(403);
        expect(await errorOf(foreign)).to.include({ code: 'forbidden', field: 'origin' });
        const listed = await api('/api/sites/demo/widget', { headers: { origin: LISTED } });
        expect(listed.status).to.equal(200);
        expect(listed.headers.get('access-control-allow-origin')).to.equal(LISTED);
        expect(listed.headers.get('vary')).to.match(/Origin/i);
        expect((await api('/api/sites/demo/widget')).status).to.equal(200);
      });
    });

    describe('CSRF on cookie-authenticated writes', () => {
      let cookie: string;
      let annaId: string;
      before(async () => {
        const response = await api('/api/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'admin@example.com', password: 'demo-password' }),
        });
        cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
        const operators = (await (
          await api('/api/operators', { headers: { authorization: `Bearer ${bearer}` } })
        ).json()) as { data: { id: string; email: string }[] };
        annaId = operators.data.find((o) => o.email === 'anna@example.com')!.id;
      });
      const patch = (headers: Record<string, string>) =>
        api(`/api/operators/${annaId}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ displayName: 'Anna K.' }),
        });

      it('when a cookie-authenticated PATCH has no Origin or a wrong one, then 403 forbidden at origin and nothing changes', async () => {
        for (const headers of [
          { cookie },
          { cookie, origin: FOREIGN },
          { cookie, referer: `${FOREIGN}/page` },
        ] as Record<string, string>[]) {
          const response = await patch(headers);
          expect(response.status, JSON.stringify(headers)).to.equal(403);
          expect(await errorOf(response)).to.include({ code: 'forbidden', field: 'origin' });
        }
        const operator = await server.engine.operatorsRepo.findById(annaId);
        expect(operator?.displayName ?? null).to.not.equal('Anna K.');
      });

      it("when it names PUBLIC_URL's origin (Origin or Referer), or uses a Bearer token, then it is accepted", async () => {
        expect((await patch({ cookie, origin: PUBLIC_URL })).status).to.equal(200);
        expect((await patch({ cookie, referer: `${PUBLIC_URL}/console/operators` })).status).to.equal(200);
        expect((await patch({ authorization: `Bearer ${bearer}` })).status).to.equal(200);
      });

      it('when a cookie-authenticated GET comes without Origin, then it is served (reads are not CSRF)', async () => {
        expect((await api('/api/auth/me', { headers: { cookie } })).status).to.equal(200);
      });
    });

    describe('accounts', () => {
      it('when two supervisors create the same e-mail at once, then one gets 201 and the other 409 conflict at email, never a 500', async () => {
        const email = `twin-${Date.now()}@example.com`;
        const create = () =>
          api('/api/operators', {
            method: 'POST',
            headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
            body: JSON.stringify({ email, name: 'Twin', password: 'a-long-password-1', role: 'operator' }),
          });
        const responses = await Promise.all([create(), create(), create()]);
        expect(responses.map((r) => r.status).sort()).to.deep.equal([201, 409, 409]);
        for (const refused of responses.filter((r) => r.status === 409))
          expect(await errorOf(refused)).to.include({ code: 'conflict', field: 'email' });
      });
    });

    describe('visitor URLs', () => {
      it('when page.url and referrer are javascript: or data:, then they are stored as nothing and the dialog goes on', async () => {
        const visitor = await connectVisitor(server.url);
        const session = await call<VisitorSession>(visitor, 'session:resume', {});
        const view = await call<{ id: string }>(visitor, 'dialog:start', {
          ...chatStart('support'),
          page: {
            url: 'javascript:alert(1)',
            title: 'Shop',
            referrer: 'data:text/html,<script>alert(1)</script>',
          },
        });
        expect(view.id).to.be.a('string');
        await call(visitor, 'page:change', {
          url: 'JavaScript:alert(2)',
          referrer: 'https://search.example/?q=coffee',
        });
        await call(visitor, 'page:change', { url: 'https://shop.example/cart' });
        const card = await server.engine.reader.visitorCard(session.visitorId);
        expect(card.pages.map((p) => p.url)).to.deep.equal(['https://shop.example/cart', '', '']);
        expect(card.pages.map((p) => p.referrer)).to.deep.equal([
          null,
          'https://search.example/?q=coffee',
          null,
        ]);
        expect(card.referrer).to.equal(null);
      });
    });

    describe('headers and /metrics', () => {
      it('when the console, the demo and the API answer, then CSP, nosniff, Referrer-Policy and frame protection are set', async () => {
        const consolePage = await api('/console/');
        const csp = consolePage.headers.get('content-security-policy') ?? '';
        expect(csp).to.contain("script-src 'self'");
        expect(csp).to.contain("frame-ancestors 'none'");
        expect(csp).to.match(/connect-src 'self' wss:\/\/chat\.example\.test/);
        expect(csp).to.not.contain('unsafe-inline');
        expect(consolePage.headers.get('x-frame-options')).to.equal('DENY');
        const demo = await api('/demo/');
        expect(demo.headers.get('content-security-policy')).to.contain("script-src 'self'");
        expect(demo.headers.get('content-security-policy')).to.not.contain('unsafe-inline');
        for (const response of [consolePage, demo, await api('/api/groups')]) {
          expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
          expect(response.headers.get('referrer-policy')).to.equal('strict-origin-when-cross-origin');
        }
        expect((await api('/api/groups')).headers.get('content-security-policy')).to.contain(
          "default-src 'none'",
        );
        expect(
          (await api('/widget.js')).headers.get('cross-origin-resource-policy'),
          'customers’ pages load it',
        ).to.equal('cross-origin');
      });

      it('when /metrics is asked on the main port, then 404; on METRICS_PORT, Prometheus text', async () => {
        expect((await api('/metrics')).status).to.equal(404);
        expect(server.metricsUrl).to.be.a('string');
        const metrics = await fetch(`${server.metricsUrl}/metrics`);
        expect(metrics.status).to.equal(200);
        expect(await metrics.text()).to.contain('hotline_assignments_total');
      });
    });

    describe('URL patterns', () => {
      it('when a supervisor saves a rule with re:^(a+)+$, then 400 bad_request names the rule path', async () => {
        const response = await api('/api/routing-config/rules/slow', {
          method: 'PUT',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          // Built from entries: biome flags object literals with a `then` key; a rule is never awaited.
          body: JSON.stringify(
            Object.fromEntries([
              ['when', { pageUrl: 're:^(a+)+$' }],
              ['then', { groupId: 'support' }],
            ]),
          ),
        });
        expect(response.status).to.equal(400);
        const error = await errorOf(response);
        expect(error.code).to.equal('bad_request');
        expect(error.field).to.match(/^rules\[\d+\]\.when\.pageUrl$/);
      });
    });
  });
}

describe('own origin without PUBLIC_URL (development)', function () {
  this.timeout(60_000);
  let server: TestServer;
  withTestServer('embedded', {}, (s) => {
    server = s;
  });

  it('when PUBLIC_URL is unset, then the host the request names is the own origin, and another one is refused', async () => {
    const token = await login(server.url, 'anna@example.com');
    expect(await handshake(server.url, '/operator', { token }, server.url)).to.equal(null);
    expect(await handshake(server.url, '/operator', { token }, 'http://127.0.0.1:1')).to.deep.equal({
      code: 'forbidden',
      field: 'origin',
    });
    const write = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: 'hl_session=x', origin: server.url },
    });
    expect(write.status).to.equal(200);
  });
});

describe('PUBLIC_URL and METRICS_PORT settings', () => {
  it('when PUBLIC_URL is not an http(s) URL or METRICS_PORT not a port, then the error names the variable', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'chat.example.com' })).to.throw(
      ConfigError,
      'PUBLIC_URL: not a http(s):// URL',
    );
    expect(() => loadConfig({ PUBLIC_URL: 'javascript:alert(1)' })).to.throw(
      ConfigError,
      'PUBLIC_URL: not a http(s):// URL',
    );
    expect(() => loadConfig({ METRICS_PORT: 'ninety' })).to.throw(
      ConfigError,
      'METRICS_PORT: must be a port number',
    );
    const config = loadConfig({ PUBLIC_URL: 'https://chat.example.com', METRICS_PORT: '9464' });
    expect(config).to.include({ PUBLIC_URL: 'https://chat.example.com', METRICS_PORT: 9464 });
    expect(loadConfig({}).METRICS_PORT, 'unset: no metrics listener').to.equal(undefined);
  });
});

describe('OriginPolicy', () => {
  const sites = [
    { id: 'shop', name: 'Shop', origins: ['https://shop.example'] },
    { id: 'open', name: 'Open', origins: [] },
    { id: 'legacy', name: 'Legacy' },
  ].map((site) => SiteSchema.parse(site));
  const withPublicUrl = new OriginPolicy('https://chat.example.com/console/', () => sites);
  const sameHost = new OriginPolicy(undefined, () => sites);

  it('when PUBLIC_URL is set, then only its origin is own; unset, the host the request names', () => {
    expect(withPublicUrl.isOwn('https://chat.example.com', 'internal:3000')).to.equal(true);
    expect(withPublicUrl.isOwn('http://chat.example.com', 'chat.example.com')).to.equal(false);
    expect(sameHost.isOwn('http://127.0.0.1:3000', '127.0.0.1:3000')).to.equal(true);
    expect(sameHost.isOwn('http://127.0.0.1:3001', '127.0.0.1:3000')).to.equal(false);
    expect(sameHost.isOwn('null', 'null')).to.equal(false);
  });

  it('when sites list origins or none, then a listed, own or any origin is accepted accordingly, and the open ones are named for the start warning', () => {
    expect(withPublicUrl.siteAccepts('shop', 'https://shop.example', undefined)).to.equal(true);
    expect(withPublicUrl.siteAccepts('shop', 'https://chat.example.com', undefined)).to.equal(true);
    expect(withPublicUrl.siteAccepts('shop', 'https://evil.example', undefined)).to.equal(false);
    expect(withPublicUrl.siteAccepts('open', 'https://evil.example', undefined)).to.equal(true);
    expect(withPublicUrl.siteAccepts('legacy', 'https://evil.example', undefined)).to.equal(true);
    expect(withPublicUrl.openSites()).to.deep.equal(['open', 'legacy']);
  });
});
