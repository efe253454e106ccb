import type { OperatorRepository } from '../accounts/operator-repository';
import type { DialogContext } from '../dialog/dialog-machine';
import { parseSnapshot } from '../dialog/dialog-snapshot';
import { OPEN_STATES } from '../dialog/dialog-views';
import type { Locks } from '../locks/dialog-locks';
import type { Logger } from '../logger';
import type { Presence } from '@hotline/protocol';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type {
  OperatorUpsert,
  RoutingSnapshot,
  RoutingStore,
  TimerEntry,
} from '../routing-store/routing-store';
import type { DialogRepository } from '../storage/dialog-repository';

/**
 * Keeps the hot routing state (Redis or memory) in line with Postgres: operators' limits and groups
 * from the routing config, and, when the store has lost its data (epoch gone), a full rebuild of
 * queues, holders and timers from the dialogs' committed snapshots.
 */
export class RoutingState {
  private knownEpoch: string | null = null;

  constructor(
    private readonly deps: {
      accounts: OperatorRepository;
      repo: DialogRepository;
      store: RoutingStore;
      decisions: () => RoutingDecisions;
      locks: Locks;
      logger: Logger;
      clock: () => number;
    },
  ) {}

  /** Operator accounts joined with their routing profiles, as the store wants them. */
  async operatorUpserts(presenceOverride?: Map<string, Presence>): Promise<OperatorUpsert[]> {
    const profiles = this.deps.decisions().operatorProfiles();
    const accounts = await this.deps.accounts.activePresence();
    return accounts.map((account) => {
      const profile = profiles.get(account.email);
      return {
        operatorId: account.id,
        status: presenceOverride?.get(account.id) ?? account.presence,
        limit: profile?.limit ?? 0,
        groups: profile?.groups ?? [],
      };
    });
  }

  /** After a config change: new limits and groups take effect; presence and load are kept. */
  async syncOperators() {
    const { store, clock } = this.deps;
    const current = new Map((await store.listOperators()).map((o) => [o.operatorId, o.status]));
    for (const upsert of await this.operatorUpserts(current)) await store.upsertOperator(upsert, clock());
  }

  /** Rebuilds when the store has no epoch (fresh Redis, FLUSHALL, restart without persistence). */
  async ensureBuilt(): Promise<boolean> {
    const epoch = await this.deps.store.epoch();
    if (epoch !== null && epoch === this.knownEpoch) return false;
    if (epoch !== null) {
      this.knownEpoch = epoch;
      return false;
    }
    return this.deps.locks.withLock('routing-state-rebuild', async () => {
      // Another node may have rebuilt while we waited for the lease.
      const again = await this.deps.store.epoch();
      if (again !== null) {
        this.knownEpoch = again;
        return false;
      }
      await this.rebuild();
      this.knownEpoch = await this.deps.store.epoch();
      return true;
    });
  }

  async rebuild() {
    const { repo, store, logger } = this.deps;
    const rows = await repo.dialogsInStates(OPEN_STATES);
    const snapshot: RoutingSnapshot = {
      operators: await this.operatorUpserts(),
      queued: [],
      assigned: [],
      timers: [],
    };
    for (const row of rows) {
      const context: DialogContext = parseSnapshot(row.snapshot).context;
      if (row.state === 'queued' || row.state === 'offered') {
        // An unanswered offer goes back to the queue at its old place; the operator is offered again.
        snapshot.queued.push({
          dialogId: row.id,
          groupId: context.groupId,
          priority: context.priority,
          enqueuedAt: context.queuedAt ?? this.deps.clock(),
        });
      } else if ((row.state === 'assigned' || row.state === 'active') && context.operatorId) {
        snapshot.assigned.push({
          dialogId: row.id,
          operatorId: context.operatorId,
          groupId: context.groupId,
          enqueuedAt: context.queuedAt ?? 0,
        });
      }
      for (const [key, timer] of Object.entries(context.timers)) {
        snapshot.timers.push({ dialogId: row.id, key, dueAt: timer.dueAt } satisfies TimerEntry);
      }
    }
    await store.rebuild(snapshot);
    logger.warn(
      { queued: snapshot.queued.length, assigned: snapshot.assigned.length, timers: snapshot.timers.length },
      'routing state rebuilt from Postgres',
    );
  }
}
