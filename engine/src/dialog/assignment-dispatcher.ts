import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository } from '../storage/dialog-repository';
import type { DialogService } from './dialog-service';
import { parseSnapshot } from './dialog-service';

export interface AssignmentListener {
  onAssigned(assignment: { dialogId: string; operatorId: string; groupId: string; offered: boolean; expiresAt?: number }): void;
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
  private listener: AssignmentListener | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: RoutingStore;
      repo: DialogRepository;
      dialogs: DialogService;
      decisions: () => RoutingDecisions;
      metrics: Metrics;
      logger: Logger;
      clock: () => number;
    },
  ) {}

  setListener(listener: AssignmentListener) {
    this.listener = listener;
  }

  stop() {
    this.stopped = true;
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
        this.listener?.onQueueChanged(groupId);
      }
    })();
    this.running.set(groupId, run);
    return run;
  }

  triggerAll(): Promise<void> {
    return Promise.all(this.deps.decisions().groupIds().map((g) => this.trigger(g))).then(() => undefined);
  }

  /** Waits for every run in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private async drain(groupId: string) {
    const { store, repo, dialogs, decisions, metrics, clock } = this.deps;
    const rules = decisions();
    if (!rules.hasGroup(groupId)) return;
    for (let guard = 0; guard < 10_000 && !this.stopped; guard++) {
      const [head] = await store.queue(groupId).then((q) => q.slice(0, 1));
      if (!head) return;
      const row = await repo.findDialog(head.dialogId);
      if (!row) {
        // A queue entry without a dialog cannot be served; drop it rather than block the queue.
        await store.dequeue(head.dialogId);
        continue;
      }
      const context = parseSnapshot(row.snapshot).context;
      const now = clock();
      const operators = await store.listOperators(groupId);
      const ranked = rules.rankOperators(
        groupId,
        operators,
        { waitedMs: now - head.enqueuedAt, widened: context.widened, excludedOperatorIds: context.excludedOperatorIds },
        now,
      );
      if (ranked.length === 0) return;
      const offerTimeoutMs = rules.offerTimeoutMs(groupId);
      const result =
        offerTimeoutMs === null
          ? await store.assignHead(groupId, ranked, now)
          : await store.offerHead(groupId, ranked, now, offerTimeoutMs);
      if (result.kind !== 'assigned') return;
      const { assignment } = result;
      const dispatched = await dialogs.dispatch(assignment.dialogId, {
        type: offerTimeoutMs === null ? 'ASSIGNED' : 'OFFERED',
        operatorId: assignment.operatorId,
      });
      if (!dispatched.accepted) {
        // The dialog moved on (closed, transferred) between enqueue and assignment: give the slot back.
        await store.release(assignment.dialogId, assignment.operatorId);
        const fresh = await repo.findDialog(assignment.dialogId);
        if (fresh?.state === 'queued') {
          const ctx = parseSnapshot(fresh.snapshot).context;
          await store.enqueue({ dialogId: fresh.id, groupId: ctx.groupId, priority: ctx.priority }, clock());
        }
        continue;
      }
      if (offerTimeoutMs === null) {
        metrics.assignments.inc({ group: groupId });
        metrics.queueWait.observe({ group: groupId }, Math.max(0, (now - assignment.enqueuedAt) / 1000));
      }
      this.listener?.onAssigned({
        dialogId: assignment.dialogId,
        operatorId: assignment.operatorId,
        groupId,
        offered: offerTimeoutMs !== null,
        ...(offerTimeoutMs !== null ? { expiresAt: now + offerTimeoutMs } : {}),
      });
    }
  }
}
