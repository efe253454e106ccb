/**
 * Hot routing state: presence, loads, per-group queues, assignments, offers and durable timers.
 *
 * Two implementations pass one contract suite (engine/test/routing-store/contract.ts):
 * `RedisRoutingStore` (production, several nodes; every state change is one Lua script) and
 * `MemoryRoutingStore` (the embedded single-process default). Postgres stays the source of truth for
 * dialogs; everything here can be rebuilt from it with `rebuild()`.
 *
 * Invariants every implementation guarantees atomically:
 * - an operator's `load` (assigned dialogs + pending offers) never exceeds his `limit` through
 *   `assignHead`, `assignDialog`, `offerHead` or `transferDialog`;
 * - a dialog is held (assigned or offered) by at most one operator, and is in at most one queue;
 * - a dialog leaves a queue only by being assigned/offered or by an explicit `dequeue`.
 */

import type { Presence } from '@hotline/routing-rules';

export type { Presence };
export type Tier = 'primary' | 'secondary';

export interface OperatorRouting {
  operatorId: string;
  status: Presence;
  limit: number;
  /** Assigned dialogs plus pending offers. */
  load: number;
  /** Epoch ms of his last assignment, null when never assigned since the state was built. */
  lastAssignedAt: number | null;
  /** Epoch ms when he last went online, null while not online. */
  onlineSince: number | null;
  groups: { groupId: string; tier: Tier }[];
}

/** What an operator's self update shows of his routing state. */
export type OperatorLoad = Pick<OperatorRouting, 'operatorId' | 'status' | 'limit' | 'load'>;

export interface OperatorUpsert {
  operatorId: string;
  status: Presence;
  limit: number;
  groups: { groupId: string; tier: Tier }[];
}

export interface QueuedDialog {
  dialogId: string;
  groupId: string;
  priority: number;
  /** Epoch ms when it entered this queue. */
  enqueuedAt: number;
  /** 1-based position in the group's queue. */
  position: number;
}

export interface Assignment {
  dialogId: string;
  operatorId: string;
  groupId: string;
  /** Epoch ms the dialog had entered the queue (for time-in-queue metrics). */
  enqueuedAt: number;
}

/** What `holdNew` held: the assignment, and the holder's load as the hold left it. */
export interface HeldNew extends Assignment {
  holder: OperatorLoad;
}

export interface Offer extends Assignment {
  expiresAt: number;
}

export type AssignHeadResult =
  | { kind: 'assigned'; assignment: Assignment }
  /** Queue empty. */
  | { kind: 'empty' }
  /** Head exists but none of the ranked operators is still online, in the group and under his limit. */
  | { kind: 'no-capacity'; head: QueuedDialog };

/** What `enqueueAndAssign` did with an arriving dialog. */
export type ArrivalResult =
  | { kind: 'assigned'; assignment: Assignment }
  /** Queued (or already queued/held: the same answer `enqueue` gives). */
  | { kind: 'queued'; queued: QueuedDialog };

export type DirectAssignResult =
  | { kind: 'assigned'; assignment: Assignment }
  | { kind: 'rejected'; reason: 'operator-offline' | 'operator-at-limit' | 'already-held' | 'not-in-group' };

/** Why `transferDialog` refused; nothing moved. */
export type TransferRejection =
  /** The source operator does not hold the dialog as an assignment (gone, another's, only offered). */
  | 'not-held'
  /** A queue source, but the dialog is not queued (assigned or closed meanwhile). */
  | 'not-queued'
  /** The target operator already holds it (or, from a queue, someone does). */
  | 'already-held'
  | 'operator-offline'
  | 'operator-at-limit'
  | 'not-in-group';

/** Where `transferDialog` takes the dialog from. */
export type TransferSource =
  /** Assigned (not merely offered) to this operator. */
  | { kind: 'operator'; operatorId: string }
  /** Waiting in the queue of the dialog's group (a supervisor's assign). */
  | { kind: 'queue' };

