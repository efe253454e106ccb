import { expect } from 'chai';
import fc from 'fast-check';
import { addDays, localTime, zonedInstant } from '../src/time';

/**
 * What the zone's clock shows, read another way than time.ts does (no cache, no formatToParts): the
 * reference the minute cache must always agree with. `sv-SE` writes `YYYY-MM-DD HH:MM:SS`.
 */
function intlLocal(instant: number, timeZone: string) {
  const at = new Date(instant);
  const [date = '', clock = ''] = at.toLocaleString('sv-SE', { timeZone, hourCycle: 'h23' }).split(' ');
  const [hours = 0, minutes = 0] = clock.split(':').map(Number);
  const weekday = at.toLocaleDateString('en-US', { timeZone, weekday: 'short' }).toLowerCase();
  return { date, weekday, minutes: hours * 60 + minutes };
}

// DST both ways, a half-hour switch (Lord Howe), a 45-minute zone, and Monrovia's -0:44:30 until
// 1972-01-07 (an offset with seconds, switched in the middle of a UTC minute).
const ZONES = 'Europe/Moscow America/New_York Australia/Lord_Howe Asia/Kathmandu Africa/Monrovia'.split(' ');

describe('localTime and zonedInstant (cached per zone and UTC minute)', () => {
  it('when instants fall around DST switches and odd offsets, then they agree with Intl to the minute', () => {
    const switches = [
      Date.UTC(2026, 2, 8, 7), // New York springs forward (07:00Z)
      Date.UTC(2026, 10, 1, 6), // and falls back
      Date.UTC(2026, 3, 4, 15), // Lord Howe: -30 min at 02:00 local
      Date.UTC(1972, 0, 7, 0, 44, 30), // Monrovia: -0:44:30 → 0:00
    ];
    const near = fc.tuple(
      fc.constantFrom(...switches),
      fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }),
    );
    fc.assert(
      fc.property(near, fc.constantFrom(...ZONES), ([at, delta], zone) => {
        const instant = at + delta;
        expect(localTime(instant, zone)).to.deep.equal(intlLocal(instant, zone));
        // The same minute asked twice (the second from the cache) answers the same.
        expect(localTime(instant, zone)).to.deep.equal(intlLocal(instant, zone));
      }),
      { numRuns: 2000 },
    );
  });

  it('when any wall time of a day is asked for, then the instant shows it on the zone clock (or lies after a gap)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 800 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        fc.constantFrom(...ZONES),
        (day, minutes, zone) => {
          const date = addDays('2025-10-01', day);
          const instant = zonedInstant(date, minutes, zone);
          const shown = intlLocal(instant, zone);
          if (shown.date === date && shown.minutes === minutes) return;
          // A DST gap: the wall time does not exist; the instant is just after it.
          expect(intlLocal(instant - 60 * 60_000, zone).minutes).to.be.lessThan(minutes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('when days are added across months, years and leap days, then the date is the calendar one', () => {
    expect(addDays('2028-02-28', 1)).to.equal('2028-02-29');
    expect(addDays('2026-12-31', 1)).to.equal('2027-01-01');
    expect(addDays('2026-03-01', -1)).to.equal('2026-02-28');
    expect(addDays('0999-12-31', 1)).to.equal('1000-01-01');
  });
});
