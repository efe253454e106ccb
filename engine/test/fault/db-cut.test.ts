import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { io } from 'socket.io-client';
import type { VisitorSession } from '@hotline/protocol';
import type { OperatorSocket, VisitorSocket } from '../support/clients';
import { backendsAvailable } from '../support/engine';
import { type EngineProcess, freePort, startEngineProcess } from '../support/engine-process';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../support/redis';
import { LOAD_PASSWORD } from '../multinode/load-driver';
import { callWithin, errorCode, prepareFaultLoad } from './chaos-load';

/**
 * Postgres unreachable for one engine only, without touching the shared server: the engine talks to
 * Postgres through a TCP forwarder the test cuts (refuses new connections, drops open ones).
 */
describe('one engine whose Postgres becomes unreachable (TCP cut, shared server untouched)', function () {
  this.timeout(120_000);
  const schema = freshSchema();
  const dir = mkdtempSync(join(tmpdir(), 'hotline-dbcut-'));
  let node: EngineProcess;
  let forwarder: Server;
  let reachable = true;
  const links = new Set<Socket>();
  let operatorEmail = '';

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    const setup = await prepareFaultLoad({
      dir,
      databaseUrl: TEST_DATABASE_URL,
      schema,
      operators: 2,
      staffedGroups: 1,
      unstaffedGroups: 1,
      seed: 1,
    });
    operatorEmail = setup.operators[0]!.email;
    const target = new URL(TEST_DATABASE_URL);
    forwarder = createServer((client) => {
      if (!reachable) return client.destroy();
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        links.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          links.delete(a);
          b.destroy();
        });
      }
    });
    const port = await freePort();
    await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve));
    const viaForwarder = new URL(TEST_DATABASE_URL);
    viaForwarder.hostname = '127.0.0.1';
    viaForwarder.port = String(port);
    node = await startEngineProcess({
      DATABASE_URL: viaForwarder.toString(),
      DATABASE_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `hltest-${schema}`,
      ROUTING_CONFIG: setup.configPath,
      SEED_DEMO: 'false',
    });
  });

  after(async () => {
    await node?.stop();
    forwarder?.close();
    const redis = await testRedis().catch(() => null);
    if (redis) {
      await deleteKeys(redis, `hltest-${schema}*`);
      redis.disconnect();
    }
    await dropSchema(schema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('when Postgres is unreachable, then readiness is 503, a start acks unavailable, an operator handshake is refused and the process stays up', async () => {
    const response = await fetch(`${node.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: operatorEmail, password: LOAD_PASSWORD }),
    });
    const token = ((await response.json()) as { data: { token: string } }).data.token;
    const visitor: VisitorSocket = io(`${node.url}/visitor`, {
      auth: { siteId: 'demo' },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      visitor.once('connect', () => resolve());
      visitor.once('connect_error', reject);
    });
    await callWithin<VisitorSession>(visitor, 'session:resume', {}, 10_000);

    reachable = false;
    for (const link of links) link.destroy();
    await new Promise((r) => setTimeout(r, 500));

    expect((await fetch(`${node.url}/readyz`)).status, '/readyz').to.equal(503);
    const began = Date.now();
    const code = await callWithin(
      visitor,
      'dialog:start',
      {
        choice: { groupId: 'g1' },
        page: { url: 'http://cut/' },
        message: { clientMessageId: crypto.randomUUID(), body: 'hi' },
      },
      10_000,
    ).then(
      () => 'accepted',
      (error) => errorCode(error),
    );
    const startAckMs = Date.now() - began;
    visitor.close();

    // An operator's browser reconnecting during the outage (e.g. after its node died).
    const operator: OperatorSocket = io(`${node.url}/operator`, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    const handshake = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('no answer within 10 s'), 10_000);
      const done = (what: string) => {
        clearTimeout(timer);
        resolve(what);
      };
      operator.once('connect', () => done('connected'));
      operator.once('connect_error', (error) => done(`connect_error: ${error.message}`));
      operator.io.once('close', (reason) => setImmediate(() => done(`connection closed: ${reason}`)));
    });
    operator.close();
    await new Promise((r) => setTimeout(r, 500));
    const exitCode = node.child.exitCode;
    console.log(
      `      outage: dialog:start acked '${code}' in ${startAckMs} ms; operator handshake: ${handshake}; engine exit code: ${exitCode ?? 'running'}`,
    );
    if (exitCode !== null) {
      const tail = node
        .output()
        .split('\n')
        .filter((l) => /triggerUncaughtException|ECONNREFUSED|Node\.js v/.test(l))
        .slice(-4)
        .join('\n');
      console.log(`      the engine died:\n${tail}`);
    }
    reachable = true;

    expect(code).to.equal('unavailable');
    expect(startAckMs).to.be.below(10_000);
    expect(
      exitCode,
      'the engine process died on an operator handshake during the outage (unhandled rejection)',
    ).to.equal(null);
    expect(handshake).to.match(/^connect_error/);
    expect((await fetch(`${node.url}/readyz`)).status, '/readyz once Postgres is back').to.equal(200);

    // Back in service: a new visitor connects and starts a dialog.
    const back = Date.now();
    let attempts = 0;
    let served = false;
    while (!served && Date.now() - back < 20_000) {
      attempts += 1;
      const probe: VisitorSocket = io(`${node.url}/visitor`, {
        auth: { siteId: 'demo' },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      served = await new Promise<void>((resolve, reject) => {
        probe.once('connect', () => resolve());
        probe.once('connect_error', reject);
      })
        .then(() =>
          callWithin(
            probe,
            'dialog:start',
            {
              choice: { groupId: 'g1' },
              page: { url: 'http://back/' },
              message: { clientMessageId: crypto.randomUUID(), body: 'back?' },
            },
            10_000,
          ),
        )
        .then(
          () => true,
          () => false,
        );
      probe.close();
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    console.log(
      `      after the link returned: a visitor's start succeeded ${Date.now() - back} ms later (${attempts} attempts)`,
    );
    expect(served, 'a visitor can start a dialog once Postgres is back').to.equal(true);
  });
});
