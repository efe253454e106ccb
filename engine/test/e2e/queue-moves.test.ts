import { expect } from 'chai';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { EXACT_HEAD, shownPosition } from '@hotline/routing-rules/queue-bounds';
import { waitBasis } from '@hotline/routing-rules/wait';
import type { QueuePositionView, VisitorDialogView } from '@hotline/protocol';
import { RESYNC_MS } from '../../src/dialog/change-consumers/queue-positions';
import {
  call,
  chatStart,
  connectVisitor,
  eventually,
  fillOperator,
  type VisitorSocket,
} from '../support/clients';
import { TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';

// Past the exact head and two bounds behind it (50, 75, 100).
const WAITING = Number(process.env.QUEUE_MOVES_VISITORS ?? 110);
const MOVES = Number(process.env.QUEUE_MOVES_MOVES ?? 30);
const SEED = Number(process.env.QUEUE_MOVES_SEED ?? Date.now() % 1_000_000);
/** The brief: every widget shows the true position within a second of the move. */
const WITHIN_MS = 1_000;

/** A waiting visitor as the widget follows him: each push replaces what he shows. */
class Follower {
  shown: QueuePositionView | null = null;
  /** Pushes that did not change what he shows (only the resync may send those). */
  samePushes = 0;
  dialogId = '';
  constructor(readonly socket: VisitorSocket) {
    socket.on('queue:position', (p) => {
      if (JSON.stringify(p) === JSON.stringify(this.shown)) this.samePushes += 1;
      this.shown = p;
    });
  }
}

describe('queue moves: exact head, bounds behind it (real engine, Redis and Postgres)', function () {
  this.timeout(120_000);
  let server: TestServer;

  withTestServer('real', { routingConfigPath: TEST_ROUTING, RECONCILE_INTERVAL_MS: 600_000 }, (s) => {
    server = s;
  });

  it(`when the queue moves at random (seed ${SEED}), then every waiting visitor shows his true value (exact position and ETA in the head, the bound behind it) within a second, and nobody gets a push that changes nothing but the resync's`, async () => {
    const rng = xoroshiro128plus(SEED);
    const pick = (n: number) => uniformInt(rng, 0, n - 1);
    const { operator: carl, held } = await fillOperator(server.url, 'carl@example.com', 'support', 3);
    const closedHeld = new Set<string>();
    const followers = new Map<string, Follower>();
    const join = async () => {
      const follower = new Follower(await connectVisitor(server.url));
      const view = await call<VisitorDialogView>(follower.socket, 'dialog:start', chatStart('support'));
      follower.dialogId = view.id;
      followers.set(view.id, follower);
    };
    for (let i = 0; i < WAITING; i++) await join();

    const { store, repo } = server.engine;
    const allShowTheTruth = async () => {
      const queue = await store.queue('support');
      const online = (await store.listOperators('support')).filter((o) => o.status === 'online');
      const capacity = online.reduce((sum, o) => sum + o.limit, 0);
      const basis = waitBasis(capacity, await repo.recentHandleTimesMs('support'));
      return queue.every((entry) => {
        const { shown } = followers.get(entry.dialogId)!;
        const truth = { dialogId: entry.dialogId, ...shownPosition(entry.position, basis) };
        return JSON.stringify(shown) === JSON.stringify(truth);
      });
    };
    await eventually(allShowTheTruth, 10_000, 'the positions after the visitors joined');
    expect((await store.queue('support')).length).to.be.greaterThan(EXACT_HEAD);

    const since = Date.now();
    const kinds: string[] = [];
    for (let move = 0; move < MOVES; move++) {
      const kind = ['operator closes', 'visitor leaves', 'visitor joins'][pick(3)]!;
      kinds.push(kind);
      if (kind === 'operator closes') {
        const open = held.filter((d) => !closedHeld.has(d.id));
        const dialog = open[pick(open.length)]!;
        closedHeld.add(dialog.id);
        await call(carl, 'dialog:close', { dialogId: dialog.id });
      } else if (kind === 'visitor leaves') {
        const queue = await store.queue('support');
        const leaving = followers.get(queue[pick(queue.length)]!.dialogId)!;
        await call(leaving.socket, 'dialog:close', {});
      } else await join();
      await eventually(allShowTheTruth, WITHIN_MS, `every position within 1 s of move ${move} (${kind})`);
    }
    expect(kinds, 'the queue both shrank and grew').to.include.members(['operator closes', 'visitor joins']);
    // A push only when the shown value changed; the spread resync may repeat each value once a round.
    const resyncs = Math.floor((Date.now() - since) / RESYNC_MS) + 1;
    const same = Math.max(...[...followers.values()].map((f) => f.samePushes));
    expect(same, 'pushes that changed nothing, per visitor').to.be.at.most(resyncs);
  });
});
