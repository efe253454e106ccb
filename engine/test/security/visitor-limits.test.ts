/**
 * Visitor limits and blocking a spammer (issue 13): bursts over a limit are refused with
 * `rate_limited` and `retryAfterMs` and store nothing; token minting and dialog:start are limited per
 * client address; a block holds against a cleared token (by address) until it expires; and a flood
 * of 1,000 messages in a second slows neither another dialog's operator replies nor his own.
 *
 * Each test connects from its own loopback address (127.0.0.x, the socket's `localAddress`), so the
 * per-address counters of one test do not touch another's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { type EngineConfig, loadConfig } from '../../src/config';
import type {
  Ack,
  DialogDetail,
  ErrorBody,
  MessageView,
  VisitorDialogView,
  VisitorSession,
} from '@hotline/protocol';
import {
  call,
  callRaw,
  chatStart,
  clientId,
  connectOperator,
  eventually,
  next,
  type VisitorSocket,
} from '../support/clients';
import {
  type Backends,
  backendsAvailable,
  startTestServer,
  TEST_ROUTING,
  type TestServer,
  withTestServer,
} from '../support/engine';
import { UNLIMITED_VISITORS } from '../support/limits';

const opened: VisitorSocket[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

/** A visitor socket from `address`; rejects with the handshake's refusal (`connect_error` data). */
function visitorFrom(url: string, address: string, visitorToken?: string): Promise<VisitorSocket> {
  // `localAddress` reaches the Node WebSocket transport (engine.io-client passes it on; untyped).
  const options: Partial<ManagerOptions & SocketOptions> & { localAddress: string } = {
    auth: { siteId: 'demo', ...(visitorToken ? { visitorToken } : {}) },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    localAddress: address,
  };
  const socket: VisitorSocket = io(`${url}/visitor`, options);
  opened.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: ErrorBody }) =>
      reject(Object.assign(error, { refusal: error.data })),
    );
  });
}

/** The refusal of a handshake that must fail. */
async function refusal(attempt: Promise<unknown>): Promise<ErrorBody> {
  try {
    await attempt;
  } catch (error) {
    const body = (error as { refusal?: ErrorBody }).refusal;
    if (body) return body;
    throw error;
  }
  throw new Error('the handshake was accepted');
}

const countOf = async (query: Knex.QueryBuilder) =>
  Number(((await query.count({ count: '*' })) as { count: string | number }[])[0]?.count ?? 0);

