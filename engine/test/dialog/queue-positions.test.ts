import { expect } from 'chai';
import { EXACT_HEAD, QUEUE_BOUNDS, shownPosition } from '@hotline/routing-rules/queue-bounds';
import type { QueuePositionView } from '@hotline/protocol';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics/metrics';
import { QueuePositions } from '../../src/dialog/change-consumers/queue-positions';
import { MemoryRoutingStore } from '../../src/routing-store/memory-routing-store';

const GROUP = 'support';
const WAITING = 10_000;
const T0 = 1_700_000_000_000;

/**
 * The flush against the embedded store with a long queue. The sockets are the boundary here: each
 * visitor is connected to this node and his pushes are recorded (the e2e tests run real sockets).
 */
function harness(options: { handleTimesMs?: () => Promise<number[]>; resyncMs?: number } = {}) {
  const store = new MemoryRoutingStore();
  const shown = new Map<string, QueuePositionView>();
  let pushes = 0;
  const connected = new Set<string>();
  const notifier = {
    toLocalVisitor: (_visitorId: string, _event: 'queue:position', view: QueuePositionView) => {
      pushes += 1;
      shown.set(view.dialogId, view);
    },
    localVisitorSockets: (visitorId: string) => (connected.has(visitorId) ? new Set([visitorId]) : undefined),
    hasLocalVisitors: () => connected.size > 0,
    toOtherNodes: () => {},
    onVisitorConnected: (listener: (visitorId: string, minted: boolean) => void) => {
      join = listener;
    },
  };
  let join: (visitorId: string, minted: boolean) => void = () => {};
  const repo = {
    // Visitor `v:<dialog>` owns dialog `<dialog>`.
    visitorsOf: async (ids: readonly string[]) => new Map(ids.map((id) => [id, `v:${id}`])),
    recentHandleTimesMs: options.handleTimesMs ?? (async () => [120_000, 180_000, 150_000]),
    latestDialogOfVisitor: async (visitorId: string) => {
      const id = visitorId.slice(2);
      return (await store.position(id)) ? { id, state: 'queued', groupId: GROUP } : null;
    },
  };
  const positions = new QueuePositions(
    {
      notifier,
      repo,
      store,
      metrics: createMetrics(),
      logger: createLogger('silent', 'test'),
      onFlushedHere: () => {},
    },
    options.resyncMs ?? Number.POSITIVE_INFINITY, // none by default: the pushes counted are the moves' alone
  );
  const settle = () => new Promise((r) => setTimeout(r, 120));
  return {
    store,
    shown,
    positions,
    settle,
    pushes: () => pushes,
    connect: (dialogId: string) => {
      connected.add(`v:${dialogId}`);
      join(`v:${dialogId}`, false);
    },
    /** Every waiting visitor shows what routing-rules says for his true position. */
    async wrong() {
      const queue = await store.queue(GROUP);
      const basis = { freeableCapacity: 2, meanHandleMs: 0 };
      return queue.filter((entry) => {
        const truth = shownPosition(entry.position, basis);
        const view = shown.get(entry.dialogId);
        return view?.position !== truth.position || view.exact !== truth.exact;
      }).length;
    },
  };
}

