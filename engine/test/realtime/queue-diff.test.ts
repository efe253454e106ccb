import { applyQueueMove } from '@hotline/client/queue-position';
import { expect } from 'chai';
import fc from 'fast-check';
import type { QueuePositionView } from '@hotline/protocol';
import { diffQueue } from '../../src/realtime/queue-positions';

/** A queue as ids in order; a change removes some, inserts new ones anywhere, and moves a few. */
const change = (
  before: string[],
  seed: { drop: boolean[]; inserts: number[]; moves: number[] },
  round: number,
) => {
  const after = before.filter((_, i) => !seed.drop[i % seed.drop.length]);
  for (const [i, at] of seed.inserts.entries()) after.splice(at % (after.length + 1), 0, `n${round}-${i}`);
  for (const from of seed.moves) {
    if (after.length < 2) break;
    const [id] = after.splice(from % after.length, 1);
    after.splice((from * 7) % (after.length + 1), 0, id!);
  }
  return after;
};

describe('queue moves: diffQueue (engine) and applyQueueMove (widget) together', () => {
  it('when any sequence of changes is broadcast, then every visitor who stays and followed it knows his exact position', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.array(
          fc.record({
            drop: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
            inserts: fc.array(fc.nat(40), { maxLength: 5 }),
            moves: fc.array(fc.nat(40), { maxLength: 2 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (size, changes) => {
          let order = Array.from({ length: size }, (_, i) => `d${i}`);
          const shown = new Map<string, QueuePositionView>();
          const sync = (rev: number) => ({ groupId: 'g', rev, wait: null });
          for (const [i, dialogId] of order.entries())
            shown.set(dialogId, { dialogId, position: i + 1, eta: null, sync: sync(0) });
          changes.forEach((seed, round) => {
            const next = change(order, seed, round);
            const { left, leftIds, entered } = diffQueue(order, next);
            const move = { groupId: 'g', since: round, rev: round + 1, left, entered, wait: null };
            // As the engine does: those who left or changed place stop following; the rest apply the
            // broadcast; whoever is not following (new, moved) gets an exact position.
            for (const id of leftIds) shown.delete(id);
            for (const [id, view] of shown) shown.set(id, applyQueueMove(view, move)!);
            next.forEach((dialogId, i) => {
              if (!shown.has(dialogId))
                shown.set(dialogId, { dialogId, position: i + 1, eta: null, sync: sync(round + 1) });
            });
            order = next;
          });
          for (const [i, dialogId] of order.entries())
            expect(shown.get(dialogId)?.position, dialogId).to.equal(i + 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('when a move is of another revision or group, then the widget keeps what it shows', () => {
    const view: QueuePositionView = {
      dialogId: 'a',
      position: 5,
      eta: null,
      sync: { groupId: 'g', rev: 3, wait: null },
    };
    const move = { groupId: 'g', since: 2, rev: 4, left: [1], entered: [], wait: null };
    expect(applyQueueMove(view, move)).to.equal(null);
    expect(applyQueueMove(view, { ...move, since: 3, groupId: 'h' })).to.equal(null);
    expect(applyQueueMove(view, { ...move, since: 3 })?.position).to.equal(4);
  });
});
