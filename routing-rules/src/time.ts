/** Wall-clock helpers shared by the schema, opening hours and time-of-day rules. Pure, Intl-based. */

import { type Weekday, WEEKDAYS } from './vocabulary';

export { type Weekday, WEEKDAYS };

const CLOCK = /^([01]\d|2[0-4]):([0-5]\d)$/;

/** Minutes since midnight of `HH:MM` (00:00..24:00), or null when malformed. */
export function parseClock(value: string): number | null {
  const match = CLOCK.exec(value);
  if (!match) return null;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes > 24 * 60 ? null : minutes;
}

const zoneCache = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = zoneCache.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    zoneCache.set(timeZone, found);
  }
  return found;
}

/** Whether Intl knows the IANA zone (`Europe/Moscow`). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Whether `YYYY-MM-DD` is a real calendar date. */
export function isValidDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export interface LocalTime {
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  weekday: Weekday;
  /** Minutes since local midnight. */
  minutes: number;
}

const WEEKDAY_BY_NAME: Record<string, Weekday> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

/** A zone's wall clock during one UTC minute, in which its offset is whole minutes and does not change. */
interface ZoneMinute extends LocalTime {
  /** Offset from UTC, ms (positive east of Greenwich). */
  offset: number;
}

/** The zone's wall clock at `instant` as Intl formats it (a few µs: the cost the cache below saves). */
function wallParts(instant: number, timeZone: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) parts[part.type] = part.value;
  return parts;
}

const asUtc = (parts: Record<string, string>) =>
  Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );

const toLocal = (parts: Record<string, string>): LocalTime => ({
  date: `${parts.year}-${parts.month}-${parts.day}`,
  weekday: WEEKDAY_BY_NAME[parts.weekday ?? ''] ?? 'mon',
  minutes: Number(parts.hour) * 60 + Number(parts.minute),
});

const MINUTE_MS = 60_000;
/** Bounded: the routing decisions ask about a few zones, at the current minute and a few boundaries ahead. */
const MINUTE_CACHE_LIMIT = 4096;
const minuteCache = new Map<string, Map<number, ZoneMinute | null>>();
let minuteCacheSize = 0;

/**
 * The zone's wall clock through the UTC minute of `instant` (epoch ≥ 0), or null when that minute
 * cannot be shared: an offset with seconds (old local mean times) or one that changes within it.
 * Routing asks for the same minutes over and over (opening hours at every routed dialog), and
 * formatToParts costs ~6 µs a call.
 */
function zoneMinute(instant: number, timeZone: string): ZoneMinute | null {
  if (!(instant >= 0)) return null;
  const start = instant - (instant % MINUTE_MS);
  let zone = minuteCache.get(timeZone);
  let found = zone?.get(start);
  if (found === undefined) {
    const first = wallParts(start, timeZone);
    const offset = asUtc(first) - start;
    const last = start + MINUTE_MS - 1000;
    const whole = offset % MINUTE_MS === 0 && asUtc(wallParts(last, timeZone)) - last === offset;
    found = whole ? { ...toLocal(first), offset } : null;
    if (minuteCacheSize >= MINUTE_CACHE_LIMIT) {
      minuteCache.clear();
      minuteCacheSize = 0;
    }
    zone = minuteCache.get(timeZone);
    if (!zone) {
      zone = new Map();
      minuteCache.set(timeZone, zone);
    }
    zone.set(start, found);
    minuteCacheSize++;
  }
  return found;
}

/** The wall-clock date, weekday and minute of an instant in a zone. */
export function localTime(instant: number, timeZone: string): LocalTime {
  const minute = zoneMinute(instant, timeZone);
  if (minute) return { date: minute.date, weekday: minute.weekday, minutes: minute.minutes };
  return toLocal(wallParts(instant, timeZone));
}

/** `YYYY-MM-DD` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + days));
  const year = next.getUTCFullYear();
  // toISOString is several times slower; it stays for years it writes with a sign (±YYYYYY).
  if (year < 0 || year > 9999) return next.toISOString().slice(0, 10);
  return `${String(year).padStart(4, '0')}-${pad2(next.getUTCMonth() + 1)}-${pad2(next.getUTCDate())}`;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). */
function zoneOffset(instant: number, timeZone: string): number {
  const minute = zoneMinute(instant, timeZone);
  if (minute) return minute.offset;
  return asUtc(wallParts(instant, timeZone)) - (instant - (instant % 1000));
}

/**
 * The instant at which the zone's wall clock shows `date` + `minutes`. In a DST gap the wall time
 * does not exist; the result is then the first instant after the gap.
 */
export function zonedInstant(date: string, minutes: number, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  let instant = wall - zoneOffset(wall, timeZone);
  instant = wall - zoneOffset(instant, timeZone);
  return instant;
}
