import { assertId, assertPriority, priorityOfScore } from './queue-score';
import type {
  Assignment,
  Offer,
  OperatorUpsert,
  QueuedDialog,
  RoutingSnapshot,
  TransferSource,
  TransferTarget,
} from './routing-store';
import { ErrorCode, routingStoreError } from './routing-store-error';

/**
 * What the memory and the Redis store do alike, written once so the two cannot drift apart: the
 * argument checks (run before any state is touched), the rebuild order, timer members, and the views
 * both build from the same records.
 */

export function assertOperatorIds(operator: Pick<OperatorUpsert, 'operatorId' | 'groups'>): void {
  assertId('operatorId', operator.operatorId);
  for (const g of operator.groups) assertId('groupId', g.groupId, true);
}

export function assertDialogIds(dialog: { dialogId: string; groupId: string }): void {
  assertId('dialogId', dialog.dialogId);
  assertId('groupId', dialog.groupId, true);
}

export function assertEnqueue(dialog: { dialogId: string; groupId: string; priority: number }): void {
  assertDialogIds(dialog);
  assertPriority(dialog.priority);
}

/** A transfer's ids and priority; a queue-to-queue move is not a transfer (that is a TRANSFER_TO_GROUP of a queued dialog). */
export function assertTransfer(from: TransferSource, to: TransferTarget): void {
  if (from.kind === 'operator') assertId('operatorId', from.operatorId);
  if (to.kind === 'operator') assertId('operatorId', to.operatorId);
  else {
    assertId('groupId', to.groupId, true);
    assertPriority(to.priority);
    if (from.kind === 'queue')
      throw routingStoreError(
        ErrorCode.InvalidArgument,
        'a queued dialog can only be transferred to an operator',
      );
  }
}

/** The queued part of a snapshot. */
export function assertSnapshotQueue(snapshot: RoutingSnapshot): void {
  for (const q of snapshot.queued) {
    assertId('dialogId', q.dialogId);
    assertPriority(q.priority);
  }
}

/**
 * The dialogs a rebuild queues again, in the order they get their sequence numbers (1, 2, …):
 * priority first, then age. Assigned dialogs and repeats of a dialog are left out.
 */
export function requeueOrder(snapshot: RoutingSnapshot): RoutingSnapshot['queued'] {
  const assigned = new Set(snapshot.assigned.map((a) => a.dialogId));
  const sorted = snapshot.queued
    .filter((q) => !assigned.has(q.dialogId))
    .sort((a, b) => b.priority - a.priority || a.enqueuedAt - b.enqueuedAt);
  const seen = new Set<string>();
  const out: RoutingSnapshot['queued'] = [];
  for (const q of sorted) {
    if (seen.has(q.dialogId)) continue;
    seen.add(q.dialogId);
    out.push(q);
  }
  return out;
}

export const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A timer's member in the timer sets: `dialogId|key`. */
export const timerMember = (dialogId: string, key: string) => `${dialogId}|${key}`;

/** Splits `dialogId|key` at the first bar: dialog ids have none, timer keys may. */
export function splitTimerMember(member: string): { dialogId: string; key: string } {
  const bar = member.indexOf('|');
  return { dialogId: member.slice(0, bar), key: member.slice(bar + 1) };
}

/** A queued dialog's record: its group, its queue score (priority and order) and when it was queued. */
export interface QueuedRecord {
  groupId: string;
  score: number;
  enqueuedAt: number;
}

export function queuedDialog(dialogId: string, q: QueuedRecord, position: number): QueuedDialog {
  return {
    dialogId,
    groupId: q.groupId,
    priority: priorityOfScore(q.score),
    enqueuedAt: q.enqueuedAt,
    position,
  };
}

/** A dialog held by an operator: assigned, or offered until `expiresAt`. */
export interface HeldRecord {
  operatorId: string;
  groupId: string;
  enqueuedAt: number;
  offered: boolean;
  expiresAt: number;
  /** The queue score it had, so a declined offer returns to its place. */
  score: number;
}

export function holderView(dialogId: string, h: HeldRecord): Assignment & { offered: boolean } {
  return {
    dialogId,
    operatorId: h.operatorId,
    groupId: h.groupId,
    enqueuedAt: h.enqueuedAt,
    offered: h.offered,
  };
}

export function offerView(dialogId: string, h: HeldRecord): Offer {
  return {
    dialogId,
    operatorId: h.operatorId,
    groupId: h.groupId,
    enqueuedAt: h.enqueuedAt,
    expiresAt: h.expiresAt,
  };
}