/** Where `transferDialog` puts it. */
export type TransferTarget =
  /**
   * A named operator: online, below his limit, in the group unless `ignoreGroup`. `ignorePresence` is
   * for the reconciler's repair only (the holder Postgres names may be away or offline by now): his
   * presence is not checked, his limit still is.
   */
  | { kind: 'operator'; operatorId: string; ignoreGroup?: boolean; ignorePresence?: boolean }
  /** The back of a group's queue at its priority, entered now. Only from an operator. */
  | { kind: 'group'; groupId: string; priority: number };

export type TransferResult =
  | { kind: 'assigned'; assignment: Assignment }
  | { kind: 'queued'; queued: QueuedDialog }
  | { kind: 'rejected'; reason: TransferRejection };

export interface TimerEntry {
  dialogId: string;
  /** Stable key of the threshold ('offline-reply', 'unanswered:1700000000000', ...). */
  key: string;
  dueAt: number;
}

export interface ClaimedTimer extends TimerEntry {
  /** Must be passed back to `ackTimer`; a claim not acked before its lease expires is handed out again. */
  claimToken: string;
}

export interface RoutingSnapshot {
  operators: OperatorUpsert[];
  queued: { dialogId: string; groupId: string; priority: number; enqueuedAt: number }[];
  assigned: { dialogId: string; operatorId: string; groupId: string; enqueuedAt: number }[];
  timers: TimerEntry[];
  /** Operator assignment times, so longest-idle survives a rebuild. */
  lastAssignedAt?: Record<string, number>;
}

export interface RoutingStore {
  readonly kind: 'redis' | 'memory';
  /** Throws when the backend is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Creates or updates presence, limit and groups; keeps his current load. Lowering a limit never drops dialogs. */
  upsertOperator(operator: OperatorUpsert, now: number): Promise<void>;
  /** Throws `RoutingStoreError` `OperatorNotFound` when the operator was never upserted. */
  setPresence(operatorId: string, status: Presence, now: number): Promise<void>;
  getOperator(operatorId: string): Promise<OperatorRouting | null>;
  /** His status, limit and load only (his self update after a load change): a lighter `getOperator`. */
  operatorLoad(operatorId: string): Promise<OperatorLoad | null>;
  /** Operators in a group (any status), or all operators when groupId is omitted. */
  listOperators(groupId?: string): Promise<OperatorRouting[]>;
  /** How many of the group's operators are online (what routing a new dialog needs, without their rows). */
  countOnline(groupId: string): Promise<number>;
  /** Dialogs held (assigned or offered) by the operator. */
  operatorDialogs(operatorId: string): Promise<string[]>;
  /**
   * Where the store has every dialog, read in one round trip (not one per dialog or operator): the
   * reconciler's pass compares it with Postgres and re-reads a dialog only where they differ. Not
   * one atomic instant: a difference is always read again before anything is repaired.
   */
  overview(): Promise<StoreOverview>;

