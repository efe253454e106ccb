import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { expect } from 'chai';
import { io } from 'socket.io-client';
import {
  emailDelayMs,
  type LoginThrottle,
  loginLimitsOf,
  MemoryLoginThrottle,
  RedisLoginThrottle,
} from '../../src/accounts/login-throttle';
import { MAX_PASSWORD_BYTES } from '../../src/accounts/passwords';
import { DEMO_PASSWORD, refuseDemoAccountsInProduction } from '../../src/accounts/seed';
import { ConfigError } from '../../src/config';
import type { Ack, VisitorSession } from '@hotline/protocol';
import { clientAddress } from '../../src/http/client-address';
import { type Backends, backendsAvailable, startTestServer, type TestServer } from '../support/engine';
import { deleteKeys, testRedis } from '../support/redis';

const root = fileURLToPath(new URL('../../..', import.meta.url));

interface LoginReply {
  status: number;
  retryAfterHeader: string | null;
  body: { data?: { token: string }; error?: { code: string; field?: string; retryAfterMs?: number } };
}

async function login(
  server: TestServer,
  email: string,
  password: string,
  forwardedFor?: string,
): Promise<LoginReply> {
  const response = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: JSON.stringify({ email, password }),
  });
  return {
    status: response.status,
    retryAfterHeader: response.headers.get('retry-after'),
    body: (await response.json()) as LoginReply['body'],
  };
}

/** How many attempts reached the password check so far (failed + succeeded), from the login metric. */
async function passwordChecks(server: TestServer): Promise<number> {
  const { values } = await server.engine.metrics.loginAttempts.get();
  return values.filter((v) => v.labels.outcome !== 'rate_limited').reduce((sum, v) => sum + v.value, 0);
}

