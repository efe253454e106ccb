import type { Group } from './schema';

export type ThresholdKind =
  | 'offline-reply'
  | 'unanswered'
  | 'queue-wait'
  | 'overflow'
  | 'widen'
  | 'offer-timeout';
export type QueueWaitAction = 'announce-position' | 'offer-contact' | 'overflow' | 'widen';

export interface DialogTiming {
  phase: 'offline' | 'queued' | 'assigned' | 'active';
  firstVisitorMessageAt?: number | undefined;
  lastVisitorMessageAt?: number | undefined;
  lastOperatorMessageAt?: number | undefined;
  queuedAt?: number | undefined;
  assignedAt?: number | undefined;
  /** When the dialog last entered `offline` (a later offline period is answered again). */
  offlineSince?: number | undefined;
  /** When the current offer was made (offer mode). Without it no offer-timeout is planned. */
  offeredAt?: number | undefined;
  /** Keys of thresholds already fired in this dialog. */
  fired: string[];
}

export interface Threshold {
  /** Stable per dialog and config version; the engine stores it in `fired` once handled. */
  key: string;
  kind: ThresholdKind;
  /** Epoch ms; may be <= now, meaning "fire now". */
  dueAt: number;
  /** For queue-wait steps: what to do. */
  action?: QueueWaitAction;
}

/**
 * The earliest threshold of the dialog not yet fired, or null. Per phase:
 * - offline: `offline-reply` offlineReplyDelaySeconds after the first visitor message; a later offline
 *   period (`offlineSince`) gets `offline-reply:<offlineSince>` that long after its start;
 * - queued: each `thresholds.queueWait` step (`queue-wait:<index>`; kind `overflow`/`widen` for those
 *   actions, else `queue-wait`) and `widen` at secondaryTierAfterSeconds, counted from queuedAt;
 * - queued/assigned/active: `unanswered:<lastVisitorMessageAt>` unansweredSeconds after a visitor
 *   message no operator message followed; at most once per dialog unless unansweredRepeat;
 * - assigned with offer mode and `offeredAt`: `offer-timeout:<offeredAt>`.
 * Ties go to the smaller key. `now` is accepted for the contract's sake: overdue thresholds are returned,
 * not dropped, so a restarted timer store fires what it missed.
 */
export function nextThreshold(
  group: Pick<Group, 'thresholds' | 'offerMode'>,
  timing: DialogTiming,
  _now: number,
): Threshold | null {
  const { thresholds } = group;
  const fired = new Set(timing.fired);
  const candidates: Threshold[] = [];

  if (timing.phase === 'offline' && timing.firstVisitorMessageAt !== undefined) {
    const delay = thresholds.offlineReplyDelaySeconds * 1000;
    // A dialog that goes offline again (its queue lost every operator, a reopen) was last told
    // something else: that period gets its own reply, counted from its start.
    const again = fired.has('offline-reply') && timing.offlineSince !== undefined;
    candidates.push({
      key: again ? `offline-reply:${timing.offlineSince}` : 'offline-reply',
      kind: 'offline-reply',
      dueAt: again
        ? Math.max(timing.firstVisitorMessageAt, timing.offlineSince ?? 0) + delay
        : timing.firstVisitorMessageAt + delay,
    });
  }

  if (timing.phase === 'queued' && timing.queuedAt !== undefined) {
    const queuedAt = timing.queuedAt;
    thresholds.queueWait.forEach((step, index) => {
      const kind: ThresholdKind =
        step.action === 'overflow' || step.action === 'widen' ? step.action : 'queue-wait';
      candidates.push({
        key: `queue-wait:${index}`,
        kind,
        dueAt: queuedAt + step.afterSeconds * 1000,
        action: step.action,
      });
    });
    candidates.push({
      key: 'widen',
      kind: 'widen',
      dueAt: queuedAt + thresholds.secondaryTierAfterSeconds * 1000,
    });
  }

  const { lastVisitorMessageAt: visitorAt, lastOperatorMessageAt: operatorAt } = timing;
  if (
    timing.phase !== 'offline' &&
    visitorAt !== undefined &&
    (operatorAt === undefined || operatorAt < visitorAt)
  ) {
    const firedBefore = timing.fired.some((key) => key.startsWith('unanswered'));
    if (thresholds.unansweredRepeat || !firedBefore) {
      candidates.push({
        key: `unanswered:${visitorAt}`,
        kind: 'unanswered',
        dueAt: visitorAt + thresholds.unansweredSeconds * 1000,
      });
    }
  }

  if (timing.phase === 'assigned' && group.offerMode.enabled && timing.offeredAt !== undefined) {
    candidates.push({
      key: `offer-timeout:${timing.offeredAt}`,
      kind: 'offer-timeout',
      dueAt: timing.offeredAt + group.offerMode.timeoutSeconds * 1000,
    });
  }

  const pending = candidates.filter((c) => !fired.has(c.key));
  pending.sort((a, b) => a.dueAt - b.dueAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return pending[0] ?? null;
}

/** Whether a queue of `length` dialogs is full for the group (maxQueueLength; no maximum = never). */
export function isQueueFull(group: Pick<Group, 'thresholds'>, length: number): boolean {
  const max = group.thresholds.maxQueueLength;
  return max !== undefined && length >= max;
}