  /**
   * Idempotent: a dialog already queued (anywhere) or held keeps its place; returns its position.
   * A queued dialog keeps its group and priority (a second call cannot jump the queue); a held dialog
   * is returned with `position: 0` and its holder's group. Priority must be an integer 0..9 and ids
   * must not contain `|` (`RoutingStoreError` `InvalidArgument`).
   */
  enqueue(
    dialog: { dialogId: string; groupId: string; priority: number },
    now: number,
  ): Promise<QueuedDialog>;
  /**
   * The arrival path as one atomic step: `enqueue`, and when the new dialog would be the head of its
   * queue, assign it at once to the first of `rankedOperatorIds` who is online, in the group and below
   * his limit, exactly as `assignHead` would next. A dialog that was already queued or held, or that
   * has someone ahead of it, or that nobody ranked can take, ends as `enqueue` ends.
   */
  enqueueAndAssign(
    dialog: { dialogId: string; groupId: string; priority: number },
    rankedOperatorIds: string[],
    now: number,
  ): Promise<ArrivalResult>;
  /**
   * A new dialog, not stored yet, held at once (the one-commit start): when nobody waits ahead of it
   * in its group's queue (as `enqueueAndAssign` decides), it is held for the first of
   * `rankedOperatorIds` who is online, in the group and below his limit, WITHOUT a queue entry. Null
   * when it was not held (someone waits ahead, nobody ranked has room, the dialog is queued or held
   * already): nothing changed. The caller commits the dialog as assigned, or `release`s the hold (and
   * cancels its timers). In the same step, only when held: `timers` (the dialog's timers once held)
   * are scheduled, and the holder's load as the hold left it is answered (his self update).
   */
  holdNew(
    dialog: { dialogId: string; groupId: string; priority: number },
    rankedOperatorIds: string[],
    now: number,
    timers?: { key: string; dueAt: number }[],
  ): Promise<HeldNew | null>;
  /** Removes a dialog from whatever queue holds it; false when it was not queued. */
  dequeue(dialogId: string): Promise<boolean>;
  /** The dialog's place, or null when it is not queued. */
  position(dialogId: string): Promise<QueuedDialog | null>;
  /** A group's queue in order: all of it (positions broadcast, dashboard), or its first `limit` entries. */
  queue(groupId: string, limit?: number): Promise<QueuedDialog[]>;
  /**
   * A group's whole queue (as `queue(groupId)`) and its operators (as `listOperators(groupId)`), read
   * at one instant: one round trip where the two reads took two or three.
   */
  groupView(groupId: string): Promise<GroupView>;
  /** Groups that currently have a non-empty queue. */
  queuedGroups(): Promise<string[]>;
  /**
   * What a queue move changed for the waiting visitors, without reading the queue: its length, its
   * first `head` dialogs, and with their positions the dialogs that crossed one of `bounds` since the
   * read that gave `since` (those between each bound and where the dialog then at the bound is now),
   * those that entered since (a higher enqueue sequence), those asked for and those at `ranks`; and
   * the group's operators (as `listOperators(groupId)`), in the same instant. Work
   * grows with the head, the bounds and what changed, not with the queue's length. A dialog put back
   * at its old place (a requeue, a declined offer) counts as entered only when it lands in the head.
   */
  queueWindows(groupId: string, request: QueueWindowsRequest): Promise<QueueWindows>;

