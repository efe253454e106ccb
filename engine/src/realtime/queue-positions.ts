import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
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
 * Pushes each waiting visitor his queue position and ETA whenever his queue moves: each node to the
 * visitors connected to it, coalesced per group.
 */
export class QueuePositions {
  /** Groups whose queue moved since the last flush; true when the change happened on this node. */
  private readonly pendingQueues = new Map<string, boolean>();
  /** Per group, per queued dialog: what this node last pushed to that dialog's local visitor. */
  private readonly sentPositions = new Map<string, Map<string, SentPosition>>();
  private readonly visitorIds: DialogVisitors;
  private stopped = false;
  private flushing = false;
  private queueFlush: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      notifier: Notifier;
      repo: DialogRepository;
      store: RoutingStore;
      decisions: () => RoutingDecisions;
      metrics: Metrics;
      logger: Logger;
      /** A flush of queues this node changed (the dashboard follows). */
      onFlushedHere: () => void;
    },
  ) {
    this.visitorIds = new DialogVisitors(deps.repo);
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
    const { queue, operators } = await store.groupView(groupId);
    metrics.queueLength.set({ group: groupId }, queue.length);
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
    if (changedHere) this.deps.onFlushedHere();
  }

  stop() {
    this.stopped = true;
    if (this.queueFlush) clearTimeout(this.queueFlush);
    this.queueFlush = null;
  }

  private safely(work: () => Promise<void>) {
    work().catch((error) => this.deps.logger.warn({ err: error }, 'queue positions failed'));
  }
}
