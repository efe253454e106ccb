import type { DialogSummary } from '@hotline/engine/protocol';

/** The unanswered threshold used when the group's own is unknown (operators cannot read the config). */
export const DEFAULT_UNANSWERED_SECONDS = 30;

export type UrgencyLevel = 'none' | 'calm' | 'warn' | 'late';

/** Seconds the visitor has been waiting for an answer, 0 when answered. */
export function waitingSeconds(waitingSince: string | null, now: number): number {
  if (!waitingSince) return 0;
  const since = Date.parse(waitingSince);
  return Number.isNaN(since) ? 0 : Math.max(0, Math.floor((now - since) / 1000));
}

/**
 * How close the wait is to the group's unanswered threshold: calm below 60 %, warn from 60 %, late
 * once it is reached. Colours in the list follow these levels.
 */
export function urgencyLevel(waited: number, thresholdSeconds: number, waiting: boolean): UrgencyLevel {
  if (!waiting) return 'none';
  const threshold = thresholdSeconds > 0 ? thresholdSeconds : DEFAULT_UNANSWERED_SECONDS;
  if (waited >= threshold) return 'late';
  if (waited >= threshold * 0.6) return 'warn';
  return 'calm';
}

export interface UrgencyInput {
  dialog: Pick<DialogSummary, 'id' | 'state' | 'waitingSince' | 'createdAt' | 'priority' | 'groupId'> & {
    lastMessage?: { createdAt: string } | null;
  };
  /** An offer's expiry: offers come first, soonest expiry first. */
  offerExpiresAt?: string | null;
}

/**
 * Orders dialogs by what needs the operator first: pending offers (soonest expiry first), then dialogs
 * whose visitor waits for an answer, by the share of the group's threshold already used (a visitor at
 * 25 s of 30 s beats one at 40 s of 120 s), then higher priority, then the rest by latest activity.
 */
export function sortByUrgency<T extends UrgencyInput>(
  items: T[],
  now: number,
  thresholdOf: (groupId: string | null) => number = () => DEFAULT_UNANSWERED_SECONDS,
): T[] {
  const score = (item: T) => {
    const waited = waitingSeconds(item.dialog.waitingSince, now);
    const threshold = thresholdOf(item.dialog.groupId) || DEFAULT_UNANSWERED_SECONDS;
    return item.dialog.waitingSince ? waited / threshold : -1;
  };
  const activity = (item: T) => Date.parse(item.dialog.lastMessage?.createdAt ?? item.dialog.createdAt) || 0;
  return [...items].sort((a, b) => {
    const offerA = a.offerExpiresAt ? Date.parse(a.offerExpiresAt) : null;
    const offerB = b.offerExpiresAt ? Date.parse(b.offerExpiresAt) : null;
    if (offerA !== null || offerB !== null) {
      if (offerA === null) return 1;
      if (offerB === null) return -1;
      if (offerA !== offerB) return offerA - offerB;
    }
    const byShare = score(b) - score(a);
    if (byShare !== 0) return byShare;
    if (a.dialog.priority !== b.dialog.priority) return b.dialog.priority - a.dialog.priority;
    const byActivity = activity(b) - activity(a);
    return byActivity !== 0 ? byActivity : a.dialog.id.localeCompare(b.dialog.id);
  });
}
