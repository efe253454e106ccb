import type { Group } from './schema';
import { addDays, localTime, parseClock, zonedInstant } from './time';

export interface OpenState {
  open: boolean;
  /** Human readable: `open: mon 09:00-18:00 (Europe/Moscow)`, `closed: holiday 2025-01-01`. */
  reason: string;
  /** The next instant the state flips, when one exists within the next 15 days. */
  nextChangeAt?: Date;
}

type Hours = Pick<Group, 'timeZone' | 'workingHours' | 'holidays'>;

function stateAt(group: Hours, instant: number): { open: boolean; reason: string } {
  const local = localTime(instant, group.timeZone);
  if (group.holidays.includes(local.date)) return { open: false, reason: `closed: holiday ${local.date}` };
  if (!group.workingHours) return { open: true, reason: 'open: no working hours set (always open)' };
  const ranges = group.workingHours[local.weekday] ?? [];
  const zone = `(${group.timeZone})`;
  for (const range of ranges) {
    const from = parseClock(range.from) ?? 0;
    const to = parseClock(range.to) ?? 0;
    if (from <= local.minutes && local.minutes < to) {
      return { open: true, reason: `open: ${local.weekday} ${range.from}-${range.to} ${zone}` };
    }
  }
  if (ranges.length === 0)
    return { open: false, reason: `closed: no working hours on ${local.weekday} ${zone}` };
  const spans = ranges.map((r) => `${r.from}-${r.to}`).join(', ');
  return { open: false, reason: `closed: outside working hours (${local.weekday} ${spans}) ${zone}` };
}

/**
 * Whether the group takes dialogs at `now`: its working hours in its own time zone (Intl), holidays
 * (whole local days) win over hours; no working hours = always open. A range ending at 24:00 that the
 * next day continues from 00:00 is one overnight span. `nextChangeAt` is the next flip of the state
 * (looked for within 15 days), absent when the state never changes.
 */
export function isGroupOpen(group: Hours, now: Date): OpenState {
  const at = now.getTime();
  const current = stateAt(group, at);
  if (!group.workingHours && group.holidays.length === 0) return current;
  const today = localTime(at, group.timeZone).date;
  // The same clock times every day (any weekday's range may start or end the state).
  const boundaries = new Set<number>([0]);
  for (const ranges of Object.values(group.workingHours ?? {})) {
    for (const range of ranges ?? []) {
      for (const clock of [range.from, range.to]) {
        const minutes = parseClock(clock);
        if (minutes !== null && minutes < 24 * 60) boundaries.add(minutes);
      }
    }
  }
  for (let day = 0; day <= 15; day++) {
    const date = addDays(today, day);
    const instants = [...boundaries].map((m) => zonedInstant(date, m, group.timeZone)).sort((a, b) => a - b);
    for (const instant of instants) {
      if (instant <= at) continue;
      if (stateAt(group, instant).open !== current.open)
        return { ...current, nextChangeAt: new Date(instant) };
    }
  }
  return current;
}
