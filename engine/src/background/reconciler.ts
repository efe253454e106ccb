import type { DialogContext } from '../dialog/dialog-machine';
import type { DialogEventInput, DispatchResult } from '../dialog/dialog-service';
import { parseSnapshot } from '../dialog/dialog-snapshot';
import { OPEN_STATES } from '../dialog/dialog-views';
import type { OperatorRepository } from '../accounts/operator-repository';
import type { AssignmentDispatcher } from '../dialog/assignment-dispatcher';
import type { Locks } from '../locks/dialog-locks';
import type { Logger } from '../logger';
import type { RoutingStore, StoreOverview } from '../routing-store/routing-store';
import type { OperatorService } from '../services/operator-service';
import type { DialogRepository, Dialog } from '../storage/dialog-repository';
import { inLanes } from './lanes';
import type { RoutingState } from './routing-state';

export interface PresenceReport {
  /** Operators shown online or away without a live connection past the grace, now offline. */
  wentOffline: string[];
  /** Dialogs given back by operators offline past their groups' keep time. */
  released: number;
  /** Dialogs Postgres gave to a gone operator that the store no longer held for him, queued again. */
  orphansRequeued: number;
}

/** How many open dialogs a reconcile pass checks at once. */
const REPAIR_LANES = 16;
/**
 * How often a pass sweeps files (two reads even when there is nothing to delete): their deadlines are
 * an hour and days, so a sweep every pass (5 s) was 0.4 idle statements a second for nothing.
 */
export const FILES_SWEEP_MS = 60_000;

export interface ReconcileReport {
  /** Dialogs found in `created` (their node died before routing them) and routed now. */
  routed: number;
  requeued: number;
  reheld: number;
  /** Slots the store gave another operator than Postgres (a transfer whose commit failed), moved back. */
  holdersRestored: number;
  /** Dialogs whose Postgres holder had no room left for the repair: queued again through the machine. */
  gaveBack: number;
  released: number;
  dequeued: number;
  /** Offers declined or expired in the store whose OFFER_DECLINED never committed, recorded now. */
  declinesRecorded: number;
  timersRestored: number;
  conflicts: string[];
}

/**
 * Postgres is the truth; the routing store follows it. A node may die between committing a
 * transition and applying its Redis effect, and Redis may lose writes on failover: one node at a time
 * (a lease) compares them and repairs the store, then wakes assignment for every group. Each repair is
 * idempotent, so a second runner (a lease that expired mid-run) does no harm. A discrepancy is only
 * repaired when the previous run saw the same one at the same dialog version: a transition in flight
 * (Redis already changed, its commit a few milliseconds away) is never "repaired" into a real error.
 */
