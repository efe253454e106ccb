import { randomUUID } from 'node:crypto';
import { assertId, assertPriority, MAX_PRIORITY, PRIORITY_SPAN, queueScore } from './queue-score';
import type {
  QueueWindows,
  QueueWindowsRequest,
  OperatorLoad,
  ReleasedHolder,
  ArrivalResult,
  AssignHeadResult,
  Assignment,
  HeldNew,
  ClaimedTimer,
  DirectAssignResult,
  DuePoll,
  GroupView,
  Offer,
  OperatorRouting,
  OperatorUpsert,
  Presence,
  QueuedDialog,
  RoutingSnapshot,
  RoutingStore,
  StoreOverview,
  TimerEntry,
  TransferResult,
  TransferSource,
  TransferTarget,
} from './routing-store';
import { ErrorCode, routingStoreError } from './routing-store-error';
import {
  assertDialogIds,
  assertEnqueue,
  assertOperatorIds,
  assertSnapshotQueue,
  assertTransfer,
  compareStrings,
  type HeldRecord,
  holderView,
  offerView,
  type QueuedRecord,
  queuedDialog,
  requeueOrder,
  timerMember,
} from './store-common';

interface OperatorState {
  status: Presence;
  limit: number;
  lastAssignedAt: number | null;
  onlineSince: number | null;
  groups: OperatorUpsert['groups'];
}

interface ClaimState {
  entry: TimerEntry;
  token: string;
  leaseUntil: number;
}

type Eligibility = 'ok' | 'operator-offline' | 'operator-at-limit' | 'not-in-group';

/**
 * The embedded single-process store: plain Maps. Every method body runs synchronously before its
 * first await point, so each call is atomic within the process exactly like one Lua script in Redis.
 * Same semantics as `RedisRoutingStore` (both pass engine/test/routing-store/contract.ts).
 */
export class MemoryRoutingStore implements RoutingStore {
  readonly kind = 'memory' as const;

  private seq = 0;
  private currentEpoch: string | null = null;
  private readonly operators = new Map<string, OperatorState>();
  /** operatorId → dialogs held (assigned or offered); its size is the operator's load. */
  private readonly holdings = new Map<string, Set<string>>();
  /** groupId → dialog ids sorted by score (head first). */
  private readonly queues = new Map<string, string[]>();
  private readonly queued = new Map<string, QueuedRecord>();
  private readonly held = new Map<string, HeldRecord>();
  /** dialogId → operators who declined its current offer attempt. */
  private readonly declined = new Map<string, Set<string>>();
  private readonly timers = new Map<string, TimerEntry>();
  /** operatorId → connectionId → alive-until (durable presence). */
  private readonly heartbeats = new Map<string, Map<string, number>>();
  private readonly claims = new Map<string, ClaimState>();
  /** `dialogId|operatorId` → last typing mark and when it lapses. */
  private readonly typing = new Map<string, { at: number; expiresAt: number }>();

  async ping(): Promise<void> {}
  async close(): Promise<void> {}

  async upsertOperator(operator: OperatorUpsert, now: number): Promise<void> {
    this.upsert(operator, now);
  }

  private upsert(operator: OperatorUpsert, now: number): void {
    assertOperatorIds(operator);
    const previous = this.operators.get(operator.operatorId);
    this.operators.set(operator.operatorId, {
      status: operator.status,
      limit: operator.limit,
      lastAssignedAt: previous?.lastAssignedAt ?? null,
      onlineSince: this.onlineSince(previous, operator.status, now),
      groups: operator.groups.map((g) => ({ ...g })),
    });
  }

  async setPresence(operatorId: string, status: Presence, now: number): Promise<void> {
    const operator = this.operators.get(operatorId);
    if (!operator) throw routingStoreError(ErrorCode.OperatorNotFound, operatorId);
    operator.onlineSince = this.onlineSince(operator, status, now);
    operator.status = status;
  }

  async getOperator(operatorId: string): Promise<OperatorRouting | null> {
    return this.view(operatorId);
  }

  async operatorLoad(operatorId: string): Promise<OperatorLoad | null> {
    const view = this.view(operatorId);
    return view && loadOf(view);
  }

