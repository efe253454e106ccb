import { expect } from 'chai';
import fc from 'fast-check';
import { EXACT_HEAD, QUEUE_BOUNDS, queueBound, shownPosition } from '../src/index';

const basis = { freeableCapacity: 2, meanHandleMs: 5 * 60_000 };

describe('queue bounds', () => {
  it('when listed, then they start at the exact head, ascend, and at most double', () => {
    expect(QUEUE_BOUNDS.slice(0, 13)).to.deep.equal([
      50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000,
    ]);
    expect(QUEUE_BOUNDS[0]).to.equal(EXACT_HEAD);
    for (let i = 1; i < QUEUE_BOUNDS.length; i++) {
      expect(QUEUE_BOUNDS[i]!).to.be.greaterThan(QUEUE_BOUNDS[i - 1]!);
      expect(QUEUE_BOUNDS[i]!).to.be.at.most(2 * QUEUE_BOUNDS[i - 1]!);
    }
  });

  it('when a visitor is in the exact head, then he sees his position and its estimate', () => {
    expect(queueBound(EXACT_HEAD)).to.equal(null);
    expect(shownPosition(1, basis)).to.deep.equal({
      position: 1,
      exact: true,
      eta: { minutes: 5, qualifier: 'about' },
    });
    expect(shownPosition(EXACT_HEAD, null)).to.deep.equal({ position: EXACT_HEAD, exact: true, eta: null });
  });

  it('when a visitor is behind the head, then he sees the largest bound below his position and no estimate', () => {
    expect(shownPosition(51, basis)).to.deep.equal({ position: 50, exact: false, eta: null });
    expect(queueBound(75)).to.equal(50);
    expect(queueBound(76)).to.equal(75);
    expect(queueBound(10_000)).to.equal(7500);
    expect(queueBound(10_001)).to.equal(10_000);
    expect(queueBound(5_000_000)).to.equal(1_000_000);
  });

  it('when any position is behind the head, then the bound is true (below it) and the next bound is not', () => {
    fc.assert(
      fc.property(fc.integer({ min: EXACT_HEAD + 1, max: 2_000_000 }), (position) => {
        const bound = queueBound(position)!;
        expect(bound).to.be.lessThan(position);
        expect(QUEUE_BOUNDS).to.include(bound);
        const next = QUEUE_BOUNDS[QUEUE_BOUNDS.indexOf(bound) + 1];
        if (next !== undefined) expect(next).to.be.at.least(position);
      }),
    );
  });
});
