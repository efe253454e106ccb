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
import { DialogVisitors } from './dialog-visitors';
import type { Notifier } from './notifier';

interface SentPosition {
  position: number;
  /** The ETA as shown (qualifier and minutes); '' when none was given. */
  etaKey: string;
  /** The visitor's sockets on this node that got it. */
  sockets: ReadonlySet<string>;
}

/** Whether every socket the visitor has on this node got this very position and ETA already. */
function alreadyShown(last: SentPosition, position: number, etaKey: string, sockets: ReadonlySet<string>) {
  if (last.position !== position || last.etaKey !== etaKey) return false;
  for (const id of sockets) if (!last.sockets.has(id)) return false;
  return true;
}

/**
 * Turns committed dialog changes into pushes: the visitor sees state, operator and auto-messages;
 * the holder gets assignments and updates; supervisors get everything; waiting visitors get their
 * position whenever their queue moves (each node to its own visitors, see `broadcastPositions`).
 * Pushes are best effort: clients resync on reconnect.
 */
export class DialogBroadcaster implements DialogListener, AssignmentListener {
  /** Groups whose queue moved since the last flush; true when the change happened on this node. */
  private readonly pendingQueues = new Map<string, boolean>();
  /** Per group, per queued dialog: what this node last pushed to that dialog's local visitor. */
  private readonly sentPositions = new Map<string, Map<string, SentPosition>>();
  private readonly visitorIds: DialogVisitors;
  private stopped = false;
  private flushing = false;
  private queueFlush: NodeJS.Timeout | null = null;
  private dashboardFlush: NodeJS.Timeout | null = null;
  private dashboardSource: (() => Promise<GroupLiveStats[]>) | null = null;

  constructor(
    private readonly deps: {
      notifier: Notifier;
      reader: DialogReader;
      repo: DialogRepository;
      store: RoutingStore;
      decisions: () => RoutingDecisions;
      metrics: Metrics;
      logger: Logger;
    },
  ) {
    this.visitorIds = new DialogVisitors(deps.repo);
  }

  /** The dashboard is pushed at most twice a second, after any change. */
  setDashboardSource(source: () => Promise<GroupLiveStats[]>) {
    this.dashboardSource = source;
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
    for (const g of groupIds) if (g) this.pendingQueues.set(g, true);
    this.scheduleQueueFlush();
  }

  /** Queues another node changed: only this node's own visitors are pushed to. */
  queueChangedElsewhere(groupIds: string[]) {
    for (const g of groupIds) if (g && !this.pendingQueues.has(g)) this.pendingQueues.set(g, false);
    this.scheduleQueueFlush();
  }

  private scheduleQueueFlush() {
    if (this.queueFlush || this.flushing || this.stopped || this.pendingQueues.size === 0) return;
    // Coalesce bursts (an operator online to a backlog moves many positions at once); one flush at a
    // time, so an older read of a queue never lands after a newer one.
    this.queueFlush = setTimeout(() => {
      this.queueFlush = null;
      const groups = [...this.pendingQueues];
      this.pendingQueues.clear();
      const changedHere = groups.filter(([, here]) => here).map(([groupId]) => groupId);
      if (changedHere.length > 0) this.deps.notifier.toOtherNodes('queue:changed', changedHere);
      this.flushing = true;
      this.safely(async () => {
        try {
          for (const [groupId, here] of groups) await this.broadcastPositions(groupId, here);
        } finally {
          this.flushing = false;
          this.scheduleQueueFlush();
        }
      });
    }, 50);
  }

  /**
   * Every node pushes positions to the visitors connected to it, and only when the position or the
   * ETA moved since its last push to them, or a socket of theirs joined since (a reconnect, a new
   * tab). Records of dialogs that left the queue go with the next look at it.
   */
  private async broadcastPositions(groupId: string, changedHere: boolean) {
    const { store, repo, notifier, metrics } = this.deps;
    const queue = await store.queue(groupId);
    metrics.queueLength.set({ group: groupId }, queue.length);
    const operators = await store.listOperators(groupId);
    const online = operators.filter((o) => o.status === 'online');
    metrics.operatorsOnline.set({ group: groupId }, online.length);
    const previous = this.sentPositions.get(groupId);
    const sent = new Map<string, SentPosition>();
    if (queue.length > 0 && notifier.hasLocalVisitors()) {
      const visitorOf = await this.visitorIds.of(queue.map((q) => q.dialogId));
      const waiting = queue.flatMap((entry) => {
        const visitorId = visitorOf.get(entry.dialogId);
        const sockets = visitorId ? notifier.localVisitorSockets(visitorId) : undefined;
        return visitorId && sockets && sockets.size > 0 ? [{ entry, visitorId, sockets }] : [];
      });
      if (waiting.length > 0) {
        // One read of capacity and handling times for the whole queue, not one per waiting visitor.
        const capacity = online.reduce((sum, o) => sum + o.limit, 0);
        const samples = await repo.recentHandleTimesMs(groupId);
        const rules = this.deps.decisions();
        for (const { entry, visitorId, sockets } of waiting) {
          const eta = rules.estimateWait(entry.position, capacity, samples);
          const etaKey = eta ? `${eta.qualifier}:${eta.minutes}` : '';
          const last = previous?.get(entry.dialogId);
          if (last && alreadyShown(last, entry.position, etaKey, sockets)) {
            sent.set(entry.dialogId, last);
            continue;
          }
          const { dialogId, position } = entry;
          notifier.toLocalVisitor(visitorId, 'queue:position', { dialogId, position, eta });
          sent.set(dialogId, { position, etaKey, sockets: new Set(sockets) });
        }
      }
    }
    if (sent.size > 0) this.sentPositions.set(groupId, sent);
    else this.sentPositions.delete(groupId);
    if (changedHere) this.dashboardChanged();
  }

  dashboardChanged() {
    if (this.dashboardFlush || !this.dashboardSource) return;
    this.dashboardFlush = setTimeout(() => {
      this.dashboardFlush = null;
      this.safely(async () => {
        const stats = await this.dashboardSource!();
        this.deps.notifier.toSupervisors('dashboard:update', stats);
      });
    }, 500);
  }

  stop() {
    this.stopped = true;
    if (this.queueFlush) clearTimeout(this.queueFlush);
    if (this.dashboardFlush) clearTimeout(this.dashboardFlush);
    this.queueFlush = null;
    this.dashboardFlush = null;
  }

  private safely(work: () => Promise<void>) {
    work().catch((error) => this.deps.logger.warn({ err: error }, 'broadcast failed'));
  }
}
