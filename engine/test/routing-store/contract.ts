import { expect } from 'chai';
import fc from 'fast-check';
import type { OperatorUpsert, Presence, RoutingStore } from '../../src/routing-store/routing-store';
import { ErrorCode, RoutingStoreError } from '../../src/routing-store/routing-store-error';

export interface StoreUnderTest {
  store: RoutingStore;
  /** Other handles on the SAME state (for Redis: other connections), for race tests. Defaults to [store]. */
  peers?: RoutingStore[];
  cleanup: () => Promise<void>;
}

const T0 = 1_700_000_000_000;

function operator(
  operatorId: string,
  groups: string[],
  limit = 2,
  status: Presence = 'online',
): OperatorUpsert {
  return {
    operatorId,
    status,
    limit,
    groups: groups.map((groupId) => ({ groupId, tier: 'primary' as const })),
  };
}

async function expectRoutingError(work: Promise<unknown>, code: ErrorCode): Promise<void> {
  try {
    await work;
  } catch (error) {
    expect(error).to.be.instanceOf(RoutingStoreError);
    expect((error as RoutingStoreError).code).to.equal(code);
    return;
  }
  expect.fail(`expected RoutingStoreError ${ErrorCode[code]}`);
}

/**
 * Checks the store-wide invariants: each dialog queued xor held (none lost), held by one operator,
 * loads equal held counts, positions 1..n, and (when `limitsFixed`) no operator over his limit.
 */
export async function checkInvariants(
  store: RoutingStore,
  dialogIds: string[],
  options: { limitsFixed: boolean; groups: string[] },
): Promise<void> {
  const operators = await store.listOperators();
  const heldBy = new Map<string, string>();
  for (const op of operators) {
    const dialogs = await store.operatorDialogs(op.operatorId);
    expect(op.load, `load of ${op.operatorId}`).to.equal(dialogs.length);
    if (options.limitsFixed) expect(op.load, `${op.operatorId} over limit`).to.be.at.most(op.limit);
    for (const d of dialogs) {
      expect(heldBy.has(d), `${d} held twice`).to.equal(false);
      heldBy.set(d, op.operatorId);
    }
  }
  const queued = new Set<string>();
  for (const g of options.groups) {
    const q = await store.queue(g);
    expect(q.map((e) => e.position)).to.deep.equal(q.map((_, i) => i + 1));
    for (const e of q) {
      expect(queued.has(e.dialogId), `${e.dialogId} queued twice`).to.equal(false);
      queued.add(e.dialogId);
    }
  }
  for (const d of dialogIds) {
    const isQueued = queued.has(d);
    const holder = await store.holder(d);
    expect(isQueued || holder !== null, `${d} lost`).to.equal(true);
    expect(isQueued && holder !== null, `${d} both queued and held`).to.equal(false);
    if (holder) expect(heldBy.get(d)).to.equal(holder.operatorId);
  }
}

/**
 * The one behavioural contract of `RoutingStore`: every implementation must pass it unchanged.
 * `makeStore` gives a fresh, empty state per test.
 */