  /**
   * One atomic step: take the head of the group's queue and assign it to the first operator of
   * `rankedOperatorIds` that is online, in the group and below his limit.
   */
  assignHead(groupId: string, rankedOperatorIds: string[], now: number): Promise<AssignHeadResult>;
  /** Like assignHead for one offer: the head is held for the operator until `acceptOffer` or expiry. */
  offerHead(
    groupId: string,
    rankedOperatorIds: string[],
    now: number,
    timeoutMs: number,
  ): Promise<AssignHeadResult>;
  /** Converts a pending offer to an assignment; null when the offer is gone (expired at `now`, withdrawn, another operator's). */
  acceptOffer(dialogId: string, operatorId: string, now: number): Promise<Assignment | null>;
  /** Puts an offered dialog back at its old place in the queue and frees the operator's slot. */
  declineOffer(dialogId: string, operatorId: string): Promise<boolean>;
  /**
   * Offers one queued dialog of the group (the head or one behind it) to the first of
   * `rankedOperatorIds` who is online, in the group and below his limit. Unlike `offerHead` it does not
   * skip operators who declined: the ranking decides exclusions (they end with the round, or in time).
   * `not-queued` when the dialog no longer waits in that group's queue.
   */
  offerDialog(
    dialog: { dialogId: string; groupId: string },
    rankedOperatorIds: string[],
    now: number,
    timeoutMs: number,
  ): Promise<{ kind: 'offered'; offer: Offer } | { kind: 'not-queued' } | { kind: 'no-capacity' }>;
  /**
   * The operator is gone: a dialog he holds (assigned or offered) goes back to its group's queue at
   * its old place (the queue score it had, so priority and order are kept; a holding without one gets
   * the front of `priority`), and his slot is freed. False when he does not hold it.
   */
  requeueHeld(dialogId: string, operatorId: string, priority: number): Promise<boolean>;
  /** Offers whose time ran out (`expiresAt <= now`), oldest first (the caller declines them). */
  expiredOffers(now: number): Promise<Offer[]>;
  /**
   * Direct assignment (transfer to a named operator, lead pick-up): same checks, dialog must not be
   * held; a queued dialog leaves its queue in the same step. `ignorePresence` as in `transferDialog`.
   */
  assignDialog(
    dialog: { dialogId: string; groupId: string; enqueuedAt?: number },
    operatorId: string,
    now: number,
    options?: { ignoreGroup?: boolean; ignorePresence?: boolean },
  ): Promise<DirectAssignResult>;
  /**
   * One atomic move: the dialog leaves its source (an operator's slot, or its queue) only when the
   * target accepts it (operator online, below his limit, in the group unless `ignoreGroup`; or a
   * group's queue), so a refused transfer changes nothing and no load is ever counted twice or lost.
   * `dialog.groupId` is the group the assignment is recorded in (operator target) and, for a queue
   * source, the queue the caller expects it in (another group's queue is found and used).
   */
  transferDialog(
    dialog: { dialogId: string; groupId: string },
    from: TransferSource,
    to: TransferTarget,
    now: number,
  ): Promise<TransferResult>;
  /** The holder of a dialog (assigned or offered). */
  holder(dialogId: string): Promise<(Assignment & { offered: boolean }) | null>;
  /** Frees the operator's slot (withdrawing a pending offer); false when that operator did not hold the dialog. */
  release(dialogId: string, operatorId: string): Promise<boolean>;
  /**
   * `release`, answering what the holder's release is followed by, read at its instant: the
   * operator's load as it left him (pushed to him) and his groups whose queue has someone waiting (the
   * only ones an assignment run can serve). Null when that operator did not hold the dialog.
   */
  releaseHolder(dialogId: string, operatorId: string): Promise<ReleasedHolder | null>;

  /** Schedules (or moves) the timer dialogId+key. */
  scheduleTimer(timer: TimerEntry): Promise<void>;
  cancelTimer(dialogId: string, key: string): Promise<boolean>;
  /**
   * A transition's timer changes in one step: cancels the timers `cancel` names and schedules (or
   * moves) `schedule`'s, of one dialog. Returns how many were cancelled.
   */
  applyTimers(
    dialogId: string,
    cancel: string[],
    schedule: { key: string; dueAt: number }[],
  ): Promise<number>;
  /** Cancels every timer of a dialog (closed, deleted). */
  cancelDialogTimers(dialogId: string): Promise<number>;
  /**
   * Hands out due timers, each to one caller at a time, under a lease: a claim not acked within
   * `leaseMs` is handed out again (the claimer died), so a timer is never lost.
   */
  claimDueTimers(now: number, leaseMs: number, max: number): Promise<ClaimedTimer[]>;
  /**
   * The timer worker's poll in one step: `expiredOffers(now)` and `claimDueTimers(now, leaseMs, max)`
   * together (offers in no particular order).
   */
  pollDue(now: number, leaseMs: number, max: number): Promise<DuePoll>;
  /**
   * Removes a fired timer; false when the claim was lost: lease expired and re-claimed, or the timer
   * was rescheduled (the new schedule wins and stays) or cancelled meanwhile.
   */
  ackTimer(timer: ClaimedTimer): Promise<boolean>;
  listTimers(dialogId: string): Promise<TimerEntry[]>;

