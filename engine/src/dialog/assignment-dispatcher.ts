import type { OperatorDirectory } from '../accounts/operator-directory';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type {
  Assignment,
  HeldNew,
  OperatorLoad,
  OperatorRouting,
  QueuedDialog,
  RoutingStore,
} from '../routing-store/routing-store';

/** How far behind a head nobody can take the dispatcher looks for a dialog someone can. */
const BEHIND_HEAD_SCAN = 50;
import type { DialogRepository, Dialog } from '../storage/dialog-repository';
import type { DialogDetail } from '@hotline/protocol';
import type { DialogChange } from './dialog-change';
import type { DialogContext } from './dialog-machine';
import type { DialogService, GroupOperators, HoldAttempt } from './dialog-service';
import { parseSnapshot } from './dialog-snapshot';

export interface AssignmentListener {
  onAssigned(assignment: {
    /** The dialog's whole detail, as the assignment's change read it. */
    detail: DialogDetail;
    operatorId: string;
    groupId: string;
    offered: boolean;
    expiresAt?: number;
    /** His load as the step that gave him the dialog answered it, when it did (else read). */
    holder?: OperatorLoad;
  }): void;
  onQueueChanged(groupId: string): void;
}

/**
 * Moves queued dialogs to operators whenever capacity may have appeared (event-driven, no polling):
 * routing-rules ranks the group's operators, one atomic store script takes the head and gives it to
 * the first ranked operator still eligible, then the dialog machine records the assignment.
 * Runs per group are coalesced: a trigger during a run schedules exactly one more run.
 */
export class AssignmentDispatcher {
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private stopped = false;

  constructor(
    private readonly deps: {
      store: RoutingStore;
      repo: DialogRepository;
      dialogs: DialogService;
      decisions: () => RoutingDecisions;
      directory: OperatorDirectory;
      metrics: Metrics;
      logger: Logger;
      clock: () => number;
      /** Who hears of assignments and queue moves (the realtime layer subscribes there). */
      listener: AssignmentListener;
    },
  ) {}

  stop() {
    this.stopped = true;
  }

  /** An assignment made outside the queue run (a supervisor's): announced as a queue assignment is. */
  announce(change: DialogChange | null, assignment: { operatorId: string; groupId: string }) {
    this.announceChange(change, { ...assignment, offered: false });
  }

  /** Tells the listener of an assignment its change recorded, with the detail the change carries. */
  private announceChange(
    change: DialogChange | null,
    assignment: Omit<Parameters<AssignmentListener['onAssigned']>[0], 'detail'>,
  ) {
    const detail = change?.views.detail;
    // A change that hands a dialog over always reads its detail (handsOver); none is a bug.
    if (!detail) {
      this.deps.logger.error({ dialogId: change?.dialogId }, 'an assignment without its detail');
      return;
    }
    this.deps.listener.onAssigned({ ...assignment, detail });
  }

  trigger(groupId: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const current = this.running.get(groupId);
    if (current) {
      this.rerun.add(groupId);
      return current;
    }
    const run = (async () => {
      try {
        do {
          this.rerun.delete(groupId);
          await this.drain(groupId);
        } while (this.rerun.has(groupId) && !this.stopped);
      } catch (error) {
        this.deps.logger.error({ err: error, groupId }, 'assignment run failed');
      } finally {
        this.running.delete(groupId);
        this.deps.listener.onQueueChanged(groupId);
      }
    })();
    this.running.set(groupId, run);
    return run;
  }

  triggerAll(): Promise<void> {
    return Promise.all(
      this.deps
        .decisions()
        .groupIds()
        .map((g) => this.trigger(g)),
    ).then(() => undefined);
  }