const limits = {
  ...UNLIMITED_VISITORS,
  VISITOR_MESSAGES_PER_10S: 5,
  VISITOR_STARTS_PER_MINUTE: 2,
  ADDRESS_STARTS_PER_MINUTE: 4,
  ADDRESS_TOKENS_PER_MINUTE: 4,
  VISITOR_HANDSHAKES_PER_MINUTE: 5,
  VISITOR_BLOCK_ADDRESS_SECONDS: 2,
} satisfies Partial<EngineConfig>;

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`visitor limits and blocking (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING, ...limits }, (s) => {
      server = s;
    });

    it('when a visitor sends a burst over his message limit, then the rest get rate_limited with retryAfterMs and nothing over the limit is stored', async () => {
      const visitor = await visitorFrom(server.url, '127.0.0.11');
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', {
        choice: { groupId: 'night' },
        page: { url: 'http://shop.test/' },
      });
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          callRaw<MessageView>(visitor, 'message:send', { clientMessageId: clientId(), body: `burst ${i}` }),
        ),
      );
      const refused = answers.flatMap((a) => ('error' in a ? [a.error] : []));
      console.log(`      burst of 30: ${30 - refused.length} stored, ${refused.length} rate_limited`);
      expect(refused).to.have.length(25);
      for (const error of refused) {
        expect(error.code).to.equal('rate_limited');
        expect(error.retryAfterMs).to.be.a('number').within(1, 10_000);
      }
      const stored = (await server.engine.messageRepo.messages(view.id)).filter(
        (m) => m.authorKind === 'visitor' && m.body.startsWith('burst '),
      );
      expect(stored).to.have.length(5);
      const metrics = await server.engine.metrics.registry.getSingleMetricAsString(
        'hotline_visitor_rate_limited_total',
      );
      expect(metrics).to.match(/hotline_visitor_rate_limited_total\{action="message",scope="visitor"\} 25\b/);
      // Other events have their own, looser budget: the visitor is not cut off.
      expect(await callRaw(visitor, 'typing:set', { typing: true })).to.deep.equal({ data: null });
    });

    it('when one address mints tokens past its limit, then the next handshake without a token is refused with rate_limited; known tokens still connect', async () => {
      const address = '127.0.0.12';
      const tokens: string[] = [];
      for (let i = 0; i < 4; i++) {
        const visitor = await visitorFrom(server.url, address);
        tokens.push((await call<VisitorSession>(visitor, 'session:resume')).visitorToken);
      }
      const refused = await refusal(visitorFrom(server.url, address));
      expect(refused.code).to.equal('rate_limited');
      expect(refused.retryAfterMs).to.be.a('number').within(1, 60_000);
      // An unknown token mints too, and is counted the same way.
      expect((await refusal(visitorFrom(server.url, address, 'not-a-known-token'))).code).to.equal(
        'rate_limited',
      );
      const returning = await visitorFrom(server.url, address, tokens[0]);
      expect((await call<VisitorSession>(returning, 'session:resume')).visitorToken).to.equal(tokens[0]);
      expect(await countOf(server.engine.database.db('visitors').where({ ip: address }))).to.equal(4);
      // Another address is not affected.
      await visitorFrom(server.url, '127.0.0.13');
    });

    it('when one token reconnects past its handshake limit, then it is refused with rate_limited; another visitor at the same address still connects', async () => {
      const address = '127.0.0.18';
      const first = await visitorFrom(server.url, address);
      const { visitorToken } = await call<VisitorSession>(first, 'session:resume');
      first.close();
      // The first handshake had no token yet; the token's own five follow.
      for (let i = 0; i < 5; i++) (await visitorFrom(server.url, address, visitorToken)).close();
      const refused = await refusal(visitorFrom(server.url, address, visitorToken));
      expect(refused.code).to.equal('rate_limited');
      expect(refused.retryAfterMs).to.be.a('number').within(1, 60_000);
      await visitorFrom(server.url, address);
    });

    it('when dialog:start is repeated past the visitor and the address limits, then they are refused and no dialog is created beyond them', async () => {
      const address = '127.0.0.14';
      const first = await visitorFrom(server.url, address);
      const startNight = () => ({ choice: { groupId: 'night' }, page: { url: 'http://shop.test/' } });
      const a = await call<VisitorDialogView>(first, 'dialog:start', startNight());
      const b = await call<VisitorDialogView>(first, 'dialog:start', startNight());
      expect(b.id).to.equal(a.id);
      const third = await callRaw(first, 'dialog:start', startNight());
      expect('error' in third && third.error.code).to.equal('rate_limited');
      // The address allows 4 starts a minute: the first visitor used 2 (his refused third did not count).
      const others = await Promise.all([0, 1, 2].map(() => visitorFrom(server.url, address)));
      const answers: Ack<VisitorDialogView>[] = [];
      for (const other of others)
        answers.push(await callRaw<VisitorDialogView>(other, 'dialog:start', startNight()));
      expect(answers.map((answer) => ('error' in answer ? answer.error.code : 'ok'))).to.deep.equal([
        'ok',
        'ok',
        'rate_limited',
      ]);
      const visitorIds = await server.engine.database.db('visitors').where({ ip: address }).pluck('id');
      expect(await countOf(server.engine.database.db('dialogs').whereIn('visitor_id', visitorIds))).to.equal(
        3,
      );
    });

    it('when an operator blocks a visitor, then his sockets close, his token and his address are refused (also without a token) until the address block expires', async () => {
      const address = '127.0.0.15';
      const carl = await connectOperator(server.url, 'carl@example.com');
      await call(carl, 'presence:set', { status: 'online' });
      const spammer = await visitorFrom(server.url, address);
      const { visitorToken } = await call<VisitorSession>(spammer, 'session:resume');
      const assigned = next<DialogDetail>(carl, 'dialog:assigned');
      await call(spammer, 'dialog:start', chatStart('support', 'buy cheap pills'));
      const dialog = await assigned;
      const dropped = new Promise<string>((resolve) => spammer.once('disconnect', resolve));
      await call(carl, 'visitor:block', { dialogId: dialog.id, reason: 'spam' });
      expect(await dropped).to.equal('io server disconnect');

      const byToken = await refusal(visitorFrom(server.url, address, visitorToken));
      expect(byToken).to.include({ code: 'forbidden', message: 'this chat is not available' });
      // He cleared his storage: no token, same address.
      const cleared = await refusal(visitorFrom(server.url, address));
      expect(cleared).to.include({ code: 'forbidden', message: 'this chat is not available' });
      // Someone else elsewhere is not affected.
      await visitorFrom(server.url, '127.0.0.16');

      // The address block expires (VISITOR_BLOCK_ADDRESS_SECONDS: 2); the blocked token stays blocked.
      await eventually(
        async () =>
          visitorFrom(server.url, address).then(
            () => true,
            () => false,
          ),
        5_000,
        'the address block to expire',
      );
      expect((await refusal(visitorFrom(server.url, '127.0.0.17', visitorToken))).code).to.equal('forbidden');
    });
  });
}

describe('visitor limits across two engines on one Redis (real)', function () {
  this.timeout(60_000);
  const nodes: TestServer[] = [];
  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
    const first = await startTestServer('real', { routingConfigPath: TEST_ROUTING, ...limits });
    nodes.push(first);
    const { DATABASE_SCHEMA, REDIS_KEY_PREFIX } = first.engine.config;
    nodes.push(
      await startTestServer('real', {
        routingConfigPath: TEST_ROUTING,
        ...limits,
        DATABASE_SCHEMA,
        REDIS_KEY_PREFIX,
      }),
    );
  });
  after(async () => {
    // The second shares the first's schema and keys: the first drops them, last.
    for (const node of nodes.reverse()) await node.cleanup();
  });

  it('when one visitor writes through both engines at once, then they count against one budget', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const onA = await visitorFrom(a.url, '127.0.0.31');
    const { visitorToken } = await call<VisitorSession>(onA, 'session:resume');
    const view = await call<VisitorDialogView>(onA, 'dialog:start', {
      choice: { groupId: 'night' },
      page: { url: 'http://shop.test/' },
    });
    const onB = await visitorFrom(b.url, '127.0.0.31', visitorToken);
    const burst = (socket: VisitorSocket, node: string) =>
      Array.from({ length: 4 }, (_, i) =>
        callRaw<MessageView>(socket, 'message:send', { clientMessageId: clientId(), body: `${node} ${i}` }),
      );
    const answers = await Promise.all([...burst(onA, 'a'), ...burst(onB, 'b')]);
    expect(answers.filter((answer) => 'data' in answer)).to.have.length(5);
    expect(
      answers.filter((answer) => 'error' in answer && answer.error.code === 'rate_limited'),
    ).to.have.length(3);
    const stored = (await a.engine.messageRepo.messages(view.id)).filter((m) => m.authorKind === 'visitor');
    expect(stored).to.have.length(5);
  });
});

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((x, y) => x - y);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

describe('a flooding visitor (real)', function () {
  this.timeout(180_000);
  let server: TestServer;
  // The engine's default limits.
  const defaults = loadConfig({});
  const defaultLimits = Object.fromEntries(
    (Object.keys(UNLIMITED_VISITORS) as (keyof typeof UNLIMITED_VISITORS)[]).map((name) => [
      name,
      defaults[name],
    ]),
  );
  withTestServer('real', { routingConfigPath: TEST_ROUTING, ...defaultLimits }, (s) => {
    server = s;
  });

  it('when one visitor sends message:send at 1,000 a second, then operator→visitor delivery in another dialog stays within 2× the idle p99, and in his own within 3×', async () => {
    const carl = await connectOperator(server.url, 'carl@example.com');
    await call(carl, 'presence:set', { status: 'online' });
    const held: DialogDetail[] = [];
    carl.on('dialog:assigned', (d) => held.push(d));
    const quiet = await visitorFrom(server.url, '127.0.0.21');
    await call(quiet, 'dialog:start', chatStart('support', 'a normal question'));
    const flooder = await visitorFrom(server.url, '127.0.0.22');
    await call(flooder, 'dialog:start', chatStart('support', 'first'));
    // His own dialog is read on a second tab of his: the flooding socket also carries ~1,000 acks a
    // second, and waiting behind those in the test's own client is not the engine's delay.
    const { visitorToken } = await call<VisitorSession>(flooder, 'session:resume');
    const flooderTab = await visitorFrom(server.url, '127.0.0.22', visitorToken);
    await eventually(() => held.length === 2, 10_000, 'carl to hold both dialogs');
    const [quietDialog, floodDialog] = held.map((d) => d.id) as [string, string];

    /** Carl writes into the dialog; the time until its visitor receives it. */
    const delivery = async (dialogId: string, visitor: VisitorSocket) => {
      const clientMessageId = clientId();
      const received = next<MessageView>(
        visitor,
        'message:new',
        (m) => m.clientMessageId === clientMessageId,
      );
      const started = performance.now();
      carl.emit('message:send', { dialogId, clientMessageId, body: 'reply' }, () => undefined);
      await received;
      return performance.now() - started;
    };

    // Both dialogs measured side by side, idle and then under the flood, the same way.
    const pair = () => Promise.all([delivery(quietDialog, quiet), delivery(floodDialog, flooderTab)]);
    for (let i = 0; i < 10; i++) await pair(); // warm-up

    // Count, not just time: how often the flooded dialog's lock is taken while the flood lasts.
    const { locks } = server.engine;
    const withLock = locks.withLock.bind(locks);
    let floodDialogLocks = 0;
    locks.withLock = (key, work) => {
      if (key === `dialog:${floodDialog}`) floodDialogLocks += 1;
      return withLock(key, work);
    };

    /**
     * One round: the idle p99 measured right before, then the flood at 1,000 a second (10 every 10 ms,
     * at least 1,000, and on while the samples are taken) inside one 10 s limit window; every ack counted.
     */
    const round = async () => {
      const idleLoop = monitorEventLoopDelay({ resolution: 5 });
      idleLoop.enable();
      const idle: number[] = [];
      for (let i = 0; i < 100; i++) idle.push(...(await pair()));
      idleLoop.disable();
      // A fresh limit window for the flood, so each round stores exactly one window's allowance.
      await new Promise((r) => setTimeout(r, 10_500));
      const locksBefore = floodDialogLocks;
      const loopDelay = monitorEventLoopDelay({ resolution: 5 });
      loopDelay.enable();
      const acks: Promise<Ack<MessageView>>[] = [];
      const floodStarted = performance.now();
      const timing = { emitted: 0, answered: 0 };
      let sampling = true;
      const flooding = (async () => {
        for (let batch = 0; batch < 100 || sampling; batch++) {
          for (let i = 0; i < 10; i++)
            acks.push(
              callRaw<MessageView>(flooder, 'message:send', {
                clientMessageId: clientId(),
                body: `flood ${batch}-${i}`,
              }),
            );
          const due = floodStarted + (batch + 1) * 10;
          await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        }
        timing.emitted = performance.now() - floodStarted;
        const all = await Promise.all(acks);
        timing.answered = performance.now() - floodStarted;
        return all;
      })();
      const otherDialog: number[] = [];
      const ownDialog: number[] = [];
      // Up to 100 samples each, inside one 10 s limit window (8 s, leaving time for the last answers).
      while (otherDialog.length < 100 && performance.now() - floodStarted < 8_000) {
        const [other, own] = await pair();
        otherDialog.push(other);
        ownDialog.push(own);
      }
      sampling = false;
      const answers = await flooding;
      loopDelay.disable();
      // The next round's idle samples start in a new window too.
      await new Promise((r) => setTimeout(r, Math.max(0, floodStarted + 10_500 - performance.now())));
      expect(timing.emitted, 'the flood stayed within one limit window').to.be.below(10_000);
      expect(otherDialog.length, 'samples under the flood').to.be.at.least(30);

      const stored = answers.filter((a) => 'data' in a).length;
      const limited = answers.filter((a) => 'error' in a && a.error.code === 'rate_limited').length;
      const idleStats = summary(idle);
      const otherStats = summary(otherDialog);
      const ownStats = summary(ownDialog);
      const bound = 2 * Math.max(idleStats.p99, 10);
      // His own dialog also takes the flood's accepted messages, one transition each under its lock:
      // the replies that queue behind them are his own flood's cost, not a starved neighbour's.
      const ownBound = 3 * Math.max(idleStats.p99, 10);
      const locksTaken = floodDialogLocks - locksBefore;
      console.log(
        `      flood: ${answers.length} message:send emitted in ${ms(timing.emitted)}, all answered after ${ms(timing.answered)} → ${stored} stored, ${limited} rate_limited`,
      );
      console.log(
        `      the flooded dialog's lock was taken ${locksTaken} times: ${stored} accepted visitor messages + ${ownDialog.length} operator replies`,
      );
      console.log(`      idle (n=${idleStats.n}): p50 ${ms(idleStats.p50)}, p99 ${ms(idleStats.p99)}`);
      console.log(
        `      under the flood, another dialog (n=${otherStats.n}): p50 ${ms(otherStats.p50)}, p99 ${ms(otherStats.p99)}`,
      );
      console.log(
        `      under the flood, the flooder's own dialog (n=${ownStats.n}): p50 ${ms(ownStats.p50)}, p99 ${ms(ownStats.p99)}`,
      );
      console.log(
        `      slowest: other ${[...otherDialog]
          .sort((x, y) => y - x)
          .slice(0, 5)
          .map(ms)
          .join(', ')}; own ${[...ownDialog]
          .sort((x, y) => y - x)
          .slice(0, 5)
          .map(ms)
          .join(', ')}`,
      );
      console.log(
        `      event loop delay idle: p99 ${ms(idleLoop.percentile(99) / 1e6)}, max ${ms(idleLoop.max / 1e6)}`,
      );
      console.log(
        `      event loop delay under the flood: p99 ${ms(loopDelay.percentile(99) / 1e6)}, max ${ms(loopDelay.max / 1e6)}`,
      );
      console.log(
        `      bounds: another dialog 2 × max(idle p99, 10 ms) = ${ms(bound)}, his own 3 × = ${ms(ownBound)}; load average ${loadavg()[0]!.toFixed(2)}`,
      );

      // The counts hold in every round: nothing over the limit is stored, refused events never reach
      // the dialog's lock (only the accepted messages and Carl's replies take it).
      expect(answers.length).to.be.at.least(1000);
      expect(stored + limited).to.equal(answers.length);
      expect(stored).to.equal(server.engine.config.VISITOR_MESSAGES_PER_10S);
      expect(locksTaken).to.equal(stored + ownDialog.length);
      return { stored, within: otherStats.p99 <= bound && ownStats.p99 <= ownBound };
    };

    // Latency on a shared 2-core machine has spikes that have nothing to do with the flood (another
    // process, a GC): up to three rounds, each against its own idle baseline; a flood that really slows
    // the others fails all three.
    let storedInAll = 0;
    let within = false;
    for (let attempt = 1; attempt <= 3 && !within; attempt++) {
      const result = await round();
      storedInAll += result.stored;
      within = result.within;
      if (!within)
        console.log(`      round ${attempt}: a p99 above its bound${attempt < 3 ? ', measuring again' : ''}`);
    }
    locks.withLock = withLock;
    const visitorMessages = (await server.engine.messageRepo.messages(floodDialog)).filter(
      (m) => m.authorKind === 'visitor',
    );
    expect(visitorMessages).to.have.length(1 + storedInAll);
    expect(within, 'a round with both p99 within their bounds (2x, 3x its idle p99)').to.equal(true);
  });
});
