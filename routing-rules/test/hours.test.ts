import { expect } from 'chai';
import fc from 'fast-check';
import { type Group, isGroupOpen } from '../src/index';

type Hours = Pick<Group, 'timeZone' | 'workingHours' | 'holidays'>;

const office: Hours = {
  timeZone: 'Europe/Moscow',
  workingHours: {
    mon: [{ from: '09:00', to: '18:00' }],
    tue: [{ from: '09:00', to: '18:00' }],
    wed: [
      { from: '09:00', to: '13:00' },
      { from: '14:00', to: '18:00' },
    ],
    thu: [{ from: '09:00', to: '18:00' }],
    fri: [{ from: '09:00', to: '18:00' }],
  },
  holidays: ['2026-01-01'],
};

// 2026-03-02 is a Monday. Moscow = UTC+3 all year.
const utc = (iso: string) => new Date(iso);

describe('isGroupOpen', () => {
  it('when the local time is inside the weekday range, then it is open until the range ends', () => {
    const state = isGroupOpen(office, utc('2026-03-02T07:00:00Z')); // 10:00 Moscow
    expect(state.open).to.equal(true);
    expect(state.reason).to.match(/mon 09:00-18:00/);
    expect(state.nextChangeAt?.toISOString()).to.equal('2026-03-02T15:00:00.000Z'); // 18:00 Moscow
  });

  it('when it is before opening in the group zone although UTC says otherwise, then it is closed until opening', () => {
    const state = isGroupOpen(office, utc('2026-03-02T05:30:00Z')); // 08:30 Moscow
    expect(state.open).to.equal(false);
    expect(state.nextChangeAt?.toISOString()).to.equal('2026-03-02T06:00:00.000Z');
  });

  it('when the range ends exactly now, then it is closed (ranges are [from, to))', () => {
    expect(isGroupOpen(office, utc('2026-03-02T15:00:00Z')).open).to.equal(false);
    expect(isGroupOpen(office, utc('2026-03-02T14:59:59Z')).open).to.equal(true);
  });

  it('when it is the lunch break between two ranges, then it is closed until the second range', () => {
    const state = isGroupOpen(office, utc('2026-03-04T10:30:00Z')); // wed 13:30
    expect(state.open).to.equal(false);
    expect(state.nextChangeAt?.toISOString()).to.equal('2026-03-04T11:00:00.000Z');
  });

  it('when it is Friday evening, then the next change is Monday morning', () => {
    const state = isGroupOpen(office, utc('2026-03-06T16:00:00Z')); // fri 19:00
    expect(state.open).to.equal(false);
    expect(state.reason).to.match(/outside working hours/);
    expect(state.nextChangeAt?.toISOString()).to.equal('2026-03-09T06:00:00.000Z');
  });

  it('when the day is a holiday in the group zone, then it is closed all day', () => {
    const state = isGroupOpen(office, utc('2026-01-01T08:00:00Z')); // thu 11:00
    expect(state.open).to.equal(false);
    expect(state.reason).to.equal('closed: holiday 2026-01-01');
    expect(state.nextChangeAt?.toISOString()).to.equal('2026-01-02T06:00:00.000Z');
  });

  it('when UTC is still on the eve of a holiday but Moscow is past midnight, then the holiday applies', () => {
    const always: Hours = { timeZone: 'Europe/Moscow', holidays: ['2026-01-01'] };
    expect(isGroupOpen(always, utc('2025-12-31T21:30:00Z')).open).to.equal(false); // 00:30 Jan 1 Moscow
    const before = isGroupOpen(always, utc('2025-12-31T20:30:00Z'));
    expect(before.open).to.equal(true);
    expect(before.nextChangeAt?.toISOString()).to.equal('2025-12-31T21:00:00.000Z');
  });

  it('when there are no working hours and no holidays, then it is always open with no next change', () => {
    const state = isGroupOpen({ timeZone: 'UTC', holidays: [] }, utc('2026-03-02T03:00:00Z'));
    expect(state).to.deep.equal({ open: true, reason: 'open: no working hours set (always open)' });
  });

  it('when a span ends at 24:00 and continues at 00:00, then it is open across midnight and the change is the next morning', () => {
    const night: Hours = {
      timeZone: 'Asia/Tokyo',
      workingHours: { mon: [{ from: '20:00', to: '24:00' }], tue: [{ from: '00:00', to: '06:00' }] },
      holidays: [],
    };
    // Monday 23:00 Tokyo = 14:00 UTC (2026-03-02 is a Monday)
    const state = isGroupOpen(night, utc('2026-03-02T14:00:00Z'));
    expect(state.open).to.equal(true);
    expect(state.nextChangeAt?.toISOString()).to.equal('2026-03-02T21:00:00.000Z'); // Tue 06:00 Tokyo
    expect(isGroupOpen(night, utc('2026-03-02T16:00:00Z')).open).to.equal(true); // Tue 01:00 Tokyo
  });

  it('when a zone observes DST, then hours follow the local clock on both sides of the switch', () => {
    const ny: Hours = {
      timeZone: 'America/New_York',
      workingHours: { sun: [{ from: '09:00', to: '17:00' }] },
      holidays: [],
    };
    // 2026-03-01 (EST, UTC-5) and 2026-03-08 (DST starts, EDT, UTC-4) are Sundays
    expect(isGroupOpen(ny, utc('2026-03-01T14:00:00Z')).open).to.equal(true); // 09:00 EST
    expect(isGroupOpen(ny, utc('2026-03-08T13:00:00Z')).open).to.equal(true); // 09:00 EDT
    expect(isGroupOpen(ny, utc('2026-03-08T12:59:00Z')).open).to.equal(false);
    expect(isGroupOpen(ny, utc('2026-03-08T05:00:00Z')).nextChangeAt?.toISOString()).to.equal(
      '2026-03-08T13:00:00.000Z',
    );
  });

  it('when any instant is checked, then nextChangeAt is in the future and the state really flips there', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }), (at) => {
        const state = isGroupOpen(office, new Date(at));
        expect(state.nextChangeAt, 'office hours always change within 15 days').to.not.equal(undefined);
        const next = state.nextChangeAt!.getTime();
        expect(next).to.be.greaterThan(at);
        expect(isGroupOpen(office, new Date(next)).open).to.equal(!state.open);
        expect(isGroupOpen(office, new Date(next - 1)).open).to.equal(state.open);
      }),
      { numRuns: 300 },
    );
  });
});