  async listOperators(groupId?: string): Promise<OperatorRouting[]> {
    const ids = [...this.operators.entries()]
      .filter(([, op]) => groupId === undefined || op.groups.some((g) => g.groupId === groupId))
      .map(([id]) => id)
      .sort();
    return ids.map((id) => this.view(id)).filter((op): op is OperatorRouting => op !== null);
  }

  async countOnline(groupId: string): Promise<number> {
    return [...this.operators.values()].filter(
      (op) => op.status === 'online' && op.groups.some((g) => g.groupId === groupId),
    ).length;
  }

  async overview(): Promise<StoreOverview> {
    const timerKeys = new Map<string, Set<string>>();
    for (const entry of [...this.timers.values(), ...[...this.claims.values()].map((c) => c.entry)]) {
      const keys = timerKeys.get(entry.dialogId) ?? new Set<string>();
      keys.add(entry.key);
      timerKeys.set(entry.dialogId, keys);
    }
    return {
      holders: new Map(
        [...this.held].map(([dialogId, h]) => [dialogId, { operatorId: h.operatorId, offered: h.offered }]),
      ),
      queued: new Set(this.queued.keys()),
      timerKeys,
    };
  }

  async operatorDialogs(operatorId: string): Promise<string[]> {
    return [...(this.holdings.get(operatorId) ?? [])].sort();
  }

  async enqueue(
    dialog: { dialogId: string; groupId: string; priority: number },
    now: number,
  ): Promise<QueuedDialog> {
    assertEnqueue(dialog);
    const existing = this.queuedView(dialog.dialogId);
    if (existing) return existing;
    const held = this.held.get(dialog.dialogId);
    if (held) return queuedDialog(dialog.dialogId, held, 0);
    this.seq += 1;
    this.insert(dialog.dialogId, {
      groupId: dialog.groupId,
      score: queueScore(dialog.priority, this.seq),
      enqueuedAt: now,
    });
    return this.queuedView(dialog.dialogId)!;
  }

  async enqueueAndAssign(
    dialog: { dialogId: string; groupId: string; priority: number },
    rankedOperatorIds: string[],
    now: number,
  ): Promise<ArrivalResult> {
    const arriving = !this.queued.has(dialog.dialogId) && !this.held.has(dialog.dialogId);
    const queued = await this.enqueue(dialog, now);
    if (arriving && queued.position === 1) {
      const taken = this.takeHead(dialog.groupId, rankedOperatorIds, now, null);
      if (taken.kind === 'assigned') return taken;
    }
    return { kind: 'queued', queued };
  }

  async holdNew(
    dialog: { dialogId: string; groupId: string; priority: number },
    rankedOperatorIds: string[],
    now: number,
    timers: { key: string; dueAt: number }[] = [],
  ): Promise<HeldNew | null> {
    assertEnqueue(dialog);
    const { dialogId, groupId } = dialog;
    if (this.queued.has(dialogId) || this.held.has(dialogId)) return null;
    const operatorId = rankedOperatorIds.find((id) => this.eligibility(id, groupId, false) === 'ok');
    if (operatorId === undefined) return null;
    const score = queueScore(dialog.priority, this.seq + 1);
    const head = this.queues.get(groupId)?.[0];
    if (head !== undefined && score >= this.queued.get(head)!.score) return null;
    this.seq += 1;
    this.hold(dialogId, { operatorId, groupId, enqueuedAt: now, offered: false, expiresAt: 0, score });
    this.operators.get(operatorId)!.lastAssignedAt = now;
    for (const timer of timers) this.schedule({ dialogId, ...timer });
    const holder = this.view(operatorId)!;
    return { dialogId, operatorId, groupId, enqueuedAt: now, holder: loadOf(holder) };
  }

  async dequeue(dialogId: string): Promise<boolean> {
    if (!this.queued.has(dialogId)) return false;
    this.removeFromQueue(dialogId);
    this.declined.delete(dialogId);
    return true;
  }

  async position(dialogId: string): Promise<QueuedDialog | null> {
    return this.queuedView(dialogId);
  }

  async queue(groupId: string, limit?: number): Promise<QueuedDialog[]> {
    return (this.queues.get(groupId) ?? [])
      .slice(0, limit)
      .map((dialogId, index) => queuedDialog(dialogId, this.queued.get(dialogId)!, index + 1));
  }

  async groupView(groupId: string): Promise<GroupView> {
    return { queue: await this.queue(groupId), operators: await this.listOperators(groupId) };
  }

