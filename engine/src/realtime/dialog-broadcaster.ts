import type { AssignmentListener } from '../dialog/assignment-dispatcher';
import type { DialogReader } from '../dialog/dialog-reader';
import type { DialogListener } from '../dialog/dialog-service';
import { stateName } from '../dialog/dialog-views';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { GroupLiveStats, MessageView } from '../protocol/events';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository } from '../storage/dialog-repository';
import type { Notifier } from './notifier';
import { QueuePositions } from './queue-positions';

/**
 * Turns committed dialog changes into pushes: the visitor sees state, operator and auto-messages;
 * the holder gets assignments and updates; supervisors get everything; waiting visitors get their
 * position whenever their queue moves (see `QueuePositions`).
 * Pushes are best effort: clients resync on reconnect.
 */
export class DialogBroadcaster implements DialogListener, AssignmentListener {
  private readonly positions: QueuePositions;
  private dashboardFlush: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      notifier: Notifier;
      reader: DialogReader;
      repo: DialogRepository;
      store: RoutingStore;
      decisions: () => RoutingDecisions;
      metrics: Metrics;
      logger: Logger;
      /** What supervisors' dashboards show; pushed at most twice a second, after any change. */
      dashboard: () => Promise<GroupLiveStats[]>;
    },
  ) {
    this.positions = new QueuePositions({ ...deps, onFlushedHere: () => this.dashboardChanged() });
  }

  onTransition: DialogListener['onTransition'] = (change) => {
    this.safely(async () => {
      const { notifier, reader } = this.deps;
      const { row, context, previous } = change;
      const visitorId = row.visitor_id;
      const operator = await reader.operatorName(context.operatorId);
      notifier.toVisitor(visitorId, 'dialog:state', {
        dialogId: change.dialogId,
        state: stateName(change.to),
        operatorName: operator?.name ?? null,
        operatorAvatarUrl: operator?.avatarUrl ?? null,
        contactRequested: context.contactRequested,
      });
      for (const message of change.autoMessages) this.message(message, visitorId, context.operatorId);
      const fresh = await this.deps.repo.findDialog(change.dialogId);
      if (!fresh) return;
      const summary = await reader.summary(fresh);
      if (previous.operatorId && previous.operatorId !== context.operatorId) {
        notifier.toOperator(previous.operatorId, 'dialog:removed', {
          dialogId: change.dialogId,
          reason: change.event.type.toLowerCase(),
        });
      }
      const newHolder = context.operatorId && context.operatorId !== previous.operatorId;
      if (
        newHolder &&
        (change.to === 'assigned' || change.to === 'offered') &&
        change.event.type !== 'ASSIGNED' &&
        change.event.type !== 'OFFERED'
      ) {
        // Transfers and lead pick-ups; queue assignments are announced by onAssigned.
        notifier.toOperator(context.operatorId!, 'dialog:assigned', await reader.detail(fresh));
      } else if (context.operatorId) {
        notifier.toOperator(context.operatorId, 'dialog:updated', summary);
      }
      if (change.to === 'lead' && change.from !== 'lead') {
        const operators = await this.deps.store.listOperators(context.groupId);
        notifier.toOperators(
          operators.map((o) => o.operatorId),
          'lead:new',
          summary,
        );
        notifier.toSupervisors('lead:new', summary);
      }
      notifier.toSupervisors('dialog:updated', summary);
      if (change.from === 'queued' || change.to === 'queued')
        this.queueChanged(context.groupId, previous.groupId);
      this.dashboardChanged();
    });
  };

  onAssigned: AssignmentListener['onAssigned'] = (assignment) => {
    this.safely(async () => {
      const row = await this.deps.repo.findDialog(assignment.dialogId);
      if (!row) return;
      const detail = await this.deps.reader.detail(row);
      if (assignment.offered) {
        this.deps.notifier.toOperator(assignment.operatorId, 'dialog:offered', {
          dialog: detail,
          expiresAt: new Date(assignment.expiresAt ?? Date.now()).toISOString(),
        });
      } else {
        this.deps.notifier.toOperator(assignment.operatorId, 'dialog:assigned', detail);
      }
      await this.selfUpdate(assignment.operatorId);
    });
  };

  onQueueChanged: AssignmentListener['onQueueChanged'] = (groupId) => {
    this.queueChanged(groupId);
  };

  /** A new message: to the visitor (unless internal), the holder and the supervisors. */
  message(message: MessageView, visitorId: string, operatorId: string | null) {
    const { notifier } = this.deps;
    if (message.authorKind !== 'system') notifier.toVisitor(visitorId, 'message:new', message);
    if (operatorId) notifier.toOperator(operatorId, 'message:new', message);
    notifier.toSupervisors('message:new', message);
  }

  async selfUpdate(operatorId: string) {
    const routing = await this.deps.store.getOperator(operatorId);
    if (!routing) return;
    this.deps.metrics.operatorLoad.set({ operator: operatorId }, routing.load);
    const name = await this.deps.reader.operatorName(operatorId);
    const operator = await this.deps.repo
      .db('operators')
      .where({ id: operatorId })
      .first<{ email: string; role: 'operator' | 'supervisor' }>();
    if (!operator) return;
    this.deps.notifier.toOperator(operatorId, 'self:update', {
      operatorId,
      name: name?.name ?? '',
      email: operator.email,
      role: operator.role,
      status: routing.status,
      load: routing.load,
      limit: routing.limit,
    });
  }

  /** A queue this node changed: positions are pushed here, and the other nodes are told. */
  queueChanged(...groupIds: string[]) {
    this.positions.queueChanged(...groupIds);
  }

  /** Queues another node changed: only this node's own visitors are pushed to. */
  queueChangedElsewhere(groupIds: string[]) {
    this.positions.queueChangedElsewhere(groupIds);
  }

  dashboardChanged() {
    if (this.dashboardFlush) return;
    this.dashboardFlush = setTimeout(() => {
      this.dashboardFlush = null;
      this.safely(async () => {
        const stats = await this.deps.dashboard();
        this.deps.notifier.toSupervisors('dashboard:update', stats);
      });
    }, 500);
  }

  stop() {
    this.positions.stop();
    if (this.dashboardFlush) clearTimeout(this.dashboardFlush);
    this.dashboardFlush = null;
  }

  private safely(work: () => Promise<void>) {
    work().catch((error) => this.deps.logger.warn({ err: error }, 'broadcast failed'));
  }
}
