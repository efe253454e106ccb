import { expect } from 'chai';
import type { DialogDetail, MessageView, VisitorDialogView, VisitorSession } from '@hotline/protocol';
import { call, clientId, closeAllSockets, connectOperator, connectVisitor, next } from '../support/clients';
import { backendsAvailable, TEST_ROUTING } from '../support/engine';
import { type EngineProcess, startEngineProcess } from '../support/engine-process';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../support/redis';

describe('restarts (engine processes on Postgres and Redis)', function () {
  this.timeout(120_000);
  const schema = freshSchema();
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `hltest-${schema}`,
    ROUTING_CONFIG: TEST_ROUTING,
    TIMER_POLL_MS: '50',
    TIMER_LEASE_MS: '1000',
    // The demo accounts log in below; SEED_DEMO is off unless asked for.
    SEED_DEMO: 'true',
  };
  const processes: EngineProcess[] = [];

  before(async function () {
    if (!(await backendsAvailable('real'))) return this.skip();
  });
  afterEach(() => closeAllSockets());
  after(async () => {
    await Promise.all(processes.map((p) => p.crash()));
    await dropSchema(schema).catch(() => undefined);
    const redis = await testRedis().catch(() => null);
    if (redis) {
      await deleteKeys(redis, `hltest-${schema}*`);
      redis.disconnect();
    }
  });

  it('when the engine is killed between two events of a dialog, then a new process continues it', async () => {
    const first = await startEngineProcess(env);
    processes.push(first);
    const carl = await connectOperator(first.url, 'carl@example.com');
    await call(carl, 'presence:set', { status: 'online' });
    const visitor = await connectVisitor(first.url);
    const { visitorToken } = await call<VisitorSession>(visitor, 'session:resume');
    const assigned = next<DialogDetail>(carl, 'dialog:assigned');
    const view = await call<VisitorDialogView>(visitor, 'dialog:start', {
      choice: { groupId: 'support' },
      page: { url: 'http://shop.test/' },
      message: { clientMessageId: clientId(), body: 'before the crash' },
    });
    expect((await assigned).id).to.equal(view.id);

    await first.crash();
    closeAllSockets();
    const second = await startEngineProcess(env);
    processes.push(second);

    const carlAgain = await connectOperator(second.url, 'carl@example.com');
    const lists = await call<{ mine: { id: string; state: string }[] }>(carlAgain, 'dialogs:list');
    expect(lists.mine.map((d) => d.id)).to.include(view.id);
    const visitorAgain = await connectVisitor(second.url, { visitorToken });
    const reply = next<MessageView>(visitorAgain, 'message:new', (m) => m.authorKind === 'operator');
    await call(carlAgain, 'message:send', {
      dialogId: view.id,
      clientMessageId: clientId(),
      body: 'after the crash',
    });
    expect((await reply).body).to.equal('after the crash');
    const session = await call<VisitorSession>(visitorAgain, 'session:resume');
    expect(session.dialog?.state).to.equal('active');
    expect(session.dialog?.messages.map((m) => m.body)).to.deep.equal([
      'before the crash',
      'after the crash',
    ]);
    await call(carlAgain, 'dialog:close', { dialogId: view.id });
    await call(carlAgain, 'presence:set', { status: 'offline' });
    await second.stop();
  });

  it('when the process holding a due timer dies, then another process fires it exactly once', async () => {
    const doomed = await startEngineProcess({ ...env, TIMER_POLL_MS: '60000' });
    processes.push(doomed);
    const visitor = await connectVisitor(doomed.url);
    const { visitorToken } = await call<VisitorSession>(visitor, 'session:resume');
    const view = await call<VisitorDialogView>(visitor, 'dialog:start', {
      choice: { groupId: 'night' },
      page: { url: 'http://shop.test/' },
      message: { clientMessageId: clientId(), body: 'anyone?' },
    });
    expect(view.state).to.equal('offline');
    // The doomed node claims the due timer (as its worker would) and dies before sending.
    await new Promise((r) => setTimeout(r, 400));
    const redis = await testRedis();
    const { RedisRoutingStore } = await import('../../src/routing-store/redis-routing-store');
    const store = new RedisRoutingStore(redis, { prefix: env.REDIS_KEY_PREFIX });
    const claimed = await store.claimDueTimers(Date.now(), 1000, 10);
    expect(claimed.map((t) => t.dialogId)).to.include(view.id);
    await doomed.crash();

    const survivors = await Promise.all([startEngineProcess(env), startEngineProcess(env)]);
    processes.push(...survivors);
    const again = await connectVisitor(survivors[0]!.url, { visitorToken });
    const deadline = Date.now() + 10_000;
    let autoReplies: MessageView[] = [];
    while (Date.now() < deadline) {
      const session = await call<VisitorSession>(again, 'session:resume');
      autoReplies = session.dialog?.messages.filter((m) => m.autoKind === 'offline-reply') ?? [];
      if (autoReplies.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const session = await call<VisitorSession>(again, 'session:resume');
    expect(session.dialog?.messages.filter((m) => m.autoKind === 'offline-reply')).to.have.length(1);
    expect(session.dialog?.state).to.equal('awaiting-contact');
    expect(await store.listTimers(view.id)).to.deep.equal([]);
    redis.disconnect();
    await Promise.all(survivors.map((s) => s.stop()));
  });
});