  /**
   * Records that the operator showed typing in the dialog at `at`, kept for `ttlMs`, so any node's
   * timer worker can see that he is at work on it. A mark older than the recorded one is ignored.
   */
  markTyping(dialogId: string, operatorId: string, at: number, ttlMs: number): Promise<void>;
  /** When the operator last showed typing in the dialog; null when never or the mark expired by `now`. */
  typingAt(dialogId: string, operatorId: string, now: number): Promise<number | null>;
  /**
   * Durable presence: the connection is alive until `aliveUntil` (renewed by the node holding it;
   * set to now when it closes). Survives the node: a node killed with SIGKILL simply stops renewing.
   */
  beatConnection(operatorId: string, connectionId: string, aliveUntil: number): Promise<void>;
  /** The latest alive-until among the operator's connections, null when none is recorded. */
  connectionsAliveUntil(operatorId: string): Promise<number | null>;
  /** Drops the operator's connection entries alive only until before `before`; returns how many. */
  forgetConnections(operatorId: string, before: number): Promise<number>;
  /** beatConnection for many connections in one step (a node renewing all it holds). */
  beatConnections(beats: { operatorId: string; connectionId: string; aliveUntil: number }[]): Promise<void>;
  /**
   * For each operator: `connectionsAliveUntil`, and when that is after `cutoff`, his entries alive
   * only until before `cutoff` are forgotten (an operator with nothing after it keeps his entries).
   */
  sweepConnections(operatorIds: string[], cutoff: number): Promise<Map<string, number | null>>;

  /** Replaces the whole routing state (after Redis lost its data, or at start). */
  rebuild(snapshot: RoutingSnapshot): Promise<void>;
  /**
   * A value that changes when the state was lost (e.g. Redis FLUSHALL/restart): the engine compares
   * it to detect that it must rebuild from Postgres. Null when no state has been built yet.
   */
  epoch(): Promise<string | null>;
}

/** Every dialog the store holds, queues or keeps timers for (see `RoutingStore.overview`). */
export interface StoreOverview {
  /** dialogId → its holder (assigned, or offered when `offered`). */
  holders: Map<string, { operatorId: string; offered: boolean }>;
  /** Dialogs waiting in a queue. */
  queued: Set<string>;
  /** dialogId → the keys of its timers, scheduled or claimed. */
  timerKeys: Map<string, Set<string>>;
}

/** What `releaseHolder` read in the release's own step. */
export interface ReleasedHolder {
  /** The operator's load after the release; null when the store does not know him (any more). */
  operator: OperatorLoad | null;
  /** His groups with a non-empty queue; a dialog queued after the release triggers its own run. */
  waitingGroups: string[];
}

/** What the timer worker finds due at one poll. */
export interface DuePoll {
  expiredOffers: Offer[];
  claimed: ClaimedTimer[];
}

/** A group's queue and operators at one instant. */
export interface GroupView {
  queue: QueuedDialog[];
  operators: OperatorRouting[];
}

/** Where a queue stood at one `queueWindows` read: the next read reports changes since. */
export interface QueueMarks {
  /** The routing state's epoch then: another one (a rebuild renumbers the queue) voids the marks. */
  epoch: string | null;
  /** The enqueue sequence then: dialogs with a higher one entered after. */
  seq: number;
  /** Per bound of the request, the score of the dialog at that position then; null: the queue was shorter. */
  scores: (number | null)[];
}

export interface QueueWindowsRequest {
  /** How many dialogs of the head to return, in order. */
  head: number;
  /** Positions, ascending, whose crossings are reported. */
  bounds: readonly number[];
  /** The marks of the previous read with the same bounds; null: none yet (no crossing, no entry reported). */
  since: QueueMarks | null;
  /** Dialogs whose positions are wanted as well (a visitor's socket joined). */
  dialogIds?: readonly string[];
  /** Positions `[from, to]` (1-based, inclusive) whose dialogs are wanted as well (the spread resync). */
  ranks?: [number, number];
}

export interface QueueWindows {
  length: number;
  /** The first `head` dialog ids, in order. */
  head: string[];
  /** Each reported dialog once, with its position now (head dialogs only when reported for another reason). */
  moved: { dialogId: string; position: number }[];
  /** For the next read. */
  marks: QueueMarks;
  operators: OperatorRouting[];
}
