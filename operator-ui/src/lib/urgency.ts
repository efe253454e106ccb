import type { DialogSummary } from '@hotline/protocol';

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

/** In the last this-many seconds before a dialog is taken from him, the console warns loudly. */
export const REROUTE_WARNING_SECONDS = 10;

/**
 * The countdown before the unanswered threshold takes the dialog from its operator (the protocol's
 * `rerouteAt`): seconds left (0 once due) and how loudly to show it; null when nothing will take it.
 */
export function rerouteCountdown(
  rerouteAt: string | null | undefined,
  now: number,
): { secondsLeft: number; level: 'calm' | 'warn' } | null {
  if (!rerouteAt) return null;
  const due = Date.parse(rerouteAt);
  if (Number.isNaN(due)) return null;
  const secondsLeft = Math.max(0, Math.ceil((due - now) / 1000));
  return { secondsLeft, level: secondsLeft <= REROUTE_WARNING_SECONDS ? 'warn' : 'calm' };
}

/**
 * The notice shown when a dialog leaves the operator's list, naming it (`label`: the visitor) and
 * saying why in words he can act on.
 */
export function removedNotice(label: string, reason: string): string {
  switch (reason) {
    case 'threshold':
      return `${label}'s dialog went to another operator: the visitor waited too long for a reply.`;
    case 'offer_declined':
      return `The offer of ${label}'s dialog has expired.`;
    case 'transfer_to_group':
    case 'transferred':
      return `${label}'s dialog was transferred.`;
    case 'close':
      return `${label}'s dialog was closed.`;
    default:
      return `${label}'s dialog left your list (${reason.replace(/[-_]/g, ' ')}).`;
  }
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
