import { expect } from 'chai';
import fc from 'fast-check';
import { estimateWait } from '../src/index';

const min = 60_000;

describe('estimateWait', () => {
  it('when there are fewer than 3 handle-time samples, then the estimate is hidden', () => {
    expect(
      estimateWait({ position: 1, freeableCapacity: 3, recentHandleTimesMs: [5 * min, 5 * min] }),
    ).to.equal(null);
  });

  it('when nobody can free capacity, then the estimate is hidden', () => {
    expect(estimateWait({ position: 1, freeableCapacity: 0, recentHandleTimesMs: [min, min, min] })).to.equal(
      null,
    );
  });

  it('when the position fits in the first round of capacity, then it is one average handle time', () => {
    expect(
      estimateWait({ position: 3, freeableCapacity: 3, recentHandleTimesMs: [4 * min, 4 * min, 4 * min] }),
    ).to.deep.equal({
      minutes: 4,
      qualifier: 'about',
    });
  });

  it('when the position needs more rounds, then it multiplies: floor((p-1)/capacity)+1', () => {
    expect(
      estimateWait({ position: 7, freeableCapacity: 3, recentHandleTimesMs: [4 * min, 4 * min, 4 * min] })
        ?.minutes,
    ).to.equal(12);
  });

  it('when recent handle times differ, then newer ones weigh more', () => {
    const newerShort = estimateWait({
      position: 1,
      freeableCapacity: 1,
      recentHandleTimesMs: [1 * min, 10 * min, 10 * min],
    })!;
    expect(newerShort.minutes).to.be.lessThan(7); // the plain mean would be 7
  });

  it('when the estimate is under a minute, then it says less than 1 minute', () => {
    expect(
      estimateWait({ position: 1, freeableCapacity: 2, recentHandleTimesMs: [20_000, 30_000, 40_000] }),
    ).to.deep.equal({
      minutes: 1,
      qualifier: 'less-than',
    });
  });

  it('when data is too thin for any position or capacity, then it is always hidden', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 500 }),
        fc.integer({ min: -5, max: 50 }),
        fc.array(fc.integer({ min: 1, max: 3_600_000 }), { maxLength: 2 }),
        (position, capacity, samples) => {
          expect(
            estimateWait({ position, freeableCapacity: capacity, recentHandleTimesMs: samples }),
          ).to.equal(null);
        },
      ),
    );
  });

  it('when there is enough data, then a later position never waits less', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 1000, max: 3_600_000 }), { minLength: 3, maxLength: 30 }),
        (position, capacity, samples) => {
          const here = estimateWait({ position, freeableCapacity: capacity, recentHandleTimesMs: samples })!;
          const later = estimateWait({
            position: position + 1,
            freeableCapacity: capacity,
            recentHandleTimesMs: samples,
          })!;
          expect(later.minutes).to.be.at.least(here.minutes);
        },
      ),
    );
  });
});
