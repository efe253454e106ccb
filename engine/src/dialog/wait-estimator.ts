import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository } from '../storage/dialog-repository';

/**
 * The wait a visitor at `position` is told: capacity of the group's online operators and its recent
 * handling times, turned into an estimate by routing-rules (null when too little is known). The
 * handling times are kept for `samplesTtlMs` per group: they move with closes, slowly, and every
 * start and position push asks for them.
 */
export class WaitEstimator {
  private readonly samples = new Map<string, { at: number; values: Promise<number[]> }>();

  constructor(
    private readonly deps: {
      repo: DialogRepository;
      store: RoutingStore;
      decisions: () => RoutingDecisions;
      clock: () => number;
      samplesTtlMs?: number;
    },
  ) {}

  async estimate(groupId: string, position: number) {
    const operators = await this.deps.store.listOperators(groupId);
    const capacity = operators.filter((o) => o.status === 'online').reduce((sum, o) => sum + o.limit, 0);
    return this.deps.decisions().estimateWait(position, capacity, await this.handleTimes(groupId));
  }

  private handleTimes(groupId: string): Promise<number[]> {
    const now = this.deps.clock();
    const cached = this.samples.get(groupId);
    if (cached && now - cached.at < (this.deps.samplesTtlMs ?? 5000)) return cached.values;
    const values = this.deps.repo.recentHandleTimesMs(groupId);
    // A failed read is not kept: the next estimate asks again.
    values.catch(() => this.samples.delete(groupId));
    this.samples.set(groupId, { at: now, values });
    return values;
  }
}