  /** Waits for every run in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /**
   * A dialog enters its group's queue. In a group without offers it is ranked and, when nobody waits
   * ahead and a ranked operator has room, assigned in the same atomic step (one script instead of an
   * enqueue and a later assignHead); the machine then records the assignment once the caller's lock is
   * released. Anything else waits in the queue for `trigger`. `ranked`: the ranking a failed hold of
   * this dialog just made (`holdNew`), used instead of reading and ranking again: the assignment run
   * that follows every arrival reads afresh.
   */
  async arrive(dialog: DialogContext, locale: string | null, row?: Dialog, ranked?: string[]) {
    const { store, decisions, clock } = this.deps;
    const rules = decisions();
    const { dialogId, groupId, priority } = dialog;
    if (this.stopped || !rules.hasGroup(groupId) || rules.offerTimeoutMs(groupId) !== null) {
      await store.enqueue({ dialogId, groupId, priority }, clock());
      return;
    }
    const now = clock();
    const ranking =
      ranked ??
      (await this.rank(rules, await store.listOperators(groupId), { context: dialog, locale }, 0, now));
    const result = await store.enqueueAndAssign({ dialogId, groupId, priority }, ranking, now);
    if (result.kind !== 'assigned') return;
    // Not awaited: the caller holds this dialog's lock, which recording the assignment needs.
    void this.record(result.assignment, now, null, row).catch((error) =>
      this.deps.logger.error({ err: error, dialogId }, 'recording an assignment on arrival failed'),
    );
  }

  /**
   * The one-commit start (DialogService.create): a new dialog of a group without offers is ranked as
   * `arrive` ranks it and, when nobody waits ahead and a ranked operator has room, held for him in one
   * atomic script before it is stored, without a queue entry. Not held: it goes the queue way
   * (`arrive`), with the ranking made here. `read`: the group's operators as the caller just read them
   * (the start's route), used when they are of this dialog's group. `timers`: scheduled by the hold's
   * own step, only when held.
   */
  async holdNew(
    dialog: DialogContext,
    locale: string | null,
    read?: GroupOperators,
    timers?: { key: string; dueAt: number }[],
  ): Promise<HoldAttempt> {
    const { store, decisions, clock } = this.deps;
    const rules = decisions();
    const { dialogId, groupId, priority } = dialog;
    if (this.stopped || !rules.hasGroup(groupId) || rules.offerTimeoutMs(groupId) !== null)
      return { held: null, ranked: null };
    const now = clock();
    const operators = read?.groupId === groupId ? read.operators : await store.listOperators(groupId);
    // Nobody with room: the ranking would be empty (eligible operators have room).
    if (!operators.some((o) => o.status === 'online' && o.load < o.limit)) return { held: null, ranked: [] };
    const ranked = await this.rank(rules, operators, { context: dialog, locale }, 0, now);
    if (ranked.length === 0) return { held: null, ranked };
    const held = await store.holdNew({ dialogId, groupId, priority }, ranked, now, timers);
    return held ? { held } : { held: null, ranked };
  }

  /**
   * A new dialog stored assigned after `holdNew`: counted as `record` counts, and announced with the
   * holder's load as the hold answered it (not read again).
   */
  assignedNew(change: DialogChange, held: HeldNew) {
    const { metrics } = this.deps;
    metrics.assignments.inc({ group: held.groupId });
    metrics.queueWait.observe({ group: held.groupId }, 0);
    this.announceChange(change, {
      operatorId: held.operatorId,
      groupId: held.groupId,
      offered: false,
      holder: held.holder,
    });
  }

  private async drain(groupId: string) {
    const { store, decisions, clock } = this.deps;
    const rules = decisions();
    if (!rules.hasGroup(groupId)) return;
    const offerTimeoutMs = rules.offerTimeoutMs(groupId);
    for (let guard = 0; guard < 10_000 && !this.stopped; guard++) {
      if (offerTimeoutMs !== null) {
        if (await this.offerFirstTakeable(rules, groupId, offerTimeoutMs)) continue;
        return;
      }
      const [head] = await store.queue(groupId, 1);
      if (!head) return;
      const waiting = await this.load(head);
      if (!waiting) continue;
      const now = clock();
      const operators = await store.listOperators(groupId);
      const ranked = await this.rank(rules, operators, waiting, now - head.enqueuedAt, now);
      if (ranked.length === 0) {
        // Nobody may take the head. When that is not for lack of room (a call back while only
        // operators who take no calls have room), serve those behind it rather than hold the whole queue.
        const room =
          rules.rankOperators(
            groupId,
            operators,
            { waitedMs: now - head.enqueuedAt, widened: waiting.context.widened, excludedOperatorIds: [] },
            now,
          ).length > 0;
        if (room && (await this.serveBehindHead(rules, groupId, operators))) continue;
        return;
      }
      const result = await store.assignHead(groupId, ranked, now);
      if (result.kind !== 'assigned') return;
      await this.record(result.assignment, now, null);
    }
  }

