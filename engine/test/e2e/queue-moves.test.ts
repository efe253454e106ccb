import { applyQueueMove } from '@hotline/client/queue-position';
import { expect } from 'chai';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { QueueMove, QueuePositionView, VisitorDialogView } from '@hotline/protocol';
import { EXACT_HEAD, RESYNC_MS } from '../../src/realtime/queue-positions';
import {
  call,
  chatStart,
  connectVisitor,
  eventually,
  fillOperator,
  type VisitorSocket,
} from '../support/clients';
import { TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';

const WAITING = Number(process.env.QUEUE_MOVES_VISITORS ?? 40);
const MOVES = Number(process.env.QUEUE_MOVES_MOVES ?? 30);
const SEED = Number(process.env.QUEUE_MOVES_SEED ?? Date.now() % 1_000_000);
/** The brief: every widget shows the true position within a second of the move. */
const WITHIN_MS = 1_000;

/** A waiting visitor as the widget follows him: exact pushes replace, broadcasts move. */
class Follower {
  shown: QueuePositionView | null = null;
  exactPushes = 0;
  dialogId = '';
  constructor(readonly socket: VisitorSocket) {
    socket.on('queue:position', (p) => {
      this.exactPushes += 1;
      this.shown = p;
    });
    socket.on('queue:moved', (move: QueueMove) => {
      this.shown = applyQueueMove(this.shown, move) ?? this.shown;
    });
  }
}

describe('queue moves broadcast to a group room (real engine, Redis and Postgres)', function () {
  this.timeout(120_000);
  let server: TestServer;

  withTestServer('real', { routingConfigPath: TEST_ROUTING, RECONCILE_INTERVAL_MS: 600_000 }, (s) => {
    server = s;
  });

  it(`when the queue moves at random (seed ${SEED}), then every waiting visitor shows his true position and ETA within a second, and those far back get no per-visitor push`, async () => {
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

    const { store, repo, decisions } = server.engine;
    const allShowTheTruth = async () => {
      const queue = await store.queue('support');
      const online = (await store.listOperators('support')).filter((o) => o.status === 'online');
      const capacity = online.reduce((sum, o) => sum + o.limit, 0);
      const samples = await repo.recentHandleTimesMs('support');
      return queue.every((entry) => {
        const shown = followers.get(entry.dialogId)?.shown;
        const eta = decisions().estimateWait(entry.position, capacity, samples);
        return shown?.position === entry.position && JSON.stringify(shown.eta) === JSON.stringify(eta);
      });
    };
    await eventually(allShowTheTruth, 10_000, 'the positions after the visitors joined');

    const pushesBefore = new Map([...followers].map(([id, f]) => [id, f.exactPushes]));
    const alwaysFarBack = new Set(followers.keys());
    const farBackSince = Date.now();
    const inHead = async () => {
      for (const entry of await store.queue('support'))
        if (entry.position <= EXACT_HEAD) alwaysFarBack.delete(entry.dialogId);
    };
    await inHead();
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
      await inHead();
      await eventually(allShowTheTruth, WITHIN_MS, `every position within 1 s of move ${move} (${kind})`);
    }
    expect(kinds, 'the queue both shrank and grew').to.include.members(['operator closes', 'visitor joins']);
    const farBackPushes = [...alwaysFarBack].map(
      (id) => followers.get(id)!.exactPushes - pushesBefore.get(id)!,
    );
    expect(alwaysFarBack.size, 'some visitors stayed beyond the exact head').to.be.greaterThan(0);
    // Beyond the head, only the periodic resync pushes to a visitor: the moves are broadcasts.
    const resyncs = Math.floor((Date.now() - farBackSince) / RESYNC_MS) + 1;
    expect(Math.max(...farBackPushes), 'per-visitor pushes beyond the head').to.be.at.most(resyncs);
  });
});