export function runRoutingStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`RoutingStore contract: ${name}`, () => {
    let store: RoutingStore;
    let peers: RoutingStore[];
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      peers = made.peers ?? [made.store];
      cleanup = made.cleanup;
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('queues', () => {
      it('when dialogs of several priorities are enqueued, then higher priority is served first, then FIFO', async () => {
        await store.enqueue({ dialogId: 'low-1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'high-1', groupId: 'g', priority: 7 }, T0 + 1);
        await store.enqueue({ dialogId: 'low-2', groupId: 'g', priority: 1 }, T0 + 2);
        await store.enqueue({ dialogId: 'high-2', groupId: 'g', priority: 7 }, T0 + 3);
        await store.enqueue({ dialogId: 'top', groupId: 'g', priority: 9 }, T0 + 4);
        await store.enqueue({ dialogId: 'zero', groupId: 'g', priority: 0 }, T0 + 5);
        const q = await store.queue('g');
        expect(q.map((e) => e.dialogId)).to.deep.equal(['top', 'high-1', 'high-2', 'low-1', 'low-2', 'zero']);
        expect(q.map((e) => e.priority)).to.deep.equal([9, 7, 7, 1, 1, 0]);
        expect(q[1]).to.deep.include({ groupId: 'g', enqueuedAt: T0 + 1, position: 2 });
      });

      it('when a dialog is enqueued again (other priority or group), then it keeps its first place', async () => {
        await store.enqueue({ dialogId: 'a', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'b', groupId: 'g', priority: 1 }, T0 + 1);
        const again = await store.enqueue({ dialogId: 'a', groupId: 'g', priority: 9 }, T0 + 5);
        expect(again).to.deep.equal({
          dialogId: 'a',
          groupId: 'g',
          priority: 1,
          enqueuedAt: T0,
          position: 1,
        });
        const elsewhere = await store.enqueue({ dialogId: 'b', groupId: 'other', priority: 1 }, T0 + 6);
        expect(elsewhere).to.deep.include({ groupId: 'g', position: 2, enqueuedAt: T0 + 1 });
        expect(await store.queue('other')).to.deep.equal([]);
        expect(await store.queuedGroups()).to.deep.equal(['g']);
      });

      it('when n dialogs are queued, then positions are 1..n and position() agrees with queue()', async () => {
        for (let i = 0; i < 12; i += 1) {
          const placed = await store.enqueue({ dialogId: `d${i}`, groupId: 'g', priority: i % 3 }, T0 + i);
          expect(placed.position).to.be.within(1, i + 1);
        }
        const q = await store.queue('g');
        expect(q.map((e) => e.position)).to.deep.equal([...Array(12).keys()].map((i) => i + 1));
        for (const e of q) expect(await store.position(e.dialogId)).to.deep.equal(e);
        expect(await store.position('nope')).to.equal(null);
      });

      it('when a dialog is dequeued, then the ones behind move up and an empty group is no longer listed', async () => {
        await store.enqueue({ dialogId: 'a', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'b', groupId: 'g', priority: 1 }, T0 + 1);
        await store.enqueue({ dialogId: 'c', groupId: 'h', priority: 1 }, T0 + 2);
        expect(await store.queuedGroups()).to.deep.equal(['g', 'h']);
        expect(await store.dequeue('a')).to.equal(true);
        expect(await store.dequeue('a')).to.equal(false);
        expect((await store.position('b'))?.position).to.equal(1);
        expect(await store.dequeue('c')).to.equal(true);
        expect(await store.queuedGroups()).to.deep.equal(['g']);
      });

      it('when an invalid priority or id is given, then InvalidArgument is thrown', async () => {
        await expectRoutingError(
          store.enqueue({ dialogId: 'a', groupId: 'g', priority: 10 }, T0),
          ErrorCode.InvalidArgument,
        );
        await expectRoutingError(
          store.enqueue({ dialogId: 'a', groupId: 'g', priority: 1.5 }, T0),
          ErrorCode.InvalidArgument,
        );
        await expectRoutingError(
          store.enqueue({ dialogId: 'a|b', groupId: 'g', priority: 1 }, T0),
          ErrorCode.InvalidArgument,
        );
        expect(await store.queuedGroups()).to.deep.equal([]);
      });
    });

    describe('queueWindows', () => {
      const bounds = [2, 3, 5, 8];
      const ids = (q: { dialogId: string }[]) => q.map((e) => e.dialogId);

      it('when dialogs leave, enter (any priority) and are asked for, then each one whose side of a bound changed, each new one and each asked one is reported with its position', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.oneof(
                fc.record({ kind: fc.constant('enter' as const), priority: fc.integer({ min: 0, max: 9 }) }),
                fc.record({ kind: fc.constant('leave' as const), at: fc.nat(20) }),
                fc.record({ kind: fc.constant('read' as const), ask: fc.nat(20) }),
              ),
              { maxLength: 40 },
            ),
            async (steps) => {
              await store.rebuild({ operators: [], queued: [], assigned: [], timers: [] });
              let n = 0;
              for (let i = 0; i < 6; i++)
                await store.enqueue({ dialogId: `s${i}`, groupId: 'g', priority: 1 }, T0);
              let windows = await store.queueWindows('g', { head: 2, bounds, since: null });
              let before = ids(await store.queue('g'));
              expect(windows.moved, 'a first read reports nothing').to.deep.equal([]);
              for (const step of steps) {
                if (step.kind === 'enter')
                  await store.enqueue({ dialogId: `n${n++}`, groupId: 'g', priority: step.priority }, T0);
                else if (step.kind === 'leave') {
                  const queue = await store.queue('g');
                  if (queue.length > 0) await store.dequeue(queue[step.at % queue.length]!.dialogId);
                } else {
                  const after = await store.queue('g');
                  const asked = after.length > 0 ? [after[step.ask % after.length]!.dialogId] : [];
                  windows = await store.queueWindows('g', {
                    head: 2,
                    bounds,
                    since: windows.marks,
                    dialogIds: asked,
                  });
                  const reported = new Map(windows.moved.map((m) => [m.dialogId, m.position]));
                  expect(reported.size, 'each dialog once').to.equal(windows.moved.length);
                  for (const entry of after) {
                    const was = before.indexOf(entry.dialogId) + 1;
                    const crossed = was === 0 || bounds.some((b) => was <= b !== entry.position <= b);
                    if (crossed || asked.includes(entry.dialogId))
                      expect(
                        reported.get(entry.dialogId),
                        `${entry.dialogId} at ${entry.position} (was ${was})`,
                      ).to.equal(entry.position);
                    else if (reported.has(entry.dialogId))
                      expect(reported.get(entry.dialogId)).to.equal(entry.position);
                  }
                  expect(windows.length).to.equal(after.length);
                  expect(windows.head).to.deep.equal(ids(after.slice(0, 2)));
                  before = ids(after);
                }
              }
            },
          ),
          { numRuns: 25 },
        );
      });

      it('when a bound is crossed by one dialog leaving the head of a long queue, then only the dialogs at the bounds are reported, a range of positions is returned on request, and the operators of the group come with them', async () => {
        await store.upsertOperator(operator('anna', ['g']), T0);
        await store.upsertOperator(operator('boris', ['h']), T0);
        for (let i = 0; i < 300; i++)
          await store.enqueue({ dialogId: `d${i}`, groupId: 'g', priority: 1 }, T0);
        const first = await store.queueWindows('g', { head: 2, bounds: [50, 100, 200], since: null });
        expect(first).to.deep.include({ length: 300, head: ['d0', 'd1'], moved: [] });
        expect(first.operators, "the group's operators, read with it").to.deep.equal(
          await store.listOperators('g'),
        );
        await store.dequeue('d0');
        const next = await store.queueWindows('g', {
          head: 2,
          bounds: [50, 100, 200],
          since: first.marks,
          ranks: [10, 11],
        });
        expect(next.moved).to.have.deep.members([
          { dialogId: 'd50', position: 50 },
          { dialogId: 'd100', position: 100 },
          { dialogId: 'd200', position: 200 },
          { dialogId: 'd10', position: 10 },
          { dialogId: 'd11', position: 11 },
        ]);
        expect(next.head).to.deep.equal(['d1', 'd2']);
      });

      it('when the state was rebuilt since the marks, then they are void: nothing is reported as crossed', async () => {
        await store.enqueue({ dialogId: 'a', groupId: 'g', priority: 1 }, T0);
        const first = await store.queueWindows('g', { head: 1, bounds: [1], since: null });
        await store.rebuild({
          operators: [],
          queued: [{ dialogId: 'b', groupId: 'g', priority: 1, enqueuedAt: T0 }],
          assigned: [],
          timers: [],
        });
        const next = await store.queueWindows('g', { head: 1, bounds: [1], since: first.marks });
        expect(next).to.deep.include({ length: 1, head: ['b'], moved: [] });
        expect(next.marks.epoch).to.not.equal(first.marks.epoch);
      });
    });

    describe('operators', () => {
      it('when an operator is upserted and changes presence, then onlineSince follows and load is kept', async () => {
        await store.upsertOperator(operator('op', ['g'], 3), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 1 }, T0);
        await store.assignHead('g', ['op'], T0 + 5);
        await store.upsertOperator(operator('op', ['g', 'h'], 1), T0 + 10);
        expect(await store.getOperator('op')).to.deep.equal({
          operatorId: 'op',
          status: 'online',
          limit: 1,
          load: 1,
          lastAssignedAt: T0 + 5,
          onlineSince: T0,
          groups: [
            { groupId: 'g', tier: 'primary' },
            { groupId: 'h', tier: 'primary' },
          ],
        });
        await store.setPresence('op', 'away', T0 + 20);
        expect(await store.getOperator('op')).to.deep.include({ status: 'away', onlineSince: null, load: 1 });
        await store.setPresence('op', 'online', T0 + 30);
        expect((await store.getOperator('op'))?.onlineSince).to.equal(T0 + 30);
        expect(await store.getOperator('ghost')).to.equal(null);
        await expectRoutingError(store.setPresence('ghost', 'online', T0), ErrorCode.OperatorNotFound);
      });

      it('when operators are listed by group, then only members show, and leaving a group removes him', async () => {
        await store.upsertOperator(operator('a', ['g']), T0);
        await store.upsertOperator(operator('b', ['g', 'h'], 2, 'offline'), T0);
        await store.upsertOperator(operator('c', ['h']), T0);
        expect((await store.listOperators('g')).map((o) => o.operatorId)).to.deep.equal(['a', 'b']);
        expect((await store.listOperators()).map((o) => o.operatorId)).to.deep.equal(['a', 'b', 'c']);
        await store.upsertOperator(operator('b', ['h'], 2, 'offline'), T0);
        expect((await store.listOperators('g')).map((o) => o.operatorId)).to.deep.equal(['a']);
        expect((await store.listOperators('h')).map((o) => o.operatorId)).to.deep.equal(['b', 'c']);
      });

      it('when the operators of a group are counted online, then only its online members count', async () => {
        await store.upsertOperator(operator('a', ['g']), T0);
        await store.upsertOperator(operator('b', ['g', 'h'], 2, 'offline'), T0);
        await store.upsertOperator(operator('c', ['h']), T0);
        expect(await store.countOnline('g')).to.equal(1);
        expect(await store.countOnline('h')).to.equal(1);
        await store.setPresence('b', 'online', T0);
        expect(await store.countOnline('g')).to.equal(2);
        await store.setPresence('a', 'away', T0);
        expect(await store.countOnline('g')).to.equal(1);
        expect(await store.countOnline('nobody')).to.equal(0);
      });

      it('when a group is viewed, then its queue and operators equal queue() and listOperators(), loads included', async () => {
        await store.upsertOperator(operator('a', ['g'], 3), T0);
        await store.upsertOperator(operator('b', ['g', 'h'], 1, 'away'), T0);
        await store.upsertOperator(operator('c', ['h']), T0);
        for (const [i, dialogId] of ['d1', 'd2', 'd3'].entries())
          await store.enqueue({ dialogId, groupId: 'g', priority: i === 2 ? 9 : 0 }, T0 + i);
        await store.enqueue({ dialogId: 'other', groupId: 'h', priority: 0 }, T0);
        expect((await store.assignHead('g', ['a'], T0 + 10)).kind).to.equal('assigned');
        const view = await store.groupView('g');
        expect(view.queue).to.deep.equal(await store.queue('g'));
        expect(view.queue.map((q) => [q.dialogId, q.position])).to.deep.equal([
          ['d1', 1],
          ['d2', 2],
        ]);
        expect(view.operators).to.deep.equal(await store.listOperators('g'));
        expect(view.operators.map((o) => [o.operatorId, o.load])).to.deep.equal([
          ['a', 1],
          ['b', 0],
        ]);
        expect(await store.groupView('empty')).to.deep.equal({ queue: [], operators: [] });
      });
    });

    describe('assignHead', () => {
      it('when operators are ranked, then the first eligible takes the head (offline, away, full, outsiders, unknown skipped)', async () => {
        await store.upsertOperator(operator('offline', ['g'], 5, 'offline'), T0);
        await store.upsertOperator(operator('away', ['g'], 5, 'away'), T0);
        await store.upsertOperator(operator('full', ['g'], 0), T0);
        await store.upsertOperator(operator('outsider', ['h'], 5), T0);
        await store.upsertOperator(operator('ok', ['g'], 5), T0);
        await store.upsertOperator(operator('later', ['g'], 5), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, T0 + 1);
        const ranked = ['ghost', 'offline', 'away', 'full', 'outsider', 'ok', 'later'];
        const result = await store.assignHead('g', ranked, T0 + 100);
        expect(result).to.deep.equal({
          kind: 'assigned',
          assignment: { dialogId: 'd1', operatorId: 'ok', groupId: 'g', enqueuedAt: T0 },
        });
        expect(await store.holder('d1')).to.deep.equal({
          dialogId: 'd1',
          operatorId: 'ok',
          groupId: 'g',
          enqueuedAt: T0,
          offered: false,
        });
        expect(await store.position('d1')).to.equal(null);
        expect((await store.position('d2'))?.position).to.equal(1);
        expect(await store.getOperator('ok')).to.deep.include({ load: 1, lastAssignedAt: T0 + 100 });
        expect(await store.operatorDialogs('ok')).to.deep.equal(['d1']);
      });

      it('when no ranked operator can take it, then no-capacity returns the head and leaves it queued', async () => {
        expect(await store.assignHead('g', ['x'], T0)).to.deep.equal({ kind: 'empty' });
        await store.upsertOperator(operator('full', ['g'], 0), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 4 }, T0);
        const result = await store.assignHead('g', ['full'], T0 + 1);
        expect(result).to.deep.equal({
          kind: 'no-capacity',
          head: { dialogId: 'd', groupId: 'g', priority: 4, enqueuedAt: T0, position: 1 },
        });
        expect(await store.assignHead('g', [], T0 + 1)).to.deep.include({ kind: 'no-capacity' });
        // An id that no operator can have never stands for others (Redis passes the list joined by '|').
        await store.upsertOperator(operator('free', ['g'], 5), T0);
        expect(await store.assignHead('g', ['full|free', ''], T0 + 1)).to.deep.include({
          kind: 'no-capacity',
        });
        expect((await store.position('d'))?.position).to.equal(1);
      });

      it('when an operator comes online to a backlog, then he receives at most his limit', async () => {
        await store.upsertOperator(operator('op', ['g'], 3, 'offline'), T0);
        for (let i = 0; i < 10; i += 1)
          await store.enqueue({ dialogId: `d${i}`, groupId: 'g', priority: 1 }, T0 + i);
        await store.setPresence('op', 'online', T0 + 50);
        const results = await Promise.all(
          [...Array(10).keys()].map(() => store.assignHead('g', ['op'], T0 + 60)),
        );
        expect(results.filter((r) => r.kind === 'assigned')).to.have.length(3);
        expect(await store.operatorDialogs('op')).to.deep.equal(['d0', 'd1', 'd2']);
        expect((await store.queue('g')).map((q) => q.dialogId)[0]).to.equal('d3');
      });

      it('when a limit is lowered, then existing dialogs stay but new ones are blocked', async () => {
        await store.upsertOperator(operator('op', ['g'], 3), T0);
        for (let i = 0; i < 4; i += 1)
          await store.enqueue({ dialogId: `d${i}`, groupId: 'g', priority: 1 }, T0 + i);
        for (let i = 0; i < 3; i += 1) await store.assignHead('g', ['op'], T0 + 10);
        await store.upsertOperator(operator('op', ['g'], 1), T0 + 20);
        expect(await store.getOperator('op')).to.deep.include({ limit: 1, load: 3 });
        expect((await store.assignHead('g', ['op'], T0 + 30)).kind).to.equal('no-capacity');
        expect(await store.release('d0', 'op')).to.equal(true);
        expect(await store.release('d1', 'op')).to.equal(true);
        expect((await store.assignHead('g', ['op'], T0 + 40)).kind).to.equal('no-capacity');
        expect(await store.release('d2', 'op')).to.equal(true);
        expect((await store.assignHead('g', ['op'], T0 + 50)).kind).to.equal('assigned');
      });

      it('when a dialog is released, then capacity is freed; release by another operator is refused', async () => {
        await store.upsertOperator(operator('op', ['g'], 1), T0);
        await store.upsertOperator(operator('other', ['g'], 1), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, T0 + 1);
        await store.assignHead('g', ['op'], T0 + 2);
        expect((await store.assignHead('g', ['op'], T0 + 3)).kind).to.equal('no-capacity');
        expect(await store.release('d1', 'other')).to.equal(false);
        expect(await store.release('d1', 'op')).to.equal(true);
        expect(await store.release('d1', 'op')).to.equal(false);
        expect(await store.holder('d1')).to.equal(null);
        expect((await store.getOperator('op'))?.load).to.equal(0);
        expect(await store.assignHead('g', ['op'], T0 + 4)).to.deep.include({ kind: 'assigned' });
      });
    });

    describe('releaseHolder', () => {
      it('when a holder releases, then he comes back as the release left him, with his groups where someone waits', async () => {
        await store.upsertOperator(operator('op', ['g', 'h', 'k'], 2), T0);
        await store.upsertOperator(operator('other', ['g'], 1), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'h', priority: 1 }, T0 + 1);
        await store.enqueue({ dialogId: 'd3', groupId: 'h', priority: 1 }, T0 + 2);
        await store.assignHead('g', ['op'], T0 + 3);
        await store.assignHead('h', ['op'], T0 + 4);
        expect(await store.releaseHolder('d1', 'other')).to.equal(null);
        const released = await store.releaseHolder('d1', 'op');
        expect(released?.operator).to.deep.equal({ operatorId: 'op', status: 'online', limit: 2, load: 1 });
        expect(released?.operator).to.deep.equal(await store.operatorLoad('op'));
        // g and k have nobody waiting; h still has d3.
        expect(released?.waitingGroups).to.deep.equal(['h']);
        expect(await store.releaseHolder('d1', 'op')).to.equal(null);
        expect(await store.holder('d1')).to.equal(null);
        const last = await store.releaseHolder('d2', 'op');
        expect(last?.operator?.load).to.equal(0);
        expect(last?.waitingGroups).to.deep.equal(['h']);
      });

      it('when an offered dialog is released by its holder, then the offer is withdrawn and his slot freed', async () => {
        await store.upsertOperator(operator('a', ['g'], 1), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 1 }, T0);
        await store.offerHead('g', ['a'], T0, 100);
        expect(await store.releaseHolder('d', 'a')).to.deep.equal({
          operator: { operatorId: 'a', status: 'online', limit: 1, load: 0 },
          waitingGroups: [],
        });
        expect(await store.expiredOffers(T0 + 1000)).to.deep.equal([]);
        expect((await store.getOperator('a'))?.load).to.equal(0);
      });
    });

    describe('operatorLoad', () => {
      it('when an operator is read for his self update, then his status, limit and load are what getOperator says; unknown: null', async () => {
        await store.upsertOperator(operator('op', ['g'], 3, 'away'), T0);
        await store.assignDialog({ dialogId: 'd1', groupId: 'g' }, 'op', T0 + 1, { ignorePresence: true });
        const full = await store.getOperator('op');
        expect(await store.operatorLoad('op')).to.deep.equal({
          operatorId: 'op',
          status: full?.status,
          limit: full?.limit,
          load: full?.load,
        });
        expect(await store.operatorLoad('op')).to.deep.equal({
          operatorId: 'op',
          status: 'away',
          limit: 3,
          load: 1,
        });
        expect(await store.operatorLoad('nobody')).to.equal(null);
      });
    });

    describe('enqueueAndAssign', () => {
      it('when the queue is empty and a ranked operator has room, then the dialog is assigned at once and never queued', async () => {
        await store.upsertOperator(operator('away', ['g'], 5, 'away'), T0);
        await store.upsertOperator(operator('outsider', ['h'], 5), T0);
        await store.upsertOperator(operator('ok', ['g'], 1), T0);
        const result = await store.enqueueAndAssign(
          { dialogId: 'd1', groupId: 'g', priority: 3 },
          ['ghost', 'away', 'outsider', 'ok'],
          T0 + 5,
        );
        expect(result).to.deep.equal({
          kind: 'assigned',
          assignment: { dialogId: 'd1', operatorId: 'ok', groupId: 'g', enqueuedAt: T0 + 5 },
        });
        expect(await store.position('d1')).to.equal(null);
        expect(await store.queuedGroups()).to.deep.equal([]);
        expect(await store.getOperator('ok')).to.deep.include({ load: 1, lastAssignedAt: T0 + 5 });
        // He is now full: the next arrival waits at the head.
        expect(
          await store.enqueueAndAssign({ dialogId: 'd2', groupId: 'g', priority: 3 }, ['ok'], T0 + 6),
        ).to.deep.equal({
          kind: 'queued',
          queued: { dialogId: 'd2', groupId: 'g', priority: 3, enqueuedAt: T0 + 6, position: 1 },
        });
      });

      it('when someone of equal or higher priority waits ahead, then the arrival queues behind him even if an operator has room', async () => {
        await store.upsertOperator(operator('op', ['g'], 5), T0);
        await store.enqueue({ dialogId: 'first', groupId: 'g', priority: 5 }, T0);
        const same = await store.enqueueAndAssign(
          { dialogId: 'same', groupId: 'g', priority: 5 },
          ['op'],
          T0 + 1,
        );
        const lower = await store.enqueueAndAssign(
          { dialogId: 'lower', groupId: 'g', priority: 2 },
          ['op'],
          T0 + 2,
        );
        expect(same).to.deep.include({ kind: 'queued' });
        expect(lower).to.deep.include({ kind: 'queued' });
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal(['first', 'same', 'lower']);
        expect((await store.getOperator('op'))?.load).to.equal(0);
      });

      it('when the arrival outranks everyone waiting, then it is assigned first, as assignHead would take it', async () => {
        await store.upsertOperator(operator('op', ['g'], 5), T0);
        await store.enqueue({ dialogId: 'normal', groupId: 'g', priority: 1 }, T0);
        const urgent = await store.enqueueAndAssign(
          { dialogId: 'urgent', groupId: 'g', priority: 9 },
          ['op'],
          T0 + 1,
        );
        expect(urgent).to.deep.include({ kind: 'assigned' });
        expect(await store.operatorDialogs('op')).to.deep.equal(['urgent']);
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal(['normal']);
      });

      it('when the dialog is already queued or held, then it keeps its place and holder, like enqueue', async () => {
        await store.upsertOperator(operator('full', ['g'], 0), T0);
        await store.upsertOperator(operator('op', ['g'], 5), T0);
        await store.enqueueAndAssign({ dialogId: 'q', groupId: 'g', priority: 1 }, ['full'], T0);
        // Queued at the head; a second arrival of the same dialog is not an assignment.
        expect(
          await store.enqueueAndAssign({ dialogId: 'q', groupId: 'g', priority: 9 }, ['op'], T0 + 1),
        ).to.deep.equal({
          kind: 'queued',
          queued: { dialogId: 'q', groupId: 'g', priority: 1, enqueuedAt: T0, position: 1 },
        });
        expect(
          await store.enqueueAndAssign({ dialogId: 'q', groupId: 'h', priority: 1 }, ['op'], T0 + 2),
        ).to.deep.include({
          kind: 'queued',
          queued: { dialogId: 'q', groupId: 'g', priority: 1, enqueuedAt: T0, position: 1 },
        });
        await store.assignHead('g', ['op'], T0 + 3);
        const again = await store.enqueueAndAssign(
          { dialogId: 'q', groupId: 'g', priority: 1 },
          ['full', 'op'],
          T0 + 4,
        );
        expect(again).to.deep.include({ kind: 'queued' });
        expect(again.kind === 'queued' && again.queued.position).to.equal(0);
        expect(await store.holder('q')).to.deep.include({ operatorId: 'op' });
        expect((await store.getOperator('op'))?.load).to.equal(1);
      });
    });

    describe('holdNew', () => {
      it('when nobody waits and a ranked operator has room, then the new dialog is held for him without a queue entry', async () => {
        await store.upsertOperator(operator('away', ['g'], 5, 'away'), T0);
        await store.upsertOperator(operator('outsider', ['h'], 5), T0);
        await store.upsertOperator(operator('ok', ['g'], 1), T0);
        const held = await store.holdNew(
          { dialogId: 'd1', groupId: 'g', priority: 3 },
          ['ghost', 'away', 'outsider', 'ok'],
          T0 + 5,
        );
        expect(held).to.deep.equal({
          dialogId: 'd1',
          operatorId: 'ok',
          groupId: 'g',
          enqueuedAt: T0 + 5,
          holder: { operatorId: 'ok', status: 'online', limit: 1, load: 1 },
        });
        expect(await store.position('d1')).to.equal(null);
        expect(await store.queuedGroups()).to.deep.equal([]);
        expect(await store.holder('d1')).to.deep.include({ operatorId: 'ok', offered: false });
        expect(await store.getOperator('ok')).to.deep.include({ load: 1, lastAssignedAt: T0 + 5 });
        // He is full now: the next new dialog is not held, and nothing of it is stored.
        expect(await store.holdNew({ dialogId: 'd2', groupId: 'g', priority: 3 }, ['ok'], T0 + 6)).to.equal(
          null,
        );
        expect(await store.holder('d2')).to.equal(null);
        expect(await store.position('d2')).to.equal(null);
        // Released (its commit wrote nothing): the slot is free again.
        expect(await store.release('d1', 'ok')).to.equal(true);
        expect((await store.getOperator('ok'))?.load).to.equal(0);
      });

      it('when someone of equal or higher priority waits, then nothing is held; an arrival that outranks them is', async () => {
        await store.upsertOperator(operator('op', ['g'], 5), T0);
        await store.enqueue({ dialogId: 'first', groupId: 'g', priority: 5 }, T0);
        expect(await store.holdNew({ dialogId: 'same', groupId: 'g', priority: 5 }, ['op'], T0 + 1)).to.equal(
          null,
        );
        expect(
          await store.holdNew({ dialogId: 'lower', groupId: 'g', priority: 2 }, ['op'], T0 + 2),
        ).to.equal(null);
        expect((await store.getOperator('op'))?.load).to.equal(0);
        expect(
          await store.holdNew({ dialogId: 'urgent', groupId: 'g', priority: 9 }, ['op'], T0 + 3),
        ).to.deep.include({ dialogId: 'urgent', operatorId: 'op', groupId: 'g', enqueuedAt: T0 + 3 });
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal(['first']);
        // Another group's queue does not hold it back.
        expect(
          await store.holdNew({ dialogId: 'other', groupId: 'h', priority: 0 }, ['op'], T0 + 4),
        ).to.equal(null);
      });

      it('when the dialog is already queued or held, then nothing changes', async () => {
        await store.upsertOperator(operator('full', ['g'], 0), T0);
        await store.upsertOperator(operator('op', ['g'], 5), T0);
        await store.enqueue({ dialogId: 'q', groupId: 'g', priority: 9 }, T0);
        expect(await store.holdNew({ dialogId: 'q', groupId: 'g', priority: 9 }, ['op'], T0 + 1)).to.equal(
          null,
        );
        expect(await store.position('q')).to.deep.include({ position: 1 });
        await store.holdNew({ dialogId: 'h', groupId: 'h', priority: 1 }, ['op'], T0 + 2);
        await store.upsertOperator(operator('op', ['g', 'h'], 5), T0 + 3);
        expect(
          await store.holdNew({ dialogId: 'h', groupId: 'h', priority: 9 }, ['op'], T0 + 3),
        ).to.not.equal(null);
        expect(await store.holdNew({ dialogId: 'h', groupId: 'h', priority: 9 }, ['op'], T0 + 4)).to.equal(
          null,
        );
        expect((await store.getOperator('op'))?.load).to.equal(1);
      });

      it('when held, then its timers are scheduled in the same step; when not held, none is', async () => {
        await store.upsertOperator(operator('op', ['g'], 1), T0);
        const timers = [
          { key: 'unanswered:1', dueAt: T0 + 60_000 },
          { key: 'idle', dueAt: T0 + 90_000 },
        ];
        const held = await store.holdNew({ dialogId: 'd1', groupId: 'g', priority: 3 }, ['op'], T0, timers);
        expect(held?.holder).to.deep.equal({ operatorId: 'op', status: 'online', limit: 1, load: 1 });
        const listed = await store.listTimers('d1');
        expect(
          listed.map((t) => ({ key: t.key, dueAt: t.dueAt })).sort((a, b) => a.dueAt - b.dueAt),
        ).to.deep.equal(timers);
        // Due: claimed like any scheduled timer.
        const claimed = await store.claimDueTimers(T0 + 60_000, 1_000, 10);
        expect(claimed.map((t) => [t.dialogId, t.key])).to.deep.equal([['d1', 'unanswered:1']]);
        // He is full: not held, and no timer of that dialog is stored.
        expect(
          await store.holdNew({ dialogId: 'd2', groupId: 'g', priority: 3 }, ['op'], T0 + 1, timers),
        ).to.equal(null);
        expect(await store.listTimers('d2')).to.deep.equal([]);
      });

      it('when many new dialogs race for one operator, then he is never held above his limit', async () => {
        await store.upsertOperator(operator('op', ['g'], 3), T0);
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            peers[i % peers.length]!.holdNew(
              { dialogId: `r${i}`, groupId: 'g', priority: 3 },
              ['op'],
              T0 + i,
            ),
          ),
        );
        expect(results.filter((r) => r !== null)).to.have.length(3);
        expect((await store.getOperator('op'))?.load).to.equal(3);
        expect(await store.operatorDialogs('op')).to.have.length(3);
      });
    });

    describe('queue with a limit', () => {
      it('when a limit is given, then only the first entries come, in order with their positions', async () => {
        expect(await store.queue('g', 1)).to.deep.equal([]);
        await store.enqueue({ dialogId: 'low', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'high', groupId: 'g', priority: 7 }, T0 + 1);
        await store.enqueue({ dialogId: 'mid', groupId: 'g', priority: 4 }, T0 + 2);
        await store.enqueue({ dialogId: 'other', groupId: 'h', priority: 9 }, T0 + 3);
        const whole = await store.queue('g');
        expect(whole.map((q) => q.dialogId)).to.deep.equal(['high', 'mid', 'low']);
        expect(await store.queue('g', 1)).to.deep.equal(whole.slice(0, 1));
        expect(await store.queue('g', 2)).to.deep.equal(whole.slice(0, 2));
        expect(await store.queue('g', 10)).to.deep.equal(whole);
        expect(await store.queue('g', 0)).to.deep.equal([]);
      });
    });

    describe('assignDialog', () => {
      it('when the dialog is already held, then a direct assignment is rejected (never held twice)', async () => {
        await store.upsertOperator(operator('a', ['g']), T0);
        await store.upsertOperator(operator('b', ['g']), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 1 }, T0);
        await store.assignHead('g', ['a'], T0);
        expect(await store.assignDialog({ dialogId: 'd', groupId: 'g' }, 'b', T0)).to.deep.equal({
          kind: 'rejected',
          reason: 'already-held',
        });
        expect(await store.assignDialog({ dialogId: 'd', groupId: 'g' }, 'a', T0)).to.deep.include({
          kind: 'rejected',
        });
        expect((await store.getOperator('b'))?.load).to.equal(0);
      });

      it('when the operator is offline, full or outside the group, then it is rejected with that reason', async () => {
        await store.upsertOperator(operator('off', ['g'], 2, 'offline'), T0);
        await store.upsertOperator(operator('away', ['g'], 2, 'away'), T0);
        await store.upsertOperator(operator('full', ['g'], 0), T0);
        await store.upsertOperator(operator('outsider', ['h']), T0);
        const d = { dialogId: 'd', groupId: 'g' };
        const reason = async (op: string) => {
          const r = await store.assignDialog(d, op, T0);
          return r.kind === 'rejected' ? r.reason : r.kind;
        };
        expect(await reason('off')).to.equal('operator-offline');
        expect(await reason('away')).to.equal('operator-offline');
        expect(await reason('ghost')).to.equal('operator-offline');
        expect(await reason('full')).to.equal('operator-at-limit');
        expect(await reason('outsider')).to.equal('not-in-group');
        expect(await store.holder('d')).to.equal(null);
      });

      it('when ignoreGroup is set, then an operator of another group gets a queued dialog, which leaves its queue', async () => {
        await store.upsertOperator(operator('lead', ['h'], 1), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 2 }, T0);
        await store.enqueue({ dialogId: 'e', groupId: 'g', priority: 2 }, T0 + 1);
        const result = await store.assignDialog({ dialogId: 'd', groupId: 'h' }, 'lead', T0 + 9, {
          ignoreGroup: true,
        });
        expect(result).to.deep.equal({
          kind: 'assigned',
          assignment: { dialogId: 'd', operatorId: 'lead', groupId: 'h', enqueuedAt: T0 },
        });
        expect(await store.position('d')).to.equal(null);
        expect((await store.position('e'))?.position).to.equal(1);
        expect((await store.getOperator('lead'))?.lastAssignedAt).to.equal(T0 + 9);
      });

      it('when ignorePresence is set (a repair), then an away or offline operator gets the dialog, but never above his limit and never an unknown one', async () => {
        await store.upsertOperator(operator('off', ['g'], 1, 'offline'), T0);
        await store.upsertOperator(operator('away', ['g'], 1, 'away'), T0);
        await store.enqueue({ dialogId: 'q', groupId: 'g', priority: 1 }, T0);
        const repair = { ignoreGroup: true, ignorePresence: true };
        expect(
          await store.assignDialog({ dialogId: 'q', groupId: 'g' }, 'off', T0 + 1, repair),
        ).to.deep.include({ kind: 'assigned' });
        expect(await store.position('q')).to.equal(null);
        expect(
          await store.assignDialog({ dialogId: 'x', groupId: 'g' }, 'away', T0 + 1, repair),
        ).to.deep.include({ kind: 'assigned' });
        expect(
          await store.assignDialog({ dialogId: 'y', groupId: 'g' }, 'off', T0 + 2, repair),
        ).to.deep.equal({ kind: 'rejected', reason: 'operator-at-limit' });
        expect(
          await store.assignDialog({ dialogId: 'y', groupId: 'g' }, 'ghost', T0 + 2, repair),
        ).to.deep.equal({ kind: 'rejected', reason: 'operator-offline' });
        expect(await store.assignDialog({ dialogId: 'y', groupId: 'g' }, 'away', T0 + 2)).to.deep.equal({
          kind: 'rejected',
          reason: 'operator-offline',
        });
        expect((await store.getOperator('off'))?.load).to.equal(1);
        expect(await store.holder('y')).to.equal(null);
      });

      it('when a dialog that is not queued is assigned, then the given enqueuedAt (or now) is recorded', async () => {
        await store.upsertOperator(operator('op', ['g'], 3), T0);
        const withTime = await store.assignDialog(
          { dialogId: 'x', groupId: 'g', enqueuedAt: T0 - 500 },
          'op',
          T0,
        );
        expect(withTime).to.deep.include({ kind: 'assigned' });
        expect((await store.holder('x'))?.enqueuedAt).to.equal(T0 - 500);
        await store.assignDialog({ dialogId: 'y', groupId: 'g' }, 'op', T0 + 7);
        expect((await store.holder('y'))?.enqueuedAt).to.equal(T0 + 7);
        const enqueued = await store.enqueue({ dialogId: 'y', groupId: 'g', priority: 1 }, T0 + 8);
        expect(enqueued.position).to.equal(0);
        expect(await store.queue('g')).to.deep.equal([]);
      });
    });

    describe('transferDialog', () => {
      /** d held by a (limit 2, status given), b in the group with room unless told otherwise. */
      async function heldByA(aStatus: Presence = 'online') {
        await store.upsertOperator(operator('a', ['g'], 2), T0);
        await store.upsertOperator(operator('b', ['g'], 1), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 3 }, T0);
        await store.assignHead('g', ['a'], T0 + 1);
        await store.setPresence('a', aStatus, T0 + 2);
      }
      const reasonOf = (r: { kind: string; reason?: string }) => (r.kind === 'rejected' ? r.reason : r.kind);

      it('when the target operator has room, then the dialog and the slot move in one step', async () => {
        await heldByA();
        const result = await store.transferDialog(
          { dialogId: 'd', groupId: 'g' },
          { kind: 'operator', operatorId: 'a' },
          { kind: 'operator', operatorId: 'b' },
          T0 + 5,
        );
        expect(result).to.deep.equal({
          kind: 'assigned',
          assignment: { dialogId: 'd', operatorId: 'b', groupId: 'g', enqueuedAt: T0 },
        });
        expect((await store.getOperator('a'))?.load).to.equal(0);
        expect((await store.getOperator('b'))?.load).to.equal(1);
        expect((await store.getOperator('b'))?.lastAssignedAt).to.equal(T0 + 5);
        expect(await store.holder('d')).to.deep.include({ operatorId: 'b', offered: false });
      });

      it('when the target is away, full, outside the group or the holder himself, then it is refused and the away holder keeps his slot', async () => {
        await heldByA('away');
        await store.upsertOperator(operator('off', ['g'], 2, 'away'), T0);
        await store.upsertOperator(operator('full', ['g'], 0), T0);
        await store.upsertOperator(operator('outsider', ['h']), T0);
        const to = (operatorId: string) =>
          store.transferDialog(
            { dialogId: 'd', groupId: 'g' },
            { kind: 'operator', operatorId: 'a' },
            { kind: 'operator', operatorId },
            T0 + 5,
          );
        expect(reasonOf(await to('off'))).to.equal('operator-offline');
        expect(reasonOf(await to('ghost'))).to.equal('operator-offline');
        expect(reasonOf(await to('full'))).to.equal('operator-at-limit');
        expect(reasonOf(await to('outsider'))).to.equal('not-in-group');
        expect(reasonOf(await to('a'))).to.equal('already-held');
        expect((await store.getOperator('a'))?.load).to.equal(1);
        expect(await store.holder('d')).to.deep.include({ operatorId: 'a' });
        const ignoring = await store.transferDialog(
          { dialogId: 'd', groupId: 'g' },
          { kind: 'operator', operatorId: 'a' },
          { kind: 'operator', operatorId: 'outsider', ignoreGroup: true },
          T0 + 6,
        );
        expect(ignoring.kind).to.equal('assigned');
        expect((await store.getOperator('a'))?.load).to.equal(0);
      });

      it('when ignorePresence is set (a repair), then the slot moves back to an offline operator below his limit, and a full or unknown one refuses it', async () => {
        await heldByA();
        await store.upsertOperator(operator('off', ['g'], 1, 'offline'), T0);
        await store.upsertOperator(operator('fullOff', ['g'], 0, 'offline'), T0);
        const to = (operatorId: string) =>
          store.transferDialog(
            { dialogId: 'd', groupId: 'g' },
            { kind: 'operator', operatorId: 'a' },
            { kind: 'operator', operatorId, ignoreGroup: true, ignorePresence: true },
            T0 + 5,
          );
        expect(reasonOf(await to('fullOff'))).to.equal('operator-at-limit');
        expect(reasonOf(await to('ghost'))).to.equal('operator-offline');
        expect((await store.getOperator('a'))?.load).to.equal(1);
        expect(reasonOf(await to('off'))).to.equal('assigned');
        expect((await store.getOperator('a'))?.load).to.equal(0);
        expect((await store.getOperator('off'))?.load).to.equal(1);
        expect(await store.holder('d')).to.deep.include({ operatorId: 'off', offered: false });
      });

      it('when the source operator does not hold the dialog (another holds it, only offered, or nobody), then it is refused as not-held', async () => {
        await heldByA();
        const from = (operatorId: string, dialogId = 'd') =>
          store.transferDialog(
            { dialogId, groupId: 'g' },
            { kind: 'operator', operatorId },
            { kind: 'group', groupId: 'h', priority: 1 },
            T0 + 5,
          );
        expect(reasonOf(await from('b'))).to.equal('not-held');
        expect(reasonOf(await from('a', 'nothing'))).to.equal('not-held');
        await store.enqueue({ dialogId: 'o', groupId: 'g', priority: 1 }, T0);
        await store.offerHead('g', ['b'], T0 + 3, 10_000);
        expect(reasonOf(await from('b', 'o'))).to.equal('not-held');
        expect(await store.holder('o')).to.deep.include({ operatorId: 'b', offered: true });
        expect(await store.holder('d')).to.deep.include({ operatorId: 'a' });
      });

      it('when transferred to a group, then the holder is freed and the dialog waits at the back of that queue from now', async () => {
        await heldByA('offline');
        await store.enqueue({ dialogId: 'w', groupId: 'h', priority: 1 }, T0);
        const result = await store.transferDialog(
          { dialogId: 'd', groupId: 'g' },
          { kind: 'operator', operatorId: 'a' },
          { kind: 'group', groupId: 'h', priority: 1 },
          T0 + 9,
        );
        expect(result).to.deep.equal({
          kind: 'queued',
          queued: { dialogId: 'd', groupId: 'h', priority: 1, enqueuedAt: T0 + 9, position: 2 },
        });
        expect((await store.getOperator('a'))?.load).to.equal(0);
        expect(await store.holder('d')).to.equal(null);
        expect(await store.queuedGroups()).to.deep.equal(['h']);
      });

      it('when a queued dialog is assigned by a supervisor, then it leaves its queue for the operator only if he has room', async () => {
        await store.upsertOperator(operator('b', ['g'], 1), T0);
        await store.upsertOperator(operator('other', ['h'], 1), T0);
        await store.enqueue({ dialogId: 'q1', groupId: 'g', priority: 2 }, T0);
        await store.enqueue({ dialogId: 'q2', groupId: 'g', priority: 2 }, T0 + 1);
        const assign = (dialogId: string, operatorId: string, groupId = 'g') =>
          store.transferDialog(
            { dialogId, groupId },
            { kind: 'queue' },
            { kind: 'operator', operatorId, ignoreGroup: true },
            T0 + 5,
          );
        expect(await assign('q2', 'b')).to.deep.equal({
          kind: 'assigned',
          assignment: { dialogId: 'q2', operatorId: 'b', groupId: 'g', enqueuedAt: T0 + 1 },
        });
        expect(reasonOf(await assign('q1', 'b'))).to.equal('operator-at-limit');
        expect(reasonOf(await assign('q2', 'other'))).to.equal('already-held');
        expect(reasonOf(await assign('never', 'other'))).to.equal('not-queued');
        // The caller's group is stale: the dialog is found in the queue it really waits in.
        expect((await assign('q1', 'other', 'h')).kind).to.equal('assigned');
        expect(await store.queue('g')).to.deep.equal([]);
        expect(await store.queuedGroups()).to.deep.equal([]);
      });

      it('when a queued dialog is sent to a group, or an id or priority is bad, then it is an InvalidArgument', async () => {
        await expectRoutingError(
          store.transferDialog(
            { dialogId: 'd', groupId: 'g' },
            { kind: 'queue' },
            { kind: 'group', groupId: 'h', priority: 1 },
            T0,
          ),
          ErrorCode.InvalidArgument,
        );
        await expectRoutingError(
          store.transferDialog(
            { dialogId: 'd', groupId: 'g' },
            { kind: 'operator', operatorId: 'a|b' },
            { kind: 'group', groupId: 'h', priority: 1 },
            T0,
          ),
          ErrorCode.InvalidArgument,
        );
        await expectRoutingError(
          store.transferDialog(
            { dialogId: 'd', groupId: 'g' },
            { kind: 'operator', operatorId: 'a' },
            { kind: 'group', groupId: 'h', priority: 12 },
            T0,
          ),
          ErrorCode.InvalidArgument,
        );
      });

      it('when many transfers, assigns and releases race for the same operators, then nobody exceeds his limit and every slot is counted once', async () => {
        const groups = ['g1', 'g2'];
        const operatorIds = [...Array(6).keys()].map((i) => `op${i}`);
        for (const [i, id] of operatorIds.entries())
          await store.upsertOperator(operator(id, [groups[i % 2]!], 1 + (i % 2)), T0);
        const dialogIds = [...Array(40).keys()].map((i) => `t${i}`);
        for (const [i, dialogId] of dialogIds.entries())
          await store.enqueue({ dialogId, groupId: groups[i % 2]!, priority: i % 10 }, T0 + i);
        for (const g of groups) while ((await store.assignHead(g, operatorIds, T0 + 50)).kind === 'assigned');
        let seed = 7;
        const random = () => {
          seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
          return seed / 2 ** 31;
        };
        const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
        const ops: Promise<unknown>[] = [];
        let moved = 0;
        for (let i = 0; i < 400; i += 1) {
          const s = peers[i % peers.length]!;
          const dialogId = pick(dialogIds);
          const roll = random();
          if (roll < 0.5) {
            ops.push(
              s.holder(dialogId).then(async (h) => {
                if (!h || h.offered) return;
                const to =
                  random() < 0.7
                    ? ({ kind: 'operator', operatorId: pick(operatorIds), ignoreGroup: true } as const)
                    : ({ kind: 'group', groupId: pick(groups), priority: 4 } as const);
                const r = await s.transferDialog(
                  { dialogId, groupId: h.groupId },
                  { kind: 'operator', operatorId: h.operatorId },
                  to,
                  T0 + i,
                );
                if (r.kind !== 'rejected') moved += 1;
              }),
            );
          } else if (roll < 0.75) {
            ops.push(
              s.position(dialogId).then(async (q) => {
                if (!q) return;
                const r = await s.transferDialog(
                  { dialogId, groupId: q.groupId },
                  { kind: 'queue' },
                  { kind: 'operator', operatorId: pick(operatorIds), ignoreGroup: true },
                  T0 + i,
                );
                if (r.kind !== 'rejected') moved += 1;
              }),
            );
          } else if (roll < 0.85) {
            ops.push(s.assignHead(pick(groups), operatorIds, T0 + i));
          } else if (roll < 0.95) {
            ops.push(
              s.holder(dialogId).then(async (h) => {
                if (h && (await s.release(dialogId, h.operatorId)))
                  await s.enqueue({ dialogId, groupId: pick(groups), priority: 1 }, T0 + i);
              }),
            );
          } else {
            ops.push(s.setPresence(pick(operatorIds), random() < 0.5 ? 'online' : 'away', T0 + i));
          }
        }
        await Promise.all(ops);
        await checkInvariants(store, dialogIds, { limitsFixed: true, groups });
        expect(moved, 'some transfers went through').to.be.greaterThan(0);
      });
    });

    describe('offers', () => {
      it('when a dialog is offered, then it counts against capacity until accepted or declined', async () => {
        await store.upsertOperator(operator('op', ['g'], 1), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, T0 + 1);
        const offered = await store.offerHead('g', ['op'], T0 + 10, 30_000);
        expect(offered).to.deep.equal({
          kind: 'assigned',
          assignment: { dialogId: 'd1', operatorId: 'op', groupId: 'g', enqueuedAt: T0 },
        });
        expect(await store.holder('d1')).to.deep.include({ operatorId: 'op', offered: true });
        expect((await store.getOperator('op'))?.load).to.equal(1);
        expect((await store.offerHead('g', ['op'], T0 + 11, 30_000)).kind).to.equal('no-capacity');
        expect((await store.assignHead('g', ['op'], T0 + 11)).kind).to.equal('no-capacity');
        expect(await store.assignDialog({ dialogId: 'd2', groupId: 'g' }, 'op', T0 + 11)).to.deep.equal({
          kind: 'rejected',
          reason: 'operator-at-limit',
        });
      });

      it('when an offer is accepted in time, then it becomes an assignment; others or late accepts get null', async () => {
        await store.upsertOperator(operator('op', ['g'], 2), T0);
        await store.upsertOperator(operator('other', ['g'], 2), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, T0 + 1);
        await store.offerHead('g', ['op'], T0 + 10, 1000);
        await store.offerHead('g', ['op'], T0 + 10, 1000);
        expect(await store.acceptOffer('d1', 'other', T0 + 20)).to.equal(null);
        expect(await store.acceptOffer('d1', 'op', T0 + 20)).to.deep.equal({
          dialogId: 'd1',
          operatorId: 'op',
          groupId: 'g',
          enqueuedAt: T0,
        });
        expect(await store.holder('d1')).to.deep.include({ offered: false });
        expect(await store.acceptOffer('d1', 'op', T0 + 21)).to.equal(null);
        expect((await store.getOperator('op'))?.lastAssignedAt).to.equal(T0 + 20);
        expect(await store.acceptOffer('d2', 'op', T0 + 1010)).to.equal(null);
        expect(await store.holder('d2')).to.deep.include({ offered: true });
      });

      it('when an offer is declined, then the dialog keeps its queue place and offerHead skips that operator', async () => {
        await store.upsertOperator(operator('a', ['g'], 2), T0);
        await store.upsertOperator(operator('b', ['g'], 2), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, T0 + 1);
        await store.offerHead('g', ['a', 'b'], T0 + 10, 1000);
        await store.enqueue({ dialogId: 'd3', groupId: 'g', priority: 1 }, T0 + 11);
        expect(await store.declineOffer('d1', 'b')).to.equal(false);
        expect(await store.declineOffer('d1', 'a')).to.equal(true);
        expect(await store.declineOffer('d1', 'a')).to.equal(false);
        expect(await store.position('d1')).to.deep.equal({
          dialogId: 'd1',
          groupId: 'g',
          priority: 1,
          enqueuedAt: T0,
          position: 1,
        });
        expect((await store.getOperator('a'))?.load).to.equal(0);
        const again = await store.offerHead('g', ['a', 'b'], T0 + 20, 1000);
        expect(again).to.deep.include({ kind: 'assigned' });
        expect(again.kind === 'assigned' && again.assignment).to.deep.include({
          dialogId: 'd1',
          operatorId: 'b',
        });
        expect(await store.declineOffer('d1', 'b')).to.equal(true);
        expect((await store.offerHead('g', ['a', 'b'], T0 + 30, 1000)).kind).to.equal('no-capacity');
        // A new attempt (the dialog leaves the queue and comes back) forgets the declines.
        expect(await store.dequeue('d1')).to.equal(true);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 9 }, T0 + 40);
        const fresh = await store.offerHead('g', ['a'], T0 + 41, 1000);
        expect(fresh.kind === 'assigned' && fresh.assignment.operatorId).to.equal('a');
      });

      it('when offers expire, then expiredOffers lists them and declining puts them back', async () => {
        await store.upsertOperator(operator('a', ['g'], 3), T0);
        for (let i = 0; i < 3; i += 1)
          await store.enqueue({ dialogId: `d${i}`, groupId: 'g', priority: 1 }, T0 + i);
        await store.offerHead('g', ['a'], T0 + 10, 100);
        await store.offerHead('g', ['a'], T0 + 20, 100);
        await store.offerHead('g', ['a'], T0 + 30, 100);
        await store.acceptOffer('d2', 'a', T0 + 40);
        expect(await store.expiredOffers(T0 + 109)).to.deep.equal([]);
        const expired = await store.expiredOffers(T0 + 1000);
        expect(expired).to.deep.equal([
          { dialogId: 'd0', operatorId: 'a', groupId: 'g', enqueuedAt: T0, expiresAt: T0 + 110 },
          { dialogId: 'd1', operatorId: 'a', groupId: 'g', enqueuedAt: T0 + 1, expiresAt: T0 + 120 },
        ]);
        for (const o of expired) expect(await store.declineOffer(o.dialogId, o.operatorId)).to.equal(true);
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal(['d0', 'd1']);
        expect(await store.expiredOffers(T0 + 1000)).to.deep.equal([]);
      });

      it('when an offered dialog is released, then the offer is withdrawn and the slot freed', async () => {
        await store.upsertOperator(operator('a', ['g'], 1), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 1 }, T0);
        await store.offerHead('g', ['a'], T0, 100);
        expect(await store.release('d', 'a')).to.equal(true);
        expect(await store.expiredOffers(T0 + 1000)).to.deep.equal([]);
        expect(await store.acceptOffer('d', 'a', T0 + 1)).to.equal(null);
        expect((await store.getOperator('a'))?.load).to.equal(0);
      });
    });

    describe('offers behind the head, operators gone, durable presence', () => {
      it('when a dialog behind the head is offered, then only it leaves the queue, held until accepted, and the ranking alone decides who', async () => {
        await store.upsertOperator(operator('a', ['g'], 1), T0);
        await store.upsertOperator(operator('b', ['g'], 1, 'away'), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 1 }, T0 + 1);
        expect(await store.offerDialog({ dialogId: 'd2', groupId: 'g' }, ['b'], T0 + 10, 500)).to.deep.equal({
          kind: 'no-capacity',
        });
        expect(
          await store.offerDialog({ dialogId: 'd2', groupId: 'other' }, ['a'], T0 + 10, 500),
        ).to.deep.equal({
          kind: 'not-queued',
        });
        const offered = await store.offerDialog({ dialogId: 'd2', groupId: 'g' }, ['b', 'a'], T0 + 10, 500);
        expect(offered).to.deep.equal({
          kind: 'offered',
          offer: { dialogId: 'd2', groupId: 'g', operatorId: 'a', enqueuedAt: T0 + 1, expiresAt: T0 + 510 },
        });
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal(['d1']);
        expect(await store.holder('d2')).to.deep.include({ operatorId: 'a', offered: true });
        expect(
          (await store.offerDialog({ dialogId: 'd1', groupId: 'g' }, ['a'], T0 + 11, 500)).kind,
        ).to.equal('no-capacity');
        expect(await store.offerDialog({ dialogId: 'd2', groupId: 'g' }, ['a'], T0 + 11, 500)).to.deep.equal({
          kind: 'not-queued',
        });
        // Declined, it goes back to its place behind d1; offerDialog may offer it to the decliner again.
        expect(await store.declineOffer('d2', 'a')).to.equal(true);
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal(['d1', 'd2']);
        expect(
          (await store.offerDialog({ dialogId: 'd2', groupId: 'g' }, ['a'], T0 + 20, 500)).kind,
        ).to.equal('offered');
        expect(await store.expiredOffers(T0 + 520)).to.deep.equal([
          { dialogId: 'd2', groupId: 'g', operatorId: 'a', enqueuedAt: T0 + 1, expiresAt: T0 + 520 },
        ]);
      });

      it('when held dialogs are requeued, then each goes back to its old place ahead of later arrivals, keeping its priority, and the slot is freed', async () => {
        await store.upsertOperator(operator('a', ['g'], 3), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.enqueue({ dialogId: 'd2', groupId: 'g', priority: 5 }, T0 + 1);
        await store.assignHead('g', ['a'], T0 + 2);
        await store.assignHead('g', ['a'], T0 + 3);
        await store.enqueue({ dialogId: 'late-high', groupId: 'g', priority: 5 }, T0 + 4);
        await store.enqueue({ dialogId: 'late-low', groupId: 'g', priority: 1 }, T0 + 5);
        // Held without a queue place (a transfer): the front of its priority.
        await store.assignDialog({ dialogId: 'moved', groupId: 'g' }, 'a', T0 + 6);
        expect(await store.requeueHeld('d1', 'b', 1)).to.equal(false);
        expect(await store.requeueHeld('nobody', 'a', 1)).to.equal(false);
        expect(await store.requeueHeld('d1', 'a', 1)).to.equal(true);
        expect(await store.requeueHeld('d1', 'a', 1)).to.equal(false);
        expect(await store.requeueHeld('d2', 'a', 5)).to.equal(true);
        expect(await store.requeueHeld('moved', 'a', 1)).to.equal(true);
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal([
          'd2',
          'late-high',
          'moved',
          'd1',
          'late-low',
        ]);
        expect(await store.position('d1')).to.deep.include({ priority: 1, enqueuedAt: T0 });
        expect(await store.position('d2')).to.deep.include({ priority: 5, enqueuedAt: T0 + 1 });
        expect((await store.getOperator('a'))?.load).to.equal(0);
        await checkInvariants(store, ['d1', 'd2', 'late-high', 'late-low', 'moved'], {
          limitsFixed: true,
          groups: ['g'],
        });
        await expectRoutingError(store.requeueHeld('x', 'a', 12), ErrorCode.InvalidArgument);
      });

      it('when an offered dialog is requeued, then the offer is withdrawn', async () => {
        await store.upsertOperator(operator('a', ['g'], 1), T0);
        await store.enqueue({ dialogId: 'd', groupId: 'g', priority: 1 }, T0);
        await store.offerHead('g', ['a'], T0, 100);
        expect(await store.requeueHeld('d', 'a', 1)).to.equal(true);
        expect(await store.expiredOffers(T0 + 1000)).to.deep.equal([]);
        expect(await store.acceptOffer('d', 'a', T0 + 1)).to.equal(null);
        expect(await store.position('d')).to.deep.include({ position: 1, enqueuedAt: T0 });
      });

      it('when connections beat, close and are forgotten, then the latest alive-until of the operator is reported', async () => {
        expect(await store.connectionsAliveUntil('a')).to.equal(null);
        await store.beatConnection('a', 'c1', T0 + 100);
        await store.beatConnection('a', 'c2', T0 + 300);
        await store.beatConnection('b', 'c3', T0 + 900);
        expect(await store.connectionsAliveUntil('a')).to.equal(T0 + 300);
        await store.beatConnection('a', 'c2', T0 + 50); // c2 closed at T0+50
        expect(await store.connectionsAliveUntil('a')).to.equal(T0 + 100);
        expect(await store.forgetConnections('a', T0 + 100)).to.equal(1);
        expect(await store.connectionsAliveUntil('a')).to.equal(T0 + 100);
        expect(await store.forgetConnections('a', T0 + 101)).to.equal(1);
        expect(await store.connectionsAliveUntil('a')).to.equal(null);
        expect(await store.connectionsAliveUntil('b')).to.equal(T0 + 900);
      });

      it('when a node beats for many connections at once and the reconciler sweeps, then each operator keeps only what is alive', async () => {
        await store.beatConnections([
          { operatorId: 'a', connectionId: 'c1', aliveUntil: T0 + 100 },
          { operatorId: 'a', connectionId: 'c2', aliveUntil: T0 + 300 },
          { operatorId: 'b', connectionId: 'c3', aliveUntil: T0 + 50 },
        ]);
        await store.beatConnections([]);
        expect(await store.connectionsAliveUntil('a')).to.equal(T0 + 300);
        const latest = await store.sweepConnections(['a', 'b', 'nobody'], T0 + 200);
        expect([...latest]).to.deep.equal([
          ['a', T0 + 300],
          ['b', T0 + 50],
          ['nobody', null],
        ]);
        // a is alive: his dead c1 is gone; b has nothing after the cutoff: his entry stays for the caller.
        expect(await store.forgetConnections('a', T0 + 300)).to.equal(0);
        expect(await store.connectionsAliveUntil('b')).to.equal(T0 + 50);
        await store.beatConnection('a', 'c2', T0 + 150); // c2 closed
        expect(await store.connectionsAliveUntil('a')).to.equal(T0 + 150);
      });

      it('when offers ran out and timers are due, then one poll returns both and claims the timers', async () => {
        await store.upsertOperator(operator('a', ['g'], 2), T0);
        await store.enqueue({ dialogId: 'd1', groupId: 'g', priority: 1 }, T0);
        await store.offerHead('g', ['a'], T0, 100);
        await store.scheduleTimer({ dialogId: 'd2', key: 'k', dueAt: T0 + 50 });
        await store.scheduleTimer({ dialogId: 'd3', key: 'k', dueAt: T0 + 5000 });
        const early = await store.pollDue(T0 + 10, 1000, 10);
        expect(early).to.deep.equal({ expiredOffers: [], claimed: [] });
        const due = await store.pollDue(T0 + 200, 1000, 10);
        expect(due.expiredOffers).to.deep.equal(await store.expiredOffers(T0 + 200));
        expect(due.expiredOffers.map((o) => [o.dialogId, o.operatorId])).to.deep.equal([['d1', 'a']]);
        expect(due.claimed.map((t) => [t.dialogId, t.key, t.dueAt])).to.deep.equal([['d2', 'k', T0 + 50]]);
        expect(await store.claimDueTimers(T0 + 200, 1000, 10)).to.deep.equal([]);
        expect(await store.ackTimer(due.claimed[0]!)).to.equal(true);
      });

      it('when dialogs are held, offered, queued and timed, then the overview shows where each one is', async () => {
        await store.upsertOperator(operator('a', ['g'], 2), T0);
        await store.upsertOperator(operator('b', ['g'], 2), T0);
        expect(await store.overview()).to.deep.equal({
          holders: new Map(),
          queued: new Set(),
          timerKeys: new Map(),
        });
        for (const dialogId of ['d1', 'd2', 'd3', 'd4'])
          await store.enqueue({ dialogId, groupId: 'g', priority: 1 }, T0);
        await store.assignHead('g', ['b'], T0);
        await store.offerHead('g', ['a'], T0, 100);
        await store.scheduleTimer({ dialogId: 'd3', key: 'k1', dueAt: T0 + 10 });
        await store.scheduleTimer({ dialogId: 'd3', key: 'k2', dueAt: T0 + 5000 });
        await store.claimDueTimers(T0 + 20, 1000, 10); // k1 claimed, k2 still scheduled
        const overview = await store.overview();
        expect(overview.holders).to.deep.equal(
          new Map([
            ['d1', { operatorId: 'b', offered: false }],
            ['d2', { operatorId: 'a', offered: true }],
          ]),
        );
        expect(overview.queued).to.deep.equal(new Set(['d3', 'd4']));
        expect(overview.timerKeys).to.deep.equal(new Map([['d3', new Set(['k1', 'k2'])]]));
      });
    });

    describe('timers', () => {
      it('when timers are scheduled, moved and cancelled, then listTimers reflects it', async () => {
        await store.scheduleTimer({ dialogId: 'd', key: 'offline-reply', dueAt: T0 + 10 });
        await store.scheduleTimer({ dialogId: 'd', key: 'unanswered:1', dueAt: T0 + 20 });
        await store.scheduleTimer({ dialogId: 'd2', key: 'x', dueAt: T0 + 5 });
        await store.scheduleTimer({ dialogId: 'd', key: 'offline-reply', dueAt: T0 + 30 });
        expect(await store.listTimers('d')).to.deep.equal([
          { dialogId: 'd', key: 'offline-reply', dueAt: T0 + 30 },
          { dialogId: 'd', key: 'unanswered:1', dueAt: T0 + 20 },
        ]);
        expect(await store.cancelTimer('d', 'unanswered:1')).to.equal(true);
        expect(await store.cancelTimer('d', 'unanswered:1')).to.equal(false);
        await store.scheduleTimer({ dialogId: 'd', key: 'k|with|bars', dueAt: T0 + 1 });
        expect(await store.cancelDialogTimers('d')).to.equal(2);
        expect(await store.listTimers('d')).to.deep.equal([]);
        expect(await store.listTimers('d2')).to.have.length(1);
      });

      it('when timers are due, then each is handed to exactly one claimer and not-yet-due ones wait', async () => {
        for (let i = 0; i < 20; i += 1)
          await store.scheduleTimer({ dialogId: `d${i}`, key: 'k', dueAt: T0 + i });
        const claims = await Promise.all(
          [...Array(6).keys()].map((i) => peers[i % peers.length]!.claimDueTimers(T0 + 14, 10_000, 4)),
        );
        const all = claims.flat();
        expect(all).to.have.length(15);
        expect(new Set(all.map((c) => c.dialogId)).size).to.equal(15);
        expect(all.every((c) => c.dueAt <= T0 + 14)).to.equal(true);
        expect(await store.claimDueTimers(T0 + 14, 10_000, 100)).to.deep.equal([]);
        for (const c of all) expect(await store.ackTimer(c)).to.equal(true);
        expect(await store.listTimers('d3')).to.deep.equal([]);
        expect(await store.listTimers('d19')).to.have.length(1);
      });

      it('when a lease expires, then the timer is handed out again and the stale token cannot ack', async () => {
        await store.scheduleTimer({ dialogId: 'd', key: 'k', dueAt: T0 });
        const [first] = await store.claimDueTimers(T0, 1000, 10);
        expect(first).to.deep.include({ dialogId: 'd', key: 'k', dueAt: T0 });
        expect(await store.claimDueTimers(T0 + 999, 1000, 10)).to.deep.equal([]);
        expect(await store.listTimers('d')).to.deep.equal([{ dialogId: 'd', key: 'k', dueAt: T0 }]);
        const [second] = await store.claimDueTimers(T0 + 1000, 1000, 10);
        expect(second).to.deep.include({ dialogId: 'd', key: 'k', dueAt: T0 });
        expect(second!.claimToken).to.not.equal(first!.claimToken);
        expect(await store.ackTimer(first!)).to.equal(false);
        expect(await store.ackTimer(second!)).to.equal(true);
        expect(await store.ackTimer(second!)).to.equal(false);
        expect(await store.listTimers('d')).to.deep.equal([]);
      });

      it('when a claimed timer is rescheduled, then the new schedule wins and the old ack fails', async () => {
        await store.scheduleTimer({ dialogId: 'd', key: 'k', dueAt: T0 });
        const [claim] = await store.claimDueTimers(T0, 1000, 10);
        await store.scheduleTimer({ dialogId: 'd', key: 'k', dueAt: T0 + 5000 });
        expect(await store.ackTimer(claim!)).to.equal(false);
        expect(await store.listTimers('d')).to.deep.equal([{ dialogId: 'd', key: 'k', dueAt: T0 + 5000 }]);
        expect(await store.claimDueTimers(T0 + 2000, 1000, 10)).to.deep.equal([]);
        const [next] = await store.claimDueTimers(T0 + 5000, 1000, 10);
        expect(next).to.deep.include({ dueAt: T0 + 5000 });
        expect(await store.ackTimer(next!)).to.equal(true);
      });

      it('when the timer changes of a transition are applied at once, then each is cancelled or (re)scheduled, a claim voided', async () => {
        await store.scheduleTimer({ dialogId: 'd', key: 'gone', dueAt: T0 });
        await store.scheduleTimer({ dialogId: 'd', key: 'moved', dueAt: T0 });
        await store.scheduleTimer({ dialogId: 'd2', key: 'gone', dueAt: T0 + 5 });
        const [claim] = await store.claimDueTimers(T0, 1000, 1);
        const cancelled = await store.applyTimers(
          'd',
          ['gone', 'never'],
          [
            { key: 'moved', dueAt: T0 + 50 },
            { key: 'new|bar', dueAt: T0 + 60 },
          ],
        );
        expect(cancelled).to.equal(1);
        expect(await store.ackTimer(claim!)).to.equal(false);
        expect(await store.listTimers('d')).to.deep.equal([
          { dialogId: 'd', key: 'moved', dueAt: T0 + 50 },
          { dialogId: 'd', key: 'new|bar', dueAt: T0 + 60 },
        ]);
        expect(await store.listTimers('d2')).to.deep.equal([{ dialogId: 'd2', key: 'gone', dueAt: T0 + 5 }]);
        expect(await store.applyTimers('d', [], [])).to.equal(0);
      });

      it('when a claimed timer is cancelled, then its ack fails and it never comes back', async () => {
        await store.scheduleTimer({ dialogId: 'd', key: 'k', dueAt: T0 });
        const [claim] = await store.claimDueTimers(T0, 1000, 10);
        expect(await store.cancelTimer('d', 'k')).to.equal(true);
        expect(await store.ackTimer(claim!)).to.equal(false);
        expect(await store.claimDueTimers(T0 + 10_000, 1000, 10)).to.deep.equal([]);
      });
    });

    describe('typing marks', () => {
      it('when an operator marks typing, then any peer reads the latest mark of that operator only, until it expires', async () => {
        const at = Date.now();
        expect(await store.typingAt('d', 'anna', at)).to.equal(null);
        await store.markTyping('d', 'anna', at, 60_000);
        await peers[peers.length - 1]!.markTyping('d', 'anna', at - 500, 60_000);
        expect(await peers[peers.length - 1]!.typingAt('d', 'anna', at)).to.equal(at);
        expect(await store.typingAt('d', 'boris', at)).to.equal(null);
        expect(await store.typingAt('d2', 'anna', at)).to.equal(null);
        await store.markTyping('d', 'anna', at + 1000, 60_000);
        expect(await store.typingAt('d', 'anna', at + 1000)).to.equal(at + 1000);

        const short = Date.now();
        await store.markTyping('e', 'anna', short, 50);
        await new Promise((r) => setTimeout(r, 120));
        expect(await store.typingAt('e', 'anna', Date.now())).to.equal(null);
      });
    });

    describe('rebuild and epoch', () => {
      it('when the state is rebuilt, then it replaces everything and a new epoch is set', async () => {
        expect(await store.epoch()).to.equal(null);
        await store.upsertOperator(operator('stale', ['g']), T0);
        await store.enqueue({ dialogId: 'stale-d', groupId: 'g', priority: 1 }, T0);
        await store.scheduleTimer({ dialogId: 'stale-d', key: 'k', dueAt: T0 });
        await store.rebuild({
          operators: [operator('a', ['g'], 2), operator('b', ['g'], 1, 'offline')],
          queued: [
            { dialogId: 'q-old', groupId: 'g', priority: 1, enqueuedAt: T0 - 100 },
            { dialogId: 'q-vip', groupId: 'g', priority: 8, enqueuedAt: T0 },
            { dialogId: 'q-new', groupId: 'g', priority: 1, enqueuedAt: T0 - 50 },
          ],
          assigned: [{ dialogId: 'x', operatorId: 'a', groupId: 'g', enqueuedAt: T0 - 1000 }],
          timers: [{ dialogId: 'x', key: 'unanswered', dueAt: T0 + 60_000 }],
          lastAssignedAt: { a: T0 - 10 },
        });
        const first = await store.epoch();
        expect(first).to.be.a('string');
        expect(await store.getOperator('stale')).to.equal(null);
        expect(await store.position('stale-d')).to.equal(null);
        expect(await store.listTimers('stale-d')).to.deep.equal([]);
        expect((await store.queue('g')).map((q) => q.dialogId)).to.deep.equal(['q-vip', 'q-old', 'q-new']);
        expect(await store.getOperator('a')).to.deep.include({ load: 1, lastAssignedAt: T0 - 10 });
        expect(await store.holder('x')).to.deep.include({
          operatorId: 'a',
          offered: false,
          enqueuedAt: T0 - 1000,
        });
        expect(await store.listTimers('x')).to.deep.equal([
          { dialogId: 'x', key: 'unanswered', dueAt: T0 + 60_000 },
        ]);
        // The queue keeps working after a rebuild: new dialogs go behind rebuilt ones of their priority.
        await store.enqueue({ dialogId: 'q-next', groupId: 'g', priority: 1 }, T0 + 1);
        expect((await store.position('q-next'))?.position).to.equal(4);
        await store.rebuild({ operators: [], queued: [], assigned: [], timers: [] });
        const second = await store.epoch();
        expect(second).to.be.a('string').and.not.equal(first);
        expect(await store.queuedGroups()).to.deep.equal([]);
      });
    });

    describe('races', () => {
      it('when hundreds of assignHead/assignDialog/release/enqueue run concurrently, then no limit is exceeded and nothing is lost or held twice', async () => {
        const groups = ['g1', 'g2'];
        const operatorIds = [...Array(8).keys()].map((i) => `op${i}`);
        for (const [i, id] of operatorIds.entries()) {
          await store.upsertOperator(operator(id, i % 3 === 0 ? groups : [groups[i % 2]!], 1 + (i % 3)), T0);
        }
        const dialogIds = [...Array(120).keys()].map((i) => `d${i}`);
        await Promise.all(
          dialogIds.map((dialogId, i) => {
            const dialog = { dialogId, groupId: groups[i % 2]!, priority: i % 10 };
            const s = peers[i % peers.length]!;
            return i % 2 === 0 ? s.enqueue(dialog, T0 + i) : s.enqueueAndAssign(dialog, operatorIds, T0 + i);
          }),
        );
        let seed = 42;
        const random = () => {
          seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
          return seed / 2 ** 31;
        };
        const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
        const ops: Promise<unknown>[] = [];
        for (let i = 0; i < 600; i += 1) {
          const s = peers[i % peers.length]!;
          const roll = random();
          const ranked = [...operatorIds].sort(() => random() - 0.5);
          if (roll < 0.45) ops.push(s.assignHead(pick(groups), ranked, T0 + i));
          else if (roll < 0.6) ops.push(s.offerHead(pick(groups), ranked, T0 + i, 10_000));
          else if (roll < 0.75)
            ops.push(
              s.assignDialog({ dialogId: pick(dialogIds), groupId: pick(groups) }, pick(operatorIds), T0 + i),
            );
          else if (roll < 0.8) {
            const dialogId = pick(dialogIds);
            ops.push(
              s.assignDialog({ dialogId, groupId: 'elsewhere' }, pick(operatorIds), T0 + i, {
                ignoreGroup: true,
              }),
            );
          } else if (roll < 0.97) {
            const dialogId = pick(dialogIds);
            ops.push(
              s.holder(dialogId).then(async (h) => {
                if (!h) return;
                if (random() < 0.3 && h.offered) await s.declineOffer(dialogId, h.operatorId);
                else if (await s.release(dialogId, h.operatorId)) {
                  const dialog = { dialogId, groupId: pick(groups), priority: 5 };
                  const how = random();
                  if (how < 0.33) await s.enqueue(dialog, T0 + i);
                  else if (how < 0.66) await s.enqueueAndAssign(dialog, ranked, T0 + i);
                  // The one-commit start: held at once, or the queue path when it was not.
                  else if (!(await s.holdNew(dialog, ranked, T0 + i))) await s.enqueue(dialog, T0 + i);
                }
              }),
            );
          } else {
            const id = pick(operatorIds);
            ops.push(s.setPresence(id, random() < 0.5 ? 'online' : 'away', T0 + i));
          }
        }
        await Promise.all(ops);
        await checkInvariants(store, dialogIds, { limitsFixed: true, groups });
        const held = (await store.listOperators()).reduce((sum, o) => sum + o.load, 0);
        expect(held, 'some dialogs got assigned').to.be.greaterThan(0);
      });
    });

    describe('random sequences (property)', () => {
      it('when any sequence of operations runs, then the invariants hold after each step', async function () {
        this.timeout(60_000);
        const groups = ['g', 'h'];
        const dialogs = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
        const ops = ['a', 'b', 'c'];
        const command = fc.oneof(
          fc.record({
            t: fc.constant('enqueue' as const),
            d: fc.constantFrom(...dialogs),
            g: fc.constantFrom(...groups),
            p: fc.integer({ min: 0, max: 9 }),
          }),
          fc.record({
            t: fc.constant('arrive' as const),
            d: fc.constantFrom(...dialogs),
            g: fc.constantFrom(...groups),
            p: fc.integer({ min: 0, max: 9 }),
            r: fc.shuffledSubarray(ops),
          }),
          fc.record({ t: fc.constant('dequeue' as const), d: fc.constantFrom(...dialogs) }),
          fc.record({
            t: fc.constant('assignHead' as const),
            g: fc.constantFrom(...groups),
            r: fc.shuffledSubarray(ops),
          }),
          fc.record({
            t: fc.constant('offerHead' as const),
            g: fc.constantFrom(...groups),
            r: fc.shuffledSubarray(ops),
          }),
          fc.record({
            t: fc.constant('accept' as const),
            d: fc.constantFrom(...dialogs),
            o: fc.constantFrom(...ops),
          }),
          fc.record({
            t: fc.constant('decline' as const),
            d: fc.constantFrom(...dialogs),
            o: fc.constantFrom(...ops),
          }),
          fc.record({
            t: fc.constant('assignDialog' as const),
            d: fc.constantFrom(...dialogs),
            g: fc.constantFrom(...groups),
            o: fc.constantFrom(...ops),
            ig: fc.boolean(),
          }),
          fc.record({
            t: fc.constant('release' as const),
            d: fc.constantFrom(...dialogs),
            o: fc.constantFrom(...ops),
          }),
          fc.record({
            t: fc.constant('presence' as const),
            o: fc.constantFrom(...ops),
            s: fc.constantFrom<Presence>('online', 'away', 'offline'),
          }),
        );
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(command, { maxLength: 25 }), async (commands) => {
            run += 1;
            if (run > 1) {
              await cleanup();
              const made = await makeStore();
              store = made.store;
              cleanup = made.cleanup;
            }
            await store.upsertOperator(operator('a', ['g'], 1), T0);
            await store.upsertOperator(operator('b', ['g', 'h'], 2), T0);
            await store.upsertOperator(operator('c', ['h'], 1), T0);
            const seen = new Set<string>();
            let now = T0;
            for (const c of commands) {
              now += 10;
              if (c.t === 'enqueue') {
                await store.enqueue({ dialogId: c.d, groupId: c.g, priority: c.p }, now);
                seen.add(c.d);
              } else if (c.t === 'arrive') {
                await store.enqueueAndAssign({ dialogId: c.d, groupId: c.g, priority: c.p }, c.r, now);
                seen.add(c.d);
              } else if (c.t === 'dequeue') {
                if (await store.dequeue(c.d)) seen.delete(c.d);
              } else if (c.t === 'assignHead') await store.assignHead(c.g, c.r, now);
              else if (c.t === 'offerHead') await store.offerHead(c.g, c.r, now, 25);
              else if (c.t === 'accept') await store.acceptOffer(c.d, c.o, now);
              else if (c.t === 'decline') await store.declineOffer(c.d, c.o);
              else if (c.t === 'assignDialog') {
                const r = await store.assignDialog({ dialogId: c.d, groupId: c.g }, c.o, now, {
                  ignoreGroup: c.ig,
                });
                if (r.kind === 'assigned') seen.add(c.d);
              } else if (c.t === 'release') {
                if (await store.release(c.d, c.o)) seen.delete(c.d);
              } else await store.setPresence(c.o, c.s, now);
              await checkInvariants(store, [...seen], { limitsFixed: true, groups });
            }
          }),
          { numRuns: 25 },
        );
      });
    });
  });
}