  /**
   * Offer mode: offers the first of the head and the next BEHIND_HEAD_SCAN waiting that a ranked
   * operator may take (a head everyone declined, or that only busy operators may take, does not hold
   * those behind it). Exclusions are the ranking's: they end with the round or after the group's
   * exclusionSeconds. A dialog offered only to operators who declined it before (the round is over)
   * comes after the others, so a decliner is not handed the same dialog back while other work waits.
   * False when nothing could be offered.
   */
  private async offerFirstTakeable(rules: RoutingDecisions, groupId: string, offerTimeoutMs: number) {
    const { store, clock } = this.deps;
    const entries = await store.queue(groupId, 1 + BEHIND_HEAD_SCAN);
    if (entries.length === 0) return false;
    const operators = await store.listOperators(groupId);
    if (!operators.some((o) => o.status === 'online' && o.load < o.limit)) return false;
    const again: { entry: QueuedDialog; ranked: string[] }[] = [];
    const offer = async (entry: QueuedDialog, ranked: string[]) => {
      const now = clock();
      const result = await store.offerDialog(entry, ranked, now, offerTimeoutMs);
      if (result.kind !== 'offered') return false;
      await this.record(result.offer, now, offerTimeoutMs);
      return true;
    };
    for (const entry of entries) {
      const loaded = await this.load(entry);
      if (!loaded) continue;
      const now = clock();
      const waiting = asIfDeclined(loaded, now);
      const ranked = await this.rank(rules, operators, waiting, now - entry.enqueuedAt, now);
      if (ranked.length === 0) continue;
      if (ranked.every((id) => waiting.context.excludedOperatorIds.includes(id))) {
        again.push({ entry, ranked });
        continue;
      }
      if (await offer(entry, ranked)) return true;
    }
    for (const { entry, ranked } of again) if (await offer(entry, ranked)) return true;
    return false;
  }

  /**
   * Assigns the first dialog among the next BEHIND_HEAD_SCAN waiting that a ranked operator can take,
   * each attempt one atomic direct assignment (still queued, operator online, in the group, below his
   * limit). False when none could be served.
   */
  private async serveBehindHead(
    rules: RoutingDecisions,
    groupId: string,
    operators: OperatorRouting[],
  ): Promise<boolean> {
    const { store, clock } = this.deps;
    for (const entry of (await store.queue(groupId, 1 + BEHIND_HEAD_SCAN)).slice(1)) {
      const waiting = await this.load(entry);
      if (!waiting) continue;
      const now = clock();
      for (const operatorId of await this.rank(rules, operators, waiting, now - entry.enqueuedAt, now)) {
        const result = await store.assignDialog(
          { dialogId: entry.dialogId, groupId, enqueuedAt: entry.enqueuedAt },
          operatorId,
          now,
        );
        if (result.kind === 'assigned') {
          await this.record(result.assignment, now, null);
          return true;
        }
        // Held meanwhile (another node served it): go on with the next dialog.
        if (result.reason === 'already-held') break;
      }
    }
    return false;
  }

  /**
   * Read-only: the operators who may take this dialog now, best first, ranked exactly as an assignment
   * would rank them (routing-rules decides). `also` excludes more operators (e.g. the holder);
   * `anyTier` counts secondary-tier members as if the dialog had widened. Nothing is taken or changed.
   */
  async eligibleOperators(
    context: DialogContext,
    locale: string | null,
    options: { also?: string[]; anyTier?: boolean } = {},
  ): Promise<string[]> {
    const { store, decisions, clock } = this.deps;
    const rules = decisions();
    if (!rules.hasGroup(context.groupId)) return [];
    const now = clock();
    const operators = await store.listOperators(context.groupId);
    const dialog = {
      ...context,
      widened: context.widened || options.anyTier === true,
      excludedOperatorIds: [...context.excludedOperatorIds, ...(options.also ?? [])],
    };
    return this.rank(rules, operators, { context: dialog, locale }, now - (context.queuedAt ?? now), now);
  }

