import { expect } from 'chai';
import { type DialogTiming, isQueueFull, nextThreshold } from '../src/index';
import { config } from './support/fixtures';

const group = (edit: Record<string, unknown> = {}) =>
  config((raw) => Object.assign(raw.groups[0]!, edit)).groups[0]!;
const T = 1_000_000;
const timing = (over: Partial<DialogTiming>): DialogTiming => ({ phase: 'queued', fired: [], ...over });

describe('nextThreshold', () => {
  it('when offline and the visitor wrote, then the offline reply is due after the delay', () => {
    expect(nextThreshold(group(), timing({ phase: 'offline', firstVisitorMessageAt: T }), T)).to.deep.equal({
      key: 'offline-reply',
      kind: 'offline-reply',
      dueAt: T + 3000,
    });
  });

  it('when the offline reply already fired, then nothing more is due offline', () => {
    expect(
      nextThreshold(
        group(),
        timing({ phase: 'offline', firstVisitorMessageAt: T, fired: ['offline-reply'] }),
        T,
      ),
    ).to.equal(null);
  });

  it('when queued, then queue-wait steps fire in time order with stable keys and their action', () => {
    const g = group({
      thresholds: {
        secondaryTierAfterSeconds: 1000,
        queueWait: [
          { afterSeconds: 90, action: 'offer-contact' },
          { afterSeconds: 20, action: 'announce-position' },
        ],
      },
    });
    const first = nextThreshold(g, timing({ queuedAt: T }), T);
    expect(first).to.deep.equal({
      key: 'queue-wait:1',
      kind: 'queue-wait',
      dueAt: T + 20_000,
      action: 'announce-position',
    });
    const second = nextThreshold(g, timing({ queuedAt: T, fired: ['queue-wait:1'] }), T);
    expect(second).to.deep.equal({
      key: 'queue-wait:0',
      kind: 'queue-wait',
      dueAt: T + 90_000,
      action: 'offer-contact',
    });
  });

  it('when a queue-wait step overflows, then its kind is overflow', () => {
    const g = group({
      thresholds: { secondaryTierAfterSeconds: 1000, queueWait: [{ afterSeconds: 180, action: 'overflow' }] },
    });
    expect(nextThreshold(g, timing({ queuedAt: T }), T)).to.include({
      kind: 'overflow',
      key: 'queue-wait:0',
      action: 'overflow',
    });
  });

  it('when queued past the secondary-tier time, then widen is planned once', () => {
    const g = group({ thresholds: { secondaryTierAfterSeconds: 10, queueWait: [] } });
    expect(nextThreshold(g, timing({ queuedAt: T }), T)).to.deep.equal({
      key: 'widen',
      kind: 'widen',
      dueAt: T + 10_000,
    });
    expect(nextThreshold(g, timing({ queuedAt: T, fired: ['widen'] }), T)).to.equal(null);
  });

  it('when the visitor wrote last in an active dialog, then unanswered is due, keyed by that message', () => {
    const next = nextThreshold(
      group(),
      timing({ phase: 'active', lastVisitorMessageAt: T, lastOperatorMessageAt: T - 5 }),
      T,
    );
    expect(next).to.deep.equal({ key: `unanswered:${T}`, kind: 'unanswered', dueAt: T + 30_000 });
  });

  it('when the operator answered after the visitor, then nothing is due', () => {
    expect(
      nextThreshold(
        group(),
        timing({ phase: 'active', lastVisitorMessageAt: T, lastOperatorMessageAt: T + 1 }),
        T,
      ),
    ).to.equal(null);
  });

  it('when unanswered fired once and repeat is off, then it does not fire again for a later message', () => {
    const fired = [`unanswered:${T}`];
    expect(
      nextThreshold(group(), timing({ phase: 'active', lastVisitorMessageAt: T + 60_000, fired }), T),
    ).to.equal(null);
  });

  it('when unanswered repeat is on, then each new unanswered visitor message gets its own threshold', () => {
    const g = group({ thresholds: { unansweredRepeat: true } });
    const next = nextThreshold(
      g,
      timing({ phase: 'active', lastVisitorMessageAt: T + 60_000, fired: [`unanswered:${T}`] }),
      T,
    );
    expect(next?.key).to.equal(`unanswered:${T + 60_000}`);
  });

  it('when offer mode is on and an offer was made, then the offer timeout is planned', () => {
    const g = group({ offerMode: { enabled: true, timeoutSeconds: 15 } });
    const next = nextThreshold(g, timing({ phase: 'assigned', offeredAt: T, assignedAt: T }), T);
    expect(next).to.deep.equal({ key: `offer-timeout:${T}`, kind: 'offer-timeout', dueAt: T + 15_000 });
  });

  it('when offer mode is on but no offeredAt is given, then no offer timeout hides the unanswered threshold', () => {
    const g = group({ offerMode: { enabled: true } });
    const next = nextThreshold(g, timing({ phase: 'assigned', assignedAt: T, lastVisitorMessageAt: T }), T);
    expect(next?.kind).to.equal('unanswered');
  });

  it('when the threshold is overdue, then it is still returned (fire now)', () => {
    const next = nextThreshold(
      group(),
      timing({ phase: 'offline', firstVisitorMessageAt: T }),
      T + 3_600_000,
    );
    expect(next?.dueAt).to.be.lessThan(T + 3_600_000);
  });
});

describe('isQueueFull', () => {
  it('when maxQueueLength is set, then a queue of that length is full', () => {
    const g = group({ thresholds: { maxQueueLength: 2 } });
    expect(isQueueFull(g, 1)).to.equal(false);
    expect(isQueueFull(g, 2)).to.equal(true);
    expect(isQueueFull(group(), 10_000)).to.equal(false);
  });
});