describe('queue positions: exact head, bounds behind it (memory store, 10,000 waiting)', function () {
  this.timeout(60_000);

  it('when one dialog leaves the head of 10,000, then only the head and the dialogs at the bounds are pushed, and every visitor shows the right value', async () => {
    const h = harness();
    await h.store.upsertOperator(
      { operatorId: 'carl', status: 'online', limit: 2, groups: [{ groupId: GROUP, tier: 'primary' }] },
      T0,
    );
    for (let i = 0; i < WAITING; i++)
      await h.store.enqueue({ dialogId: `d${i}`, groupId: GROUP, priority: 1 }, T0 + i);
    for (let i = 0; i < WAITING; i++) h.connect(`d${i}`);
    await h.settle();
    expect(h.pushes(), 'each joining socket gets its value once').to.equal(WAITING);
    expect(await h.wrong()).to.equal(0);

    const crossing = QUEUE_BOUNDS.filter((b) => b < WAITING).length;
    for (let move = 0; move < 5; move++) {
      const before = h.pushes();
      await h.store.dequeue(`d${move}`);
      h.positions.queueChanged(GROUP);
      await h.settle();
      const pushed = h.pushes() - before;
      // The head moves up (EXACT_HEAD - 1 exact pushes, one of them the dialog that crossed 50) and
      // one dialog crosses each other bound: O(bounds), not O(waiting).
      expect(pushed, `pushes for move ${move}`).to.equal(EXACT_HEAD - 1 + crossing);
      expect(await h.wrong(), `wrong values after move ${move}`).to.equal(0);
    }
    await h.positions.stop();
  });

  it('when the node stops while a flush waits on Postgres, then stop resolves only after that flush, which pushes nothing more', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    const h = harness({
      handleTimesMs: async () => {
        reads += 1;
        await gate;
        return [120_000];
      },
    });
    await h.store.enqueue({ dialogId: 'd0', groupId: GROUP, priority: 1 }, T0);
    h.connect('d0');
    while (reads === 0) await new Promise((r) => setTimeout(r, 10));
    let stopped = false;
    const stopping = Promise.resolve(h.positions.stop()).then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    // The server closes Postgres and Redis after stop: a query of the flush would be cut off.
    expect(stopped, 'stop waits for the flush in flight').to.equal(false);
    release();
    await stopping;
    expect(h.pushes(), 'a stopped node pushes nothing').to.equal(0);
  });

  it('when the resync pushes while nothing moves, then it reads no handle times; a handled dialog closing here or a move elsewhere reads them again', async () => {
    let reads = 0;
    const h = harness({
      resyncMs: 200,
      handleTimesMs: async () => {
        reads += 1;
        return [120_000];
      },
    });
    for (let i = 0; i < 10; i++)
      await h.store.enqueue({ dialogId: `d${i}`, groupId: GROUP, priority: 1 }, T0 + i);
    for (let i = 0; i < 10; i++) h.connect(`d${i}`);
    await h.settle();
    expect(reads, 'the first flush reads them').to.equal(1);
    const before = h.pushes();
    await new Promise((r) => setTimeout(r, 700));
    expect(h.pushes() - before, 'the resync pushed meanwhile').to.be.at.least(10);
    expect(reads, 'the resync reuses them').to.equal(1);
    await h.store.dequeue('d0');
    h.positions.queueChanged(GROUP);
    await h.settle();
    expect(reads, 'a move here with no handled close reuses them').to.equal(1);
    h.positions.handleTimesChanged(GROUP);
    await new Promise((r) => setTimeout(r, 400));
    expect(reads, 'read again after a handled dialog closed here').to.equal(2);
    await h.store.dequeue('d1');
    h.positions.queueChangedElsewhere([GROUP]);
    await h.settle();
    expect(reads, 'read again on a move elsewhere').to.equal(3);
    expect(await h.wrong()).to.equal(0);
    await h.positions.stop();
  });

  it('when dialogs enter ahead (a higher priority) and at the back, then the new ones get their value and those pushed past a bound get theirs', async () => {
    const h = harness();
    for (let i = 0; i < 1000; i++)
      await h.store.enqueue({ dialogId: `d${i}`, groupId: GROUP, priority: 1 }, T0 + i);
    for (let i = 0; i < 1000; i++) h.connect(`d${i}`);
    await h.settle();
    const before = h.pushes();
    for (const id of ['vip1', 'vip2', 'late']) {
      await h.store.enqueue({ dialogId: id, groupId: GROUP, priority: id === 'late' ? 1 : 5 }, T0);
      h.connect(id);
    }
    h.positions.queueChanged(GROUP);
    await h.settle();
    expect(await h.wrong()).to.equal(0);
    // 3 new, the 50 of the head (each moved down by 2), and 2 per bound below 1000 crossed downwards.
    const bounds = QUEUE_BOUNDS.filter((b) => b < 1000).length;
    expect(h.pushes() - before).to.be.at.most(3 + EXACT_HEAD + 2 * bounds);
    await h.positions.stop();
  });
});