  /** The queued dialog's context and language; a queue entry without a dialog is dropped (null). */
  private async load(entry: QueuedDialog) {
    const row = await this.deps.repo.findDialog(entry.dialogId);
    if (!row) {
      // A queue entry without a dialog cannot be served; drop it rather than block the queue.
      await this.deps.store.dequeue(entry.dialogId);
      return null;
    }
    return { context: parseSnapshot(row.snapshot).context, locale: row.locale, state: row.state };
  }

  /** Of the group's `operators`, those who may take this dialog now, best first (routing-rules decides). */
  private async rank(
    rules: RoutingDecisions,
    operators: OperatorRouting[],
    dialog: { context: DialogContext; locale: string | null },
    waitedMs: number,
    now: number,
  ) {
    const emailOf = await this.deps.directory.emailsOf(operators.map((o) => o.operatorId));
    const { groupId, widened, excludedOperatorIds, excludedAt, kind, topicId, regionId } = dialog.context;
    return rules.rankOperators(
      groupId,
      operators,
      {
        waitedMs,
        widened,
        excludedOperatorIds,
        excludedAt,
        kind,
        topicId,
        regionId,
        language: dialog.locale,
      },
      now,
      emailOf,
    );
  }

  /**
   * The store has given the dialog to the operator; the dialog machine records it (ASSIGNED, or OFFERED
   * when `offerTimeoutMs` is set). A dialog that moved on meanwhile gets the slot back and, when it
   * still waits, its queue place.
   */
  private async record(
    assignment: Assignment,
    now: number,
    offerTimeoutMs: number | null,
    /** The dialog as just committed (an arrival): decided on without reading it again. */
    loaded?: Dialog,
  ) {
    const { store, repo, dialogs, metrics, clock } = this.deps;
    const { dialogId, operatorId, groupId } = assignment;
    const offered = offerTimeoutMs !== null;
    const dispatched = await dialogs.dispatch(
      dialogId,
      { type: offered ? 'OFFERED' : 'ASSIGNED', operatorId, groupId },
      {},
      loaded,
    );
    if (!dispatched.accepted) {
      // The dialog moved on (closed, transferred, overflowed to another group) between enqueue and
      // assignment: give the slot back, and its queue place when it still waits.
      await store.release(dialogId, operatorId);
      const fresh = await repo.findDialog(dialogId);
      if (fresh?.state === 'queued') {
        const ctx = parseSnapshot(fresh.snapshot).context;
        await store.enqueue({ dialogId: fresh.id, groupId: ctx.groupId, priority: ctx.priority }, clock());
      }
      return;
    }
    if (!offered) {
      metrics.assignments.inc({ group: groupId });
      metrics.queueWait.observe({ group: groupId }, Math.max(0, (now - assignment.enqueuedAt) / 1000));
    }
    this.announceChange(dispatched.change, {
      operatorId,
      groupId,
      offered,
      ...(offered ? { expiresAt: now + offerTimeoutMs } : {}),
    });
  }
}

/**
 * Queued in the store while Postgres still says `offered`: a decline or an expiry whose OFFER_DECLINED
 * has not committed yet (or an offer a Redis rebuild queued again). The holder Postgres names is
 * ranked as excluded, as OFFER_DECLINED makes him (the machine's `excludeOperator`), so a decliner is
 * not offered straight back what he has just declined while someone else may take it; when he is the
 * only one, the round is over and it is offered again at once.
 */
function asIfDeclined<T extends { context: DialogContext; state: string }>(waiting: T, now: number): T {
  const { context } = waiting;
  const holder = context.operatorId;
  if (waiting.state !== 'offered' || !holder || context.excludedOperatorIds.includes(holder)) return waiting;
  return {
    ...waiting,
    context: {
      ...context,
      excludedOperatorIds: [...context.excludedOperatorIds, holder],
      excludedAt: { ...(context.excludedAt ?? {}), [holder]: now },
    },
  };
}