export class Reconciler {
  private handle: NodeJS.Timeout | null = null;
  /** Discrepancies seen in the previous run, by dialog: `what|dialog version`. */
  private suspects = new Map<string, string>();
  private seen = new Map<string, string>();
  /** Operators shown online/away with no connection recorded at all: since when this runner saw that. */
  private unbeaten = new Map<string, number>();
  /** Dialogs of gone operators not held in the store, seen last run: dialogId → version. */
  private orphansSeen = new Map<string, number>();
  /** When this runner last swept files (its clock). */
  private filesSweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: {
      repo: DialogRepository;
      store: RoutingStore;
      routingState: RoutingState;
      assignments: AssignmentDispatcher;
      locks: Locks;
      logger: Logger;
      clock: () => number;
      intervalMs: number;
      /**
       * Runs HOLDER_GONE when a repair would put the holder Postgres names above his limit
       * (DialogService); without it such a dialog is only reported as a conflict.
       */
      dialogs?: { dispatch(dialogId: string, input: DialogEventInput): Promise<DispatchResult> };
      /** Routes a dialog stranded in `created` (VisitorService). */
      stranded: { routeStranded(row: Dialog): Promise<boolean> };
      /** Durable presence; without it (tests of the repair alone) `expirePresence` does nothing. */
      presence?: {
        operators: OperatorService;
        accounts: OperatorRepository;
        graceMs: number;
        /** How long one heartbeat keeps a connection alive (a live node renews it well before). */
        aliveTtlMs: number;
        /** Called with the operators it set offline (their consoles and the supervisors' dashboard follow). */
        onChange?: (wentOffline: string[]) => void;
      };
      /** Files' housekeeping (AttachmentService): uploads never sent, and retention. */
      files?: { sweepOrphans(): Promise<number>; applyRetention(): Promise<number> };
    },
  ) {}

  /** Deletes uploads never sent within an hour and files past `settings.fileRetentionDays`. */
  async sweepFiles(): Promise<{ orphans: number; expired: number }> {
    const files = this.deps.files;
    if (!files) return { orphans: 0, expired: 0 };
    return { orphans: await files.sweepOrphans(), expired: await files.applyRetention() };
  }

  start() {
    const loop = () => {
      this.deps.locks
        .tryLease('reconcile', this.deps.intervalMs * 2, async () => {
          const report = await this.run();
          const repaired =
            report.routed +
            report.requeued +
            report.reheld +
            report.holdersRestored +
            report.gaveBack +
            report.released +
            report.dequeued +
            report.declinesRecorded +
            report.timersRestored;
          if (repaired > 0 || report.conflicts.length > 0)
            this.deps.logger.warn(report, 'routing state repaired from Postgres');
          const presence = await this.expirePresence();
          if (presence.wentOffline.length > 0 || presence.released > 0 || presence.orphansRequeued > 0)
            this.deps.logger.warn(presence, 'presence expired');
          if (this.deps.clock() - this.filesSweptAt >= FILES_SWEEP_MS) {
            this.filesSweptAt = this.deps.clock();
            const swept = await this.sweepFiles();
            if (swept.orphans > 0 || swept.expired > 0) this.deps.logger.info(swept, 'files swept');
          }
        })
        .catch((error) => this.deps.logger.warn({ err: error }, 'reconcile failed'))
        .finally(() => {
          if (this.handle) this.handle = setTimeout(loop, this.deps.intervalMs);
        });
    };
    this.handle = setTimeout(loop, this.deps.intervalMs);
  }

  stop() {
    if (this.handle) clearTimeout(this.handle);
    this.handle = null;
  }

  async run(): Promise<ReconcileReport> {
    const { repo, store, routingState, assignments } = this.deps;
    const report: ReconcileReport = {
      routed: 0,
      requeued: 0,
      reheld: 0,
      holdersRestored: 0,
      gaveBack: 0,
      released: 0,
      dequeued: 0,
      declinesRecorded: 0,
      timersRestored: 0,
      conflicts: [],
    };
    if (await routingState.ensureBuilt()) {
      await assignments.triggerAll();
      return report;
    }
    this.seen = new Map();
    const open = await repo.dialogsInStates(OPEN_STATES);
    const stateOf = new Map(open.map((r) => [r.id, r.state]));
    // The store's side in one round trip; a dialog is read again on its own only where they differ.
    const overview = await store.overview();
    // One dialog's failure (a backend hiccup, a row it cannot read) must not stop the repair of the rest.
    const isolated = async (dialogId: string, repair: () => Promise<void>) => {
      try {
        await repair();
      } catch (error) {
        report.conflicts.push(
          `${dialogId}: repair failed (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    };
    // Each dialog's check is a few store reads: side by side, so a pass over thousands of open dialogs
    // stays short on a busy machine (the repair bound is two passes).
    await inLanes(open, REPAIR_LANES, (row) =>
      isolated(row.id, async () => {
        if (row.state === 'created') await this.routeCreated(row, report);
        else await this.repairDialog(row, parseSnapshot(row.snapshot).context, overview, report);
      }),
    );
    // Store entries Postgres does not back: a hold or queue place left by a transition whose effects
    // were lost (a close, a lead, an offline move). Held and queued dialogs are repairDialog's.
    const holding = ['queued', 'assigned', 'active', 'offered'];
    for (const [dialogId, { operatorId }] of overview.holders) {
      if (holding.includes(stateOf.get(dialogId) ?? '')) continue;
      await isolated(dialogId, async () => {
        const row = await repo.findDialog(dialogId);
        if (row && holding.includes(row.state)) return; // changed meanwhile
        if (
          this.confirmed(dialogId, `orphan-hold:${operatorId}`, row) &&
          (await store.release(dialogId, operatorId))
        ) {
          report.released += 1;
        }
      });
    }
    for (const dialogId of overview.queued) {
      if (stateOf.get(dialogId) === 'queued') continue;
      await isolated(dialogId, async () => {
        const row = await repo.findDialog(dialogId);
        if (row?.state === 'queued') return;
        if (row?.state === 'offered' && this.deps.dialogs) {
          await this.recordDecline(row, report);
          return;
        }
        if (this.confirmed(dialogId, 'orphan-queue', row) && (await store.dequeue(dialogId)))
          report.dequeued += 1;
      });
    }
    this.suspects = this.seen;
    await assignments.triggerAll();
    return report;
  }

  /**
   * L4: an operator shown online or away whose connections all stopped beating more than the grace
   * ago (his node was killed, or lost Redis) goes offline through OperatorService.setPresence, so his
   * dialogs follow the operator-gone rule; an operator already offline gives back the dialogs his
   * groups kept for him once that time is up. An operator with no connection recorded at all (state
   * rebuilt after a Redis loss) gets a heartbeat's life plus the grace from when this runner first saw
   * it, time for his node to beat again.
   */
  async expirePresence(): Promise<PresenceReport> {
    const report: PresenceReport = { wentOffline: [], released: 0, orphansRequeued: 0 };
    const presence = this.deps.presence;
    if (!presence) return report;
    const { store, clock } = this.deps;
    const now = clock();
    const shown = new Set<string>();
    const operators = await store.listOperators();
    // One step for every operator shown online or away: each one's latest beat, and the dead
    // connections of those still alive dropped (their sets stay as small as their live connections).
    const beats = await store.sweepConnections(
      operators.filter((o) => o.status !== 'offline').map((o) => o.operatorId),
      now - presence.graceMs,
    );
    for (const operator of operators) {
      const { operatorId } = operator;
      if (operator.status === 'offline') {
        if (operator.load > 0)
          report.released += await presence.operators.releaseKeptDialogs(operatorId, now);
        continue;
      }
      shown.add(operatorId);
      const aliveUntil = beats.get(operatorId) ?? null;
      let goneSince: number;
      if (aliveUntil === null) {
        goneSince = (this.unbeaten.get(operatorId) ?? now) + presence.aliveTtlMs;
        if (!this.unbeaten.has(operatorId)) this.unbeaten.set(operatorId, now);
      } else {
        goneSince = aliveUntil;
        this.unbeaten.delete(operatorId);
      }
      // Closed or dead connections of an operator still connected elsewhere were dropped by the sweep.
      if (now - goneSince < presence.graceMs) continue;
      // A connection that beat since the read above (he reconnected elsewhere) keeps him.
      const latest = await store.connectionsAliveUntil(operatorId);
      if (latest !== null && latest !== aliveUntil && now - latest < presence.graceMs) continue;
      const account = await presence.accounts.findById(operatorId);
      if (account) await presence.operators.setPresence(account, 'offline');
      else await store.setPresence(operatorId, 'offline', now);
      // Every entry that ran out at least the grace ago (all of them, unless one beat meanwhile).
      await store.forgetConnections(operatorId, now - presence.graceMs + 1);
      this.unbeaten.delete(operatorId);
      report.wentOffline.push(operatorId);
    }
    for (const operatorId of this.unbeaten.keys())
      if (!shown.has(operatorId)) this.unbeaten.delete(operatorId);
    // Half-applied give-backs, confirmed at the same dialog version over two runs (not a transition in flight).
    const seen = new Map<string, number>();
    for (const orphan of await presence.operators.dialogsOfGoneNotHeld(now)) {
      seen.set(orphan.dialogId, orphan.version);
      if (this.orphansSeen.get(orphan.dialogId) !== orphan.version) continue;
      if (await presence.operators.giveBackOrphan(orphan.dialogId, orphan.operatorId))
        report.orphansRequeued += 1;
    }
    this.orphansSeen = seen;
    if (report.wentOffline.length > 0 || report.released > 0 || report.orphansRequeued > 0)
      presence.onChange?.(report.wentOffline);
    return report;
  }

  /** True when the same discrepancy was seen last run at the same dialog version. */
  private confirmed(dialogId: string, what: string, row: Dialog | null): boolean {
    const signature = `${what}|${row?.version ?? 'gone'}`;
    this.seen.set(`${dialogId}/${what}`, signature);
    return this.suspects.get(`${dialogId}/${what}`) === signature;
  }

  /**
   * Queued in the store, `offered` in Postgres: a decline or an expiry whose store half ran and whose
   * OFFER_DECLINED did not commit (its node died between). The offer scan leaves such a dialog alone
   * (its exclusion is not readable yet), so the second half is done here, through the machine.
   */
  private async recordDecline(row: Dialog, report: ReconcileReport) {
    const operatorId = parseSnapshot(row.snapshot).context.operatorId;
    if (!operatorId || !this.deps.dialogs || !this.confirmed(row.id, 'decline-not-recorded', row)) return;
    const outcome = await this.deps.dialogs.dispatch(row.id, {
      type: 'OFFER_DECLINED',
      operatorId,
      reason: 'expired',
    });
    if (outcome.accepted) report.declinesRecorded += 1;
  }

  /**
   * `created` is transient: a start stores its dialog routed. One still there, unchanged since the
   * previous run, was saved by a node that died before routing it (an older engine saved first and
   * routed after): route it now (L3). A failure is reported and tried again next run.
   */
  private async routeCreated(row: Dialog, report: ReconcileReport) {
    if (!this.confirmed(row.id, 'created', row)) return;
    try {
      if (await this.deps.stranded.routeStranded(row)) report.routed += 1;
    } catch (error) {
      report.conflicts.push(
        `${row.id}: left in created, routing failed (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }

  private async repairDialog(
    row: Dialog,
    context: DialogContext,
    overview: StoreOverview,
    report: ReconcileReport,
  ) {
    const { store, clock } = this.deps;
    const storeHolder = overview.holders.get(row.id);
    const agrees =
      row.state === 'queued'
        ? overview.queued.has(row.id) && !storeHolder
        : row.state !== 'assigned' && row.state !== 'active'
          ? true
          : !context.operatorId || storeHolder?.operatorId === context.operatorId;
    const timerKeys = overview.timerKeys.get(row.id);
    // The common case, the store agrees with Postgres: no read of this dialog at all.
    if (agrees && Object.keys(context.timers).every((key) => timerKeys?.has(key))) return;
    if (row.state === 'queued') {
      const [position, holder] = await Promise.all([store.position(row.id), store.holder(row.id)]);
      // Re-read: it may have been assigned or closed since the list was read.
      if (!position && !holder && this.confirmed(row.id, 'not-queued', row)) {
        await store.enqueue(
          { dialogId: row.id, groupId: context.groupId, priority: context.priority },
          clock(),
        );
        report.requeued += 1;
      } else if (holder && this.confirmed(row.id, `held-while-queued:${holder.operatorId}`, row)) {
        // A supervisor's assign (or an offer) whose commit failed: back to its old place, his slot freed.
        if (await store.requeueHeld(row.id, holder.operatorId, context.priority)) report.requeued += 1;
      }
    } else if ((row.state === 'assigned' || row.state === 'active') && context.operatorId) {
      const holder = await store.holder(row.id);
      if (!holder && this.confirmed(row.id, 'not-held', row)) {
        await this.giveTo(row, context, context.operatorId, null, report);
      } else if (
        holder &&
        holder.operatorId !== context.operatorId &&
        this.confirmed(row.id, `other-holder:${holder.operatorId}`, row)
      ) {
        await this.giveTo(row, context, context.operatorId, holder, report);
      }
    }
    const timers = await store.listTimers(row.id);
    for (const [key, timer] of Object.entries(context.timers)) {
      if (!timers.some((t) => t.key === key) && this.confirmed(row.id, `timer:${key}`, row)) {
        await store.scheduleTimer({ dialogId: row.id, key, dueAt: timer.dueAt });
        report.timersRestored += 1;
      }
    }
  }

  /**
   * Puts the dialog back with the operator Postgres names, in one atomic store step from wherever
   * the store has it (nowhere, its queue, or another operator's slot). His presence is not checked
   * (he may be away or offline by now; the operator-gone rule handles that), his limit is: when he
   * has no room left the dialog goes back to its queue through the machine (HOLDER_GONE), so the
   * visitor is served and nobody is pushed above his limit.
   */
  private async giveTo(
    row: Dialog,
    context: DialogContext,
    operatorId: string,
    storeHolder: { operatorId: string; offered: boolean } | null,
    report: ReconcileReport,
  ) {
    const { store, clock } = this.deps;
    const dialog = { dialogId: row.id, groupId: context.groupId, enqueuedAt: context.queuedAt ?? 0 };
    const repair = { ignoreGroup: true, ignorePresence: true };
    // An offer to someone else (not a transfer's move): withdraw it to its queue place first.
    if (storeHolder?.offered) {
      if (!(await store.requeueHeld(row.id, storeHolder.operatorId, context.priority))) return;
      storeHolder = null;
    }
    const result = storeHolder
      ? await store.transferDialog(
          dialog,
          { kind: 'operator', operatorId: storeHolder.operatorId },
          { kind: 'operator', operatorId, ...repair },
          clock(),
        )
      : await store.assignDialog(dialog, operatorId, clock(), repair);
    if (result.kind === 'assigned') {
      if (storeHolder) report.holdersRestored += 1;
      else report.reheld += 1;
      return;
    }
    const reason = result.kind === 'rejected' ? result.reason : result.kind;
    const dialogs = this.deps.dialogs;
    if ((reason !== 'operator-at-limit' && reason !== 'operator-offline') || !dialogs) {
      // not-held / already-held: it moved meanwhile (the next run looks again).
      report.conflicts.push(`${row.id}: cannot give back to ${operatorId} (${reason})`);
      return;
    }
    // At his limit (or no longer known to the store): the queue, at its old place when it had one.
    if (storeHolder && !(await store.requeueHeld(row.id, storeHolder.operatorId, context.priority))) return;
    const outcome = await dialogs.dispatch(row.id, { type: 'HOLDER_GONE', operatorId });
    if (outcome.accepted) report.gaveBack += 1;
    else
      report.conflicts.push(
        `${row.id}: ${operatorId} has no room and the dialog moved on (${outcome.row.state})`,
      );
  }
}