  async queueWindows(groupId: string, request: QueueWindowsRequest): Promise<QueueWindows> {
    const queue = this.queues.get(groupId) ?? [];
    const scoreAt = (index: number) => this.queued.get(queue[index]!)!.score;
    /** How many dialogs have a score up to `score` (`exclusive`: below it): a binary search. */
    const countUpTo = (score: number, exclusive = false) => {
      let lo = 0;
      let hi = queue.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (exclusive ? scoreAt(mid) < score : scoreAt(mid) <= score) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const moved = new Map<string, number>();
    const report = (from: number, to: number) => {
      for (let i = Math.max(0, from); i < Math.min(to, queue.length); i++) moved.set(queue[i]!, i + 1);
    };
    const since = request.since?.epoch === this.currentEpoch ? request.since : null;
    if (since) {
      request.bounds.forEach((bound, i) => {
        const score = since.scores[i];
        const now = score === null || score === undefined ? queue.length : countUpTo(score);
        if (now < bound) report(now, bound);
        else report(bound, now);
      });
      for (let priority = 0; priority <= MAX_PRIORITY; priority++) {
        const base = (MAX_PRIORITY - priority) * PRIORITY_SPAN;
        report(countUpTo(base + since.seq), countUpTo(base + PRIORITY_SPAN, true));
      }
    }
    for (const dialogId of request.dialogIds ?? []) {
      const q = this.queued.get(dialogId);
      if (q?.groupId === groupId) moved.set(dialogId, countUpTo(q.score));
    }
    if (request.ranks) report(request.ranks[0] - 1, request.ranks[1]);
    return {
      length: queue.length,
      head: queue.slice(0, request.head),
      moved: [...moved].map(([dialogId, position]) => ({ dialogId, position })),
      marks: {
        epoch: this.currentEpoch,
        seq: this.seq,
        scores: request.bounds.map((bound) => (bound <= queue.length ? scoreAt(bound - 1) : null)),
      },
      operators: await this.listOperators(groupId),
    };
  }

  async queuedGroups(): Promise<string[]> {
    return [...this.queues.keys()].sort();
  }

  async assignHead(groupId: string, rankedOperatorIds: string[], now: number): Promise<AssignHeadResult> {
    return this.takeHead(groupId, rankedOperatorIds, now, null);
  }

  async offerHead(
    groupId: string,
    rankedOperatorIds: string[],
    now: number,
    timeoutMs: number,
  ): Promise<AssignHeadResult> {
    return this.takeHead(groupId, rankedOperatorIds, now, now + timeoutMs);
  }

  async acceptOffer(dialogId: string, operatorId: string, now: number): Promise<Assignment | null> {
    const held = this.held.get(dialogId);
    if (!held || held.operatorId !== operatorId || !held.offered || now >= held.expiresAt) return null;
    held.offered = false;
    held.expiresAt = 0;
    this.declined.delete(dialogId);
    const operator = this.operators.get(operatorId);
    if (operator) operator.lastAssignedAt = now;
    return { dialogId, operatorId, groupId: held.groupId, enqueuedAt: held.enqueuedAt };
  }

  async declineOffer(dialogId: string, operatorId: string): Promise<boolean> {
    const held = this.held.get(dialogId);
    if (!held || held.operatorId !== operatorId || !held.offered) return false;
    this.unhold(dialogId, held);
    this.insert(dialogId, { groupId: held.groupId, score: held.score, enqueuedAt: held.enqueuedAt });
    const declined = this.declined.get(dialogId) ?? new Set<string>();
    declined.add(operatorId);
    this.declined.set(dialogId, declined);
    return true;
  }

  async offerDialog(
    dialog: { dialogId: string; groupId: string },
    rankedOperatorIds: string[],
    now: number,
    timeoutMs: number,
  ): Promise<{ kind: 'offered'; offer: Offer } | { kind: 'not-queued' } | { kind: 'no-capacity' }> {
    assertDialogIds(dialog);
    const queued = this.queued.get(dialog.dialogId);
    if (!queued || queued.groupId !== dialog.groupId) return { kind: 'not-queued' };
    const operatorId = rankedOperatorIds.find((id) => this.eligibility(id, dialog.groupId, false) === 'ok');
    if (operatorId === undefined) return { kind: 'no-capacity' };
    const expiresAt = now + timeoutMs;
    this.removeFromQueue(dialog.dialogId);
    this.hold(dialog.dialogId, {
      operatorId,
      groupId: dialog.groupId,
      enqueuedAt: queued.enqueuedAt,
      offered: true,
      expiresAt,
      score: queued.score,
    });
    return { kind: 'offered', offer: { ...dialog, operatorId, enqueuedAt: queued.enqueuedAt, expiresAt } };
  }

  async requeueHeld(dialogId: string, operatorId: string, priority: number): Promise<boolean> {
    assertPriority(priority);
    const held = this.held.get(dialogId);
    if (!held || held.operatorId !== operatorId) return false;
    this.unhold(dialogId, held);
    this.declined.delete(dialogId);
    const score = held.score > 0 ? held.score : queueScore(priority, 0);
    this.insert(dialogId, { groupId: held.groupId, score, enqueuedAt: held.enqueuedAt });
    return true;
  }

  async expiredOffers(now: number): Promise<Offer[]> {
    return this.expiredOffersAt(now);
  }

  private expiredOffersAt(now: number): Offer[] {
    return [...this.held.entries()]
      .filter(([, h]) => h.offered && h.expiresAt <= now)
      .sort(([ia, a], [ib, b]) => a.expiresAt - b.expiresAt || compareStrings(ia, ib))
      .map(([dialogId, h]) => offerView(dialogId, h));
  }

  async assignDialog(
    dialog: { dialogId: string; groupId: string; enqueuedAt?: number },
    operatorId: string,
    now: number,
    options?: { ignoreGroup?: boolean; ignorePresence?: boolean },
  ): Promise<DirectAssignResult> {
    assertDialogIds(dialog);
    if (this.held.has(dialog.dialogId)) return { kind: 'rejected', reason: 'already-held' };
    const eligibility = this.eligibility(
      operatorId,
      dialog.groupId,
      options?.ignoreGroup === true,
      options?.ignorePresence === true,
    );
    if (eligibility !== 'ok') return { kind: 'rejected', reason: eligibility };
    const queued = this.queued.get(dialog.dialogId);
    const enqueuedAt = queued?.enqueuedAt ?? dialog.enqueuedAt ?? now;
    const score = queued?.score ?? 0;
    if (queued) this.removeFromQueue(dialog.dialogId);
    this.hold(dialog.dialogId, {
      operatorId,
      groupId: dialog.groupId,
      enqueuedAt,
      offered: false,
      expiresAt: 0,
      score,
    });
    this.operators.get(operatorId)!.lastAssignedAt = now;
    return {
      kind: 'assigned',
      assignment: { dialogId: dialog.dialogId, operatorId, groupId: dialog.groupId, enqueuedAt },
    };
  }

  async transferDialog(
    dialog: { dialogId: string; groupId: string },
    from: TransferSource,
    to: TransferTarget,
    now: number,
  ): Promise<TransferResult> {
    assertDialogIds(dialog);
    assertTransfer(from, to);
    const { dialogId } = dialog;
    const held = this.held.get(dialogId);
    const queued = this.queued.get(dialogId);
    let source: { enqueuedAt: number; score: number };
    if (from.kind === 'operator') {
      if (!held || held.operatorId !== from.operatorId || held.offered)
        return { kind: 'rejected', reason: 'not-held' };
      source = held;
    } else {
      if (held) return { kind: 'rejected', reason: 'already-held' };
      if (!queued) return { kind: 'rejected', reason: 'not-queued' };
      source = queued;
    }
    if (to.kind === 'operator') {
      if (from.kind === 'operator' && to.operatorId === from.operatorId)
        return { kind: 'rejected', reason: 'already-held' };
      const eligibility = this.eligibility(
        to.operatorId,
        dialog.groupId,
        to.ignoreGroup === true,
        to.ignorePresence === true,
      );
      if (eligibility !== 'ok') return { kind: 'rejected', reason: eligibility };
      if (held) this.unhold(dialogId, held);
      else this.removeFromQueue(dialogId);
      this.declined.delete(dialogId);
      const { enqueuedAt, score } = source;
      this.hold(dialogId, {
        operatorId: to.operatorId,
        groupId: dialog.groupId,
        enqueuedAt,
        offered: false,
        expiresAt: 0,
        score,
      });
      this.operators.get(to.operatorId)!.lastAssignedAt = now;
      return {
        kind: 'assigned',
        assignment: { dialogId, operatorId: to.operatorId, groupId: dialog.groupId, enqueuedAt },
      };
    }
    this.unhold(dialogId, held!);
    this.declined.delete(dialogId);
    this.seq += 1;
    this.insert(dialogId, { groupId: to.groupId, score: queueScore(to.priority, this.seq), enqueuedAt: now });
    return { kind: 'queued', queued: this.queuedView(dialogId)! };
  }

  async holder(dialogId: string): Promise<(Assignment & { offered: boolean }) | null> {
    const held = this.held.get(dialogId);
    return held ? holderView(dialogId, held) : null;
  }

  async release(dialogId: string, operatorId: string): Promise<boolean> {
    const held = this.held.get(dialogId);
    if (!held || held.operatorId !== operatorId) return false;
    this.unhold(dialogId, held);
    this.declined.delete(dialogId);
    return true;
  }

  async releaseHolder(dialogId: string, operatorId: string): Promise<ReleasedHolder | null> {
    if (!(await this.release(dialogId, operatorId))) return null;
    const view = this.view(operatorId);
    const waitingGroups = (view?.groups ?? [])
      .map((g) => g.groupId)
      .filter((groupId) => this.queues.has(groupId));
    return { operator: view && loadOf(view), waitingGroups };
  }

  async scheduleTimer(timer: TimerEntry): Promise<void> {
    this.schedule(timer);
  }

  private schedule(timer: TimerEntry): void {
    assertId('dialogId', timer.dialogId);
    const member = timerMember(timer.dialogId, timer.key);
    // A reschedule while claimed wins: the old claim is voided, so its ack cannot delete the new schedule.
    this.claims.delete(member);
    this.timers.set(member, { ...timer });
  }

  async cancelTimer(dialogId: string, key: string): Promise<boolean> {
    const member = timerMember(dialogId, key);
    const existed = this.timers.delete(member);
    return this.claims.delete(member) || existed;
  }

  async applyTimers(
    dialogId: string,
    cancel: string[],
    schedule: { key: string; dueAt: number }[],
  ): Promise<number> {
    assertId('dialogId', dialogId);
    let cancelled = 0;
    for (const key of cancel) if (await this.cancelTimer(dialogId, key)) cancelled += 1;
    for (const timer of schedule) this.schedule({ dialogId, ...timer });
    return cancelled;
  }

  async cancelDialogTimers(dialogId: string): Promise<number> {
    let count = 0;
    for (const [member, t] of this.timers)
      if (t.dialogId === dialogId && this.timers.delete(member)) count += 1;
    for (const [member, c] of this.claims)
      if (c.entry.dialogId === dialogId && this.claims.delete(member)) count += 1;
    return count;
  }

  async claimDueTimers(now: number, leaseMs: number, max: number): Promise<ClaimedTimer[]> {
    return this.claimDue(now, leaseMs, max);
  }

  async pollDue(now: number, leaseMs: number, max: number): Promise<DuePoll> {
    return { expiredOffers: this.expiredOffersAt(now), claimed: this.claimDue(now, leaseMs, max) };
  }

  private claimDue(now: number, leaseMs: number, max: number): ClaimedTimer[] {
    const claimed: ClaimedTimer[] = [];
    const lapsed = [...this.claims.entries()]
      .filter(([, c]) => c.leaseUntil <= now)
      .sort(([ma, a], [mb, b]) => a.leaseUntil - b.leaseUntil || compareStrings(ma, mb));
    for (const [member, claim] of lapsed) {
      if (claimed.length >= max) break;
      claim.token = randomUUID();
      claim.leaseUntil = now + leaseMs;
      this.claims.set(member, claim);
      claimed.push({ ...claim.entry, claimToken: claim.token });
    }
    const due = [...this.timers.entries()]
      .filter(([, t]) => t.dueAt <= now)
      .sort(([ma, a], [mb, b]) => a.dueAt - b.dueAt || compareStrings(ma, mb));
    for (const [member, entry] of due) {
      if (claimed.length >= max) break;
      this.timers.delete(member);
      const claim = { entry, token: randomUUID(), leaseUntil: now + leaseMs };
      this.claims.set(member, claim);
      claimed.push({ ...entry, claimToken: claim.token });
    }
    return claimed;
  }

  async ackTimer(timer: ClaimedTimer): Promise<boolean> {
    const member = timerMember(timer.dialogId, timer.key);
    if (this.claims.get(member)?.token !== timer.claimToken) return false;
    this.claims.delete(member);
    return true;
  }

  async listTimers(dialogId: string): Promise<TimerEntry[]> {
    const entries = [
      ...[...this.timers.values()].filter((t) => t.dialogId === dialogId),
      ...[...this.claims.values()].filter((c) => c.entry.dialogId === dialogId).map((c) => c.entry),
    ];
    return entries.map((t) => ({ ...t })).sort((a, b) => compareStrings(a.key, b.key));
  }

  async beatConnection(operatorId: string, connectionId: string, aliveUntil: number): Promise<void> {
    assertId('operatorId', operatorId);
    const connections = this.heartbeats.get(operatorId) ?? new Map<string, number>();
    connections.set(connectionId, aliveUntil);
    this.heartbeats.set(operatorId, connections);
  }

  async beatConnections(
    beats: { operatorId: string; connectionId: string; aliveUntil: number }[],
  ): Promise<void> {
    for (const beat of beats) assertId('operatorId', beat.operatorId);
    for (const { operatorId, connectionId, aliveUntil } of beats) {
      const connections = this.heartbeats.get(operatorId) ?? new Map<string, number>();
      connections.set(connectionId, aliveUntil);
      this.heartbeats.set(operatorId, connections);
    }
  }

  async connectionsAliveUntil(operatorId: string): Promise<number | null> {
    return this.aliveUntil(operatorId);
  }

  private aliveUntil(operatorId: string): number | null {
    const connections = [...(this.heartbeats.get(operatorId)?.values() ?? [])];
    return connections.length === 0 ? null : Math.max(...connections);
  }

  async sweepConnections(operatorIds: string[], cutoff: number): Promise<Map<string, number | null>> {
    const latest = new Map<string, number | null>();
    for (const operatorId of operatorIds) {
      const until = this.aliveUntil(operatorId);
      latest.set(operatorId, until);
      const connections = this.heartbeats.get(operatorId);
      if (until === null || until <= cutoff || !connections) continue;
      for (const [id, at] of connections) if (at < cutoff) connections.delete(id);
    }
    return latest;
  }

  async forgetConnections(operatorId: string, before: number): Promise<number> {
    const connections = this.heartbeats.get(operatorId);
    if (!connections) return 0;
    let removed = 0;
    for (const [id, until] of connections) {
      if (until < before) {
        connections.delete(id);
        removed += 1;
      }
    }
    if (connections.size === 0) this.heartbeats.delete(operatorId);
    return removed;
  }

  async rebuild(snapshot: RoutingSnapshot): Promise<void> {
    assertSnapshotQueue(snapshot);
    const now = Date.now();
    this.seq = 0;
    for (const map of [
      this.operators,
      this.holdings,
      this.queues,
      this.queued,
      this.held,
      this.declined,
      this.heartbeats,
    ])
      map.clear();
    this.timers.clear();
    this.claims.clear();
    for (const op of snapshot.operators) this.upsert(op, now);
    for (const [operatorId, at] of Object.entries(snapshot.lastAssignedAt ?? {})) {
      const op = this.operators.get(operatorId);
      if (op) op.lastAssignedAt = at;
    }
    for (const q of requeueOrder(snapshot)) {
      this.seq += 1;
      this.insert(q.dialogId, {
        groupId: q.groupId,
        score: queueScore(q.priority, this.seq),
        enqueuedAt: q.enqueuedAt,
      });
    }
    for (const a of snapshot.assigned)
      this.hold(a.dialogId, { ...a, offered: false, expiresAt: 0, score: 0 });
    for (const t of snapshot.timers) this.schedule(t);
    this.currentEpoch = randomUUID();
  }

  async markTyping(dialogId: string, operatorId: string, at: number, ttlMs: number): Promise<void> {
    const key = `${dialogId}|${operatorId}`;
    // Expired marks are dropped now and then, so the map stays as small as Redis's expiring keys.
    if (this.typing.size > 1000)
      for (const [k, m] of this.typing) if (m.expiresAt <= at) this.typing.delete(k);
    const current = this.typing.get(key);
    if (current && current.expiresAt > at && current.at >= at) return;
    this.typing.set(key, { at, expiresAt: at + Math.max(1, ttlMs) });
  }

  async typingAt(dialogId: string, operatorId: string, now: number): Promise<number | null> {
    const mark = this.typing.get(`${dialogId}|${operatorId}`);
    return mark && mark.expiresAt > now ? mark.at : null;
  }

  async epoch(): Promise<string | null> {
    return this.currentEpoch;
  }

  private takeHead(
    groupId: string,
    rankedOperatorIds: string[],
    now: number,
    offerExpiresAt: number | null,
  ): AssignHeadResult {
    const head = this.queues.get(groupId)?.[0];
    if (head === undefined) return { kind: 'empty' };
    const queued = this.queued.get(head)!;
    const declined = offerExpiresAt === null ? undefined : this.declined.get(head);
    const operatorId = rankedOperatorIds.find(
      (id) => !declined?.has(id) && this.eligibility(id, groupId, false) === 'ok',
    );
    if (operatorId === undefined) return { kind: 'no-capacity', head: this.queuedView(head)! };
    this.removeFromQueue(head);
    const offered = offerExpiresAt !== null;
    this.hold(head, {
      operatorId,
      groupId,
      enqueuedAt: queued.enqueuedAt,
      offered,
      expiresAt: offerExpiresAt ?? 0,
      score: queued.score,
    });
    if (!offered) {
      this.declined.delete(head);
      this.operators.get(operatorId)!.lastAssignedAt = now;
    }
    return {
      kind: 'assigned',
      assignment: { dialogId: head, operatorId, groupId, enqueuedAt: queued.enqueuedAt },
    };
  }

  private eligibility(
    operatorId: string,
    groupId: string,
    ignoreGroup: boolean,
    ignorePresence = false,
  ): Eligibility {
    const op = this.operators.get(operatorId);
    // ignorePresence (the reconciler's repair): away/offline pass, an unknown operator never.
    if (!op || (op.status !== 'online' && !ignorePresence)) return 'operator-offline';
    if (!ignoreGroup && !op.groups.some((g) => g.groupId === groupId)) return 'not-in-group';
    if ((this.holdings.get(operatorId)?.size ?? 0) >= op.limit) return 'operator-at-limit';
    return 'ok';
  }

  private onlineSince(previous: OperatorState | undefined, status: Presence, now: number): number | null {
    if (status !== 'online') return null;
    return previous?.status === 'online' ? previous.onlineSince : now;
  }

  private view(operatorId: string): OperatorRouting | null {
    const op = this.operators.get(operatorId);
    if (!op) return null;
    return {
      operatorId,
      status: op.status,
      limit: op.limit,
      load: this.holdings.get(operatorId)?.size ?? 0,
      lastAssignedAt: op.lastAssignedAt,
      onlineSince: op.onlineSince,
      groups: op.groups.map((g) => ({ ...g })),
    };
  }

  private queuedView(dialogId: string): QueuedDialog | null {
    const q = this.queued.get(dialogId);
    if (!q) return null;
    return queuedDialog(dialogId, q, (this.queues.get(q.groupId)?.indexOf(dialogId) ?? -1) + 1);
  }

  private insert(dialogId: string, state: QueuedRecord): void {
    const queue = this.queues.get(state.groupId) ?? [];
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queued.get(queue[mid]!)!.score < state.score) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, dialogId);
    this.queues.set(state.groupId, queue);
    this.queued.set(dialogId, state);
  }

  private removeFromQueue(dialogId: string): void {
    const q = this.queued.get(dialogId);
    if (!q) return;
    this.queued.delete(dialogId);
    const queue = this.queues.get(q.groupId) ?? [];
    const index = queue.indexOf(dialogId);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) this.queues.delete(q.groupId);
  }

  private hold(dialogId: string, state: HeldRecord): void {
    this.held.set(dialogId, state);
    const set = this.holdings.get(state.operatorId) ?? new Set<string>();
    set.add(dialogId);
    this.holdings.set(state.operatorId, set);
  }

  private unhold(dialogId: string, state: HeldRecord): void {
    this.held.delete(dialogId);
    const set = this.holdings.get(state.operatorId);
    set?.delete(dialogId);
    if (set?.size === 0) this.holdings.delete(state.operatorId);
  }
}

/** What `operatorLoad` answers of an operator's view. */
function loadOf({ operatorId, status, limit, load }: OperatorRouting): OperatorLoad {
  return { operatorId, status, limit, load };
}
