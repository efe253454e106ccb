import type { OperatorDirectory } from '../../accounts/operator-directory';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics/metrics';
import type { DialogDetail, DialogSummary, GroupLiveStats, OperatorSelf } from '@hotline/protocol';
import type { OperatorLoad, RoutingStore } from '../../routing-store/routing-store';
import type { AssignmentListener } from '../assignment-dispatcher';
import { type DialogChange, isHandoff } from '../dialog-change';

/** Where operator-facing updates go (the realtime layer implements it: rooms, no queries). */
export interface OperatorPushes {
  handedTo(operatorId: string, detail: DialogDetail, offer: { expiresAt: string } | null): void;
  lead(summary: DialogSummary, operatorIds: string[]): void;
  self(update: OperatorSelf): void;
  dashboard(stats: GroupLiveStats[]): void;
}

/** Queue moves (dialog/change-consumers/queue-positions.ts) and the dashboard, told when something moved. */
export interface MoveListeners {
  queueChanged(...groupIds: string[]): void;
  /** A handled dialog of this group closed: its wait estimate's handle times are to be read again. */
  handleTimesChanged(groupId: string): void;
  dashboardChanged(): void;
}

/**
 * What operators see follow from changes and assignments: a dialog handed to someone (its detail, as
 * its change read it), new leads for the group, his load (self:update), queue positions and the
 * dashboard. The change itself is mapped to rooms by the realtime layer; this consumer adds what a
 * change does not carry (the group's operators, loads from the routing store).
 */
export class OperatorUpdates implements AssignmentListener {
  constructor(
    private readonly deps: {
      pushes: OperatorPushes;
      moves: MoveListeners;
      store: RoutingStore;
      directory: OperatorDirectory;
      metrics: Metrics;
      logger: Logger;
      clock: () => number;
    },
  ) {}

  onChange = (change: DialogChange) => {
    const { previous, context, event } = change;
    const newHolder = context.operatorId !== null && context.operatorId !== previous.operatorId;
    // Transfers, lead pick-ups, take-overs (queue assignments are announced by onAssigned): the
    // change carries the detail its new holder is handed.
    if (isHandoff(change) && context.operatorId && change.views.detail)
      this.deps.pushes.handedTo(context.operatorId, change.views.detail, null);
    if (change.to === 'lead' && change.from !== 'lead') {
      this.safely(async () => {
        const operators = await this.deps.store.listOperators(context.groupId);
        this.deps.pushes.lead(
          change.views.summary,
          operators.map((o) => o.operatorId),
        );
      });
    }
    // Loads moved: the previous holder released it, the new one took it.
    const released = change.effects.some((e) => e.type === 'releaseHolder');
    if (previous.operatorId && (released || previous.operatorId !== context.operatorId))
      this.selfUpdate(previous.operatorId, change.releasedHolder);
    if (newHolder && event?.type !== 'ASSIGNED' && event?.type !== 'OFFERED')
      this.selfUpdate(context.operatorId!);
    if (change.from === 'queued' || change.to === 'queued')
      this.deps.moves.queueChanged(context.groupId, previous.groupId);
    const { row } = change;
    if (change.kind === 'transition' && row.groupId && row.closedAt && row.assignedAt)
      this.deps.moves.handleTimesChanged(row.groupId);
    if (change.kind === 'transition') this.deps.moves.dashboardChanged();
  };

  onAssigned: AssignmentListener['onAssigned'] = (assignment) => {
    const offer = assignment.offered
      ? { expiresAt: new Date(assignment.expiresAt ?? this.deps.clock()).toISOString() }
      : null;
    this.deps.pushes.handedTo(assignment.operatorId, assignment.detail, offer);
    this.selfUpdate(assignment.operatorId, assignment.holder);
  };

  onQueueChanged: AssignmentListener['onQueueChanged'] = (groupId) => {
    this.deps.moves.queueChanged(groupId);
  };

  /**
   * His load, status and limit as the routing store has them now (and the load gauge); `known`: as a
   * store step that changed them just returned them (not read again).
   */
  selfUpdate(operatorId: string, known?: OperatorLoad) {
    this.safely(async () => {
      const routing =
        known?.operatorId === operatorId ? known : await this.deps.store.operatorLoad(operatorId);
      if (!routing) return;
      this.deps.metrics.operatorLoad.set({ operator: operatorId }, routing.load);
      const profile = await this.profile(operatorId);
      if (!profile) return;
      this.deps.pushes.self({
        operatorId,
        ...profile,
        status: routing.status,
        load: routing.load,
        limit: routing.limit,
      });
    });
  }

  /** Name, e-mail and role, from the node's directory (every load change pushes them). */
  private async profile(operatorId: string) {
    const operator = await this.deps.directory.profile(operatorId);
    if (!operator) return null;
    return { name: operator.displayName ?? operator.name, email: operator.email, role: operator.role };
  }

  private safely(work: () => Promise<void>) {
    work().catch((error) => this.deps.logger.warn({ err: error }, 'operator update failed'));
  }
}