const tally = (replies: LoginReply[]) => {
  const byStatus: Record<number, number> = {};
  for (const reply of replies) byStatus[reply.status] = (byStatus[reply.status] ?? 0) + 1;
  return byStatus;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server per backend for the suite; started lazily, stopped after it. */
function serverFor(backends: Backends, overrides: Parameters<typeof startTestServer>[1]) {
  let server: TestServer | undefined;
  after(async () => server?.cleanup());
  return async () => {
    server ??= await startTestServer(backends, overrides);
    return server;
  };
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`login limits (${backends})`, function () {
    this.timeout(120_000);
    before(async function () {
      if (!(await backendsAvailable(backends))) this.skip();
    });
    // TRUST_PROXY 0 (the default): X-Forwarded-For is ignored. TRUST_PROXY 1: its last hop is the client.
    const direct = serverFor(backends, { LOGIN_MAX_FAILURES: 5, LOGIN_ADDRESS_MAX_FAILURES: 8 });
    const behindProxy = serverFor(backends, { LOGIN_MAX_FAILURES: 5, TRUST_PROXY: 1 });

    it('when 60 wrong guesses on one e-mail come at once from one address, then at most the limit reach the password check, the rest get 429 and none 5xx', async () => {
      const server = await behindProxy();
      const before = await passwordChecks(server);
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          login(server, 'boris@example.com', `wrong-guess-${i}`, '203.0.113.7'),
        ),
      );
      const checked = (await passwordChecks(server)) - before;
      const statuses = tally(replies);
      console.log(
        `      60 parallel guesses (${backends}): ${checked} checked against the password, statuses ${JSON.stringify(statuses)}`,
      );
      expect(checked).to.be.at.most(5);
      expect(statuses[401]).to.equal(checked);
      expect(statuses[429]).to.equal(60 - checked);
      expect(replies.filter((r) => r.status >= 500)).to.have.length(0);
      for (const reply of replies.filter((r) => r.status === 429)) {
        expect(reply.body.error).to.include({ code: 'rate_limited' });
        expect(reply.body.error?.retryAfterMs).to.be.within(1000, 900_000);
        expect(reply.retryAfterHeader).to.equal(
          String(Math.ceil((reply.body.error?.retryAfterMs ?? 0) / 1000)),
        );
      }
    });

    it('when X-Forwarded-For rotates with TRUST_PROXY=0, then the per-address limit still counts one address', async () => {
      const server = await direct();
      const replies: LoginReply[] = [];
      // Different e-mails, so only the address limit (8) can stop them.
      for (let i = 0; i < 12; i++)
        replies.push(await login(server, `nobody-${i}@example.com`, 'wrong-password', `198.51.100.${i}`));
      expect(replies.map((r) => r.status)).to.deep.equal([...Array(8).fill(401), ...Array(4).fill(429)]);
    });

    it('when TRUST_PROXY=1, then the last hop is the address: rotating it counts apart, rotating forged hops before it does not', async () => {
      const server = await behindProxy();
      const apart: LoginReply[] = [];
      for (let i = 0; i < 25; i++)
        apart.push(await login(server, `someone-${i}@example.com`, 'wrong-password', `198.51.100.${i}`));
      // 25 from one address would pass the address limit (20): each came from its own.
      expect(apart.every((r) => r.status === 401)).to.equal(true);
      const forged: LoginReply[] = [];
      for (let i = 0; i < 7; i++)
        forged.push(await login(server, 'carl@example.com', 'wrong-password', `10.9.${i}.1, 192.0.2.50`));
      expect(forged.map((r) => r.status)).to.deep.equal([401, 401, 401, 401, 401, 429, 429]);
    });

    it("when an attacker's guesses from address A hit the limit, then the real operator logs in from address B within 2 s, and at once from an address he used before", async () => {
      const server = await behindProxy();
      expect((await login(server, 'dina@example.com', DEMO_PASSWORD, '192.0.2.88')).status).to.equal(200);
      const attack: LoginReply[] = [];
      for (let i = 0; i < 10; i++)
        attack.push(await login(server, 'dina@example.com', `guess-${i}`, '192.0.2.66'));
      expect(attack.map((r) => r.status)).to.deep.equal([...Array(5).fill(401), ...Array(5).fill(429)]);

      // A new address: the e-mail's delay after 5 misses is 2 s, then he is in.
      let waited = 0;
      let reply = await login(server, 'dina@example.com', DEMO_PASSWORD, '192.0.2.77');
      for (let tries = 0; reply.status === 429 && tries < 3; tries++) {
        const retryAfter = (reply.body.error?.retryAfterMs ?? 0) / 1000;
        expect(retryAfter).to.be.within(1, 2);
        waited += retryAfter;
        await sleep(retryAfter * 1000);
        reply = await login(server, 'dina@example.com', DEMO_PASSWORD, '192.0.2.77');
      }
      console.log(`      operator at a new address (${backends}): in after waiting ${waited} s`);
      expect(reply.status).to.equal(200);
      expect(waited).to.be.at.most(2);

      // Another round of guesses; his known address skips the e-mail's delay.
      for (let i = 0; i < 3; i++) await login(server, 'dina@example.com', `guess-again-${i}`, '192.0.2.99');
      expect((await login(server, 'dina@example.com', DEMO_PASSWORD, '192.0.2.88')).status).to.equal(200);
    });

    it('when the database fails during logins, then those attempts are given back: once it is back the operator logs in', async () => {
      const server = await behindProxy();
      const repo = server.engine.operatorsRepo;
      const original = repo.findByEmailWithHash;
      repo.findByEmailWithHash = async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      };
      const during: number[] = [];
      try {
        for (let i = 0; i < 8; i++)
          during.push((await login(server, 'anna@example.com', DEMO_PASSWORD, '192.0.2.200')).status);
      } finally {
        repo.findByEmailWithHash = original;
      }
      expect(during).to.deep.equal(Array(8).fill(503));
      expect((await login(server, 'anna@example.com', DEMO_PASSWORD, '192.0.2.200')).status).to.equal(200);
    });

    it('when refused, then nothing was counted: the attacker at A stays refused while every refusal leaves the counters as they were', async () => {
      const server = await behindProxy();
      const before = await passwordChecks(server);
      for (let i = 0; i < 6; i++) await login(server, 'admin@example.com', `nope-${i}`, '192.0.2.120');
      const refusedBurst = await Promise.all(
        Array.from({ length: 20 }, () => login(server, 'admin@example.com', 'nope', '192.0.2.120')),
      );
      expect(refusedBurst.every((r) => r.status === 429)).to.equal(true);
      expect((await passwordChecks(server)) - before).to.equal(5);
    });
  });

  describe(`passwords (${backends})`, function () {
    this.timeout(120_000);
    before(async function () {
      if (!(await backendsAvailable(backends))) this.skip();
    });
    // Room for every probe below from one address.
    const server = serverFor(backends, { LOGIN_MAX_FAILURES: 100, LOGIN_ADDRESS_MAX_FAILURES: 100 });

    it('when a password is 100 bytes long, then changing any byte after byte 72 fails the login, and the whole of it succeeds', async () => {
      const s = await server();
      const password = Array.from({ length: 100 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join(
        '',
      );
      await s.engine.operatorsRepo.create({
        email: 'long@example.com',
        name: 'Long Password',
        password,
        role: 'operator',
      });
      const statuses: number[] = [];
      for (let at = 72; at < 100; at++) {
        const changed = password.slice(0, at) + (password[at] === 'x' ? 'y' : 'x') + password.slice(at + 1);
        statuses.push((await login(s, 'long@example.com', changed)).status);
      }
      expect(statuses).to.deep.equal(Array(28).fill(401));
      expect((await login(s, 'long@example.com', password)).status).to.equal(200);
    });

    it('when a password is longer than the limit, then 400 names the field password', async () => {
      const s = await server();
      const reply = await login(s, 'anna@example.com', 'p'.repeat(MAX_PASSWORD_BYTES + 1));
      expect(reply.status).to.equal(400);
      expect(reply.body.error).to.include({ code: 'bad_request', field: 'password' });
      // Bytes, not characters: 342 three-byte characters are 1026 bytes.
      expect((await login(s, 'anna@example.com', '€'.repeat(342))).body.error?.field).to.equal('password');
    });

    it('when an account still has a bcrypt hash, then it logs in and its hash becomes argon2id', async () => {
      const s = await server();
      const operator = await s.engine.operatorsRepo.create({
        email: 'legacy@example.com',
        name: 'Legacy',
        password: 'unused-password',
        role: 'operator',
      });
      await s.engine.operatorsRepo.replacePasswordHash(
        operator.id,
        bcrypt.hashSync('old-bcrypt-password', 10),
      );
      expect((await s.engine.operatorsRepo.findByEmailWithHash('legacy@example.com'))?.passwordHash).to.match(
        /^\$2[ab]\$/,
      );
      expect((await login(s, 'legacy@example.com', 'old-bcrypt-password')).status).to.equal(200);
      expect((await s.engine.operatorsRepo.findByEmailWithHash('legacy@example.com'))?.passwordHash).to.match(
        /^\$argon2id\$/,
      );
      expect((await login(s, 'legacy@example.com', 'old-bcrypt-password')).status).to.equal(200);
      expect((await login(s, 'legacy@example.com', 'old-bcrypt-passwore')).status).to.equal(401);
    });

    it('when NODE_ENV=production and a demo account still opens with the demo password, then the check refuses it, and passes once it is changed', async () => {
      const s = await server();
      const production = { ...s.engine.config, NODE_ENV: 'production' };
      let refusal: unknown;
      await refuseDemoAccountsInProduction(s.engine.operatorsRepo, production).catch((error) => {
        refusal = error;
      });
      expect(refusal).to.be.instanceOf(ConfigError);
      expect(String((refusal as Error).message)).to.match(
        /^NODE_ENV: production refuses the demo account admin@example\.com/,
      );
      for (const email of [
        'admin@example.com',
        'anna@example.com',
        'boris@example.com',
        'carl@example.com',
        'dina@example.com',
      ]) {
        const account = await s.engine.operatorsRepo.findByEmailWithHash(email);
        // Deactivated or with a real password: both are fine.
        await s.engine.operatorsRepo.update(
          account!.id,
          email === 'dina@example.com' ? { active: false } : { password: 'a-real-secret-1' },
        );
      }
      await refuseDemoAccountsInProduction(s.engine.operatorsRepo, production);
    });
  });
}

describe('login throttle policy (virtual clock)', () => {
  const limits = loginLimitsOf({
    LOGIN_MAX_FAILURES: 5,
    LOGIN_ADDRESS_MAX_FAILURES: 20,
    LOGIN_WINDOW_SECONDS: 900,
  });

  it('when misses on an e-mail pile up, then its delay doubles from 2 s and stops at 60 s', () => {
    const delays = [4, 5, 6, 7, 8, 9, 10, 11, 50].map((missed) => emailDelayMs(missed, limits) / 1000);
    expect(delays).to.deep.equal([0, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  // The same run against the Lua script and the memory copy of it: both must keep the same policy.
  const throttles: [
    string,
    (clock: () => number) => Promise<{ throttle: LoginThrottle; done: () => Promise<void> }>,
  ][] = [
    ['memory', async (clock) => ({ throttle: new MemoryLoginThrottle(limits, clock), done: async () => {} })],
    [
      'redis',
      async (clock) => {
        const redis = await testRedis();
        const prefix = `hltest-login-${randomUUID()}`;
        return {
          throttle: new RedisLoginThrottle(redis, limits, prefix, clock),
          done: async () => {
            await deleteKeys(redis, `${prefix}*`);
            redis.disconnect();
          },
        };
      },
    ],
  ];
  for (const [kind, make] of throttles) {
    it(`when 1,000 addresses guess one e-mail for 15 minutes (${kind}), then they get at most one guess a minute past the first few, and the operator at his known address is never delayed`, async function () {
      if (kind === 'redis' && !(await backendsAvailable('real'))) return this.skip();
      let now = 1_000_000;
      const { throttle, done } = await make(() => now);
      const email = 'dina@example.com';
      await throttle.begin({ email, address: 'office' });
      await throttle.succeeded({ email, address: 'office' });
      let admitted = 0;
      let longestRetry = 0;
      let operatorRefused = 0;
      for (let second = 0; second < 900; second++, now += 1000) {
        // Each second, ten attacker addresses try (1,000 over the run, 9 tries each).
        for (let k = 0; k < 10; k++) {
          const verdict = await throttle.begin({ email, address: `bot-${(second * 10 + k) % 1000}` });
          if (verdict.allowed) admitted += 1;
          else longestRetry = Math.max(longestRetry, verdict.retryAfterSeconds);
        }
        if (second % 60 === 30) {
          const verdict = await throttle.begin({ email, address: 'office' });
          if (verdict.allowed) await throttle.succeeded({ email, address: 'office' });
          else operatorRefused += 1;
        }
      }
      await done();
      console.log(
        `      1,000 addresses x 15 min (${kind}): ${admitted} guesses checked, longest retryAfter ${longestRetry} s, operator refused ${operatorRefused} times`,
      );
      // 5 before any delay, 4 while it ramps up (2, 4, 8, 16, 32 s), then one a minute at most.
      expect(admitted).to.be.at.most(5 + 4 + 15);
      expect(longestRetry).to.be.at.most(60);
      expect(operatorRefused).to.equal(0);
    });
  }
});

describe('client address (TRUST_PROXY)', () => {
  const peer = (forwardedFor?: string | string[]) => ({
    address: '10.0.0.2',
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  });

  it('when no proxy is trusted, then X-Forwarded-For is ignored', () => {
    expect(clientAddress(peer('6.6.6.6'), 0)).to.equal('10.0.0.2');
  });

  it('when one proxy is trusted, then the last hop it wrote is the client, whatever came before it', () => {
    expect(clientAddress(peer('6.6.6.6, 203.0.113.9'), 1)).to.equal('203.0.113.9');
    expect(clientAddress(peer(['6.6.6.6', '203.0.113.9']), 1)).to.equal('203.0.113.9');
    expect(clientAddress(peer(), 1)).to.equal('10.0.0.2');
  });

  it('when more hops are trusted than the header has, then the first address in it is taken, as express does', () => {
    expect(clientAddress(peer('203.0.113.9, 198.51.100.1'), 2)).to.equal('203.0.113.9');
    expect(clientAddress(peer('203.0.113.9'), 5)).to.equal('203.0.113.9');
  });
});

for (const trustProxy of [0, 1]) {
  describe(`visitor handshake address (TRUST_PROXY=${trustProxy})`, function () {
    this.timeout(60_000);
    let server: TestServer | undefined;
    before(async () => {
      server = await startTestServer('embedded', { TRUST_PROXY: trustProxy });
    });
    after(async () => server?.cleanup());

    it(`when a visitor connects with a forged X-Forwarded-For, then his stored address is ${trustProxy ? 'the last hop' : 'the TCP peer'}`, async () => {
      const socket = io(`${server!.url}/visitor`, {
        auth: { siteId: 'demo' },
        transports: ['websocket'],
        forceNew: true,
        extraHeaders: { 'x-forwarded-for': '6.6.6.6, 203.0.113.44' },
      });
      try {
        const session = await new Promise<VisitorSession>((resolve, reject) => {
          socket.once('connect_error', reject);
          socket.emit('session:resume', {}, (reply: Ack<VisitorSession>) =>
            'data' in reply ? resolve(reply.data) : reject(new Error(reply.error.message)),
          );
        });
        const visitor = await server!.engine.visitorRepo.findVisitor(session.visitorId);
        expect(visitor?.ip).to.equal(trustProxy ? '203.0.113.44' : '127.0.0.1');
      } finally {
        socket.close();
      }
    });
  });
}

describe('production start', function () {
  this.timeout(120_000);

  it('when NODE_ENV=production finds a demo account with the demo password, then the engine exits 2 with one line naming it', async () => {
    const seeded = await startTestServer('embedded', { SEED_DEMO: true });
    await seeded.stop();
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'engine/src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATA_DIR: seeded.engine.config.dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    await seeded.cleanup();
    expect(result.status).to.equal(2);
    expect(result.stderr.trim().split('\n')).to.deep.equal([
      'NODE_ENV: production refuses the demo account admin@example.com with the demo password: change its password or deactivate it',
    ]);
  });

  it('when NODE_ENV=production and SEED_DEMO=true, then the engine exits 2 before opening anything', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'engine/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', SEED_DEMO: 'true' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).to.equal(2);
    expect(result.stderr.trim()).to.equal('SEED_DEMO: demo accounts are refused with NODE_ENV=production');
  });
});
