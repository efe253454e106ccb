import { waitBasis } from '@hotline/routing-rules/wait';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { QueueSync } from '@hotline/protocol';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { QueuedDialog, RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository } from '../storage/dialog-repository';
import { DialogVisitors } from './dialog-visitors';
import type { Notifier } from './notifier';

/** The head of a queue keeps exact per-visitor pushes (a bounded number per move). */
export const EXACT_HEAD = 10;
/** Every waiting visitor gets an exact push this often, whatever he missed. */
export const RESYNC_MS = 30_000;

/** The local room of a group's waiting visitors, who get its `queue:moved` broadcasts. */
export const queueRoom = (groupId: string) => `queue:${groupId}`;

/** What this node last told a group's waiting visitors. */
interface Mirror {
  rev: number;
  /** The queue's dialog ids in order at `rev`. */
  order: string[];
  waitKey: string;
  /** Position and ETA last pushed to each dialog at the head. */
  head: Map<string, string>;
}

/**
 * The change between two reads of a queue as a widget applies it: the dialogs kept are those of
 * both reads in the same relative order; the others left (positions in `before`) and entered
 * (positions in `after`, ascending). A dialog that changed place counts as left and entered.
 */
export function diffQueue(before: readonly string[], after: readonly string[]) {
  const rankBefore = new Map<string, number>();
  before.forEach((id, i) => {
    rankBefore.set(id, i);
  });
  const kept = new Set<string>();
  const entered: number[] = [];
  let lastRank = -1;
  after.forEach((id, i) => {
    const rank = rankBefore.get(id);
    if (rank !== undefined && rank > lastRank) {
      kept.add(id);
      lastRank = rank;
    } else entered.push(i + 1);
  });
  const left: number[] = [];
  const leftIds: string[] = [];
  before.forEach((id, i) => {
    if (kept.has(id)) return;
    left.push(i + 1);
    leftIds.push(id);
  });
  return { left, leftIds, entered };
}

function allIn(sockets: ReadonlySet<string>, members: ReadonlySet<string> | undefined) {
  if (!members) return false;
  for (const id of sockets) if (!members.has(id)) return false;
  return true;
}

/**
 * Keeps each waiting visitor's queue position and ETA current at a cost per queue move that does not
 * grow with the queue's emits: one `queue:moved` broadcast to the group's local room (each widget
 * recomputes its position from its own), exact `queue:position` pushes only to the first
 * `EXACT_HEAD` when theirs changed, to sockets that joined (enqueue, reconnect, new tab) and to all
 * every `RESYNC_MS`. Each node does this for the visitors connected to it, coalesced per group.
 */
export class QueuePositions {
  /** Groups whose queue moved since the last flush; true when the change happened on this node. */
  private readonly pendingQueues = new Map<string, boolean>();
  /** Groups whose visitors all get an exact push at the next flush. */
  private readonly pendingResync = new Set<string>();
  private readonly mirrors = new Map<string, Mirror>();
  private readonly visitorIds: DialogVisitors;
  /** Node-wide, so a revision is never reused for a group whose mirror was dropped. */
  private revs = 0;
  private stopped = false;
  private flushing = false;
  private queueFlush: NodeJS.Timeout | null = null;
  private readonly resync: NodeJS.Timeout;

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
    resyncMs = RESYNC_MS,
  ) {
    this.visitorIds = new DialogVisitors(deps.repo);
    this.resync = setInterval(() => {
      for (const groupId of this.mirrors.keys()) {
        this.pendingResync.add(groupId);
        if (!this.pendingQueues.has(groupId)) this.pendingQueues.set(groupId, false);
      }
      this.scheduleQueueFlush();
    }, resyncMs);
    this.resync.unref();
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
          for (const [groupId, here] of groups) {
            const resync = this.pendingResync.delete(groupId);
            await this.broadcastPositions(groupId, resync);
            if (here) this.deps.onFlushedHere();
          }
        } finally {
          this.flushing = false;
          this.scheduleQueueFlush();
        }
      });
    }, 50);
  }

  /**
   * Reads the queue once, broadcasts its change since this node's last read to the group's room,
   * then pushes exact positions where a widget cannot follow the broadcast (see the class comment).
   */
  private async broadcastPositions(groupId: string, resync: boolean) {
    const { store, repo, notifier, metrics } = this.deps;
    const { queue, operators } = await store.groupView(groupId);
    metrics.queueLength.set({ group: groupId }, queue.length);
    const online = operators.filter((o) => o.status === 'online');
    metrics.operatorsOnline.set({ group: groupId }, online.length);
    const mirror = this.mirrors.get(groupId);
    if (!mirror && (queue.length === 0 || !notifier.hasLocalVisitors())) return;
    const room = queueRoom(groupId);
    const order = queue.map((q) => q.dialogId);
    const { left, leftIds, entered } = diffQueue(mirror?.order ?? [], order);
    const capacity = online.reduce((sum, o) => sum + o.limit, 0);
    // One read of handling times for the whole queue, not one per waiting visitor.
    const samples = queue.length > 0 ? await repo.recentHandleTimesMs(groupId) : [];
    const wait = waitBasis(capacity, samples);
    const waitKey = wait ? `${wait.freeableCapacity}:${wait.meanHandleMs}` : '';
    const moved = left.length > 0 || entered.length > 0 || mirror?.waitKey !== waitKey;
    const rev = mirror && !moved ? mirror.rev : ++this.revs;
    const visitorOf = await this.visitorIds.of([...leftIds, ...order]);
    // Whoever left (or changed place) stops following the broadcasts before this one.
    for (const dialogId of leftIds) {
      const sockets = this.socketsOf(visitorOf.get(dialogId));
      if (sockets) notifier.setLocalRoom(sockets, room, false);
    }
    if (mirror && moved && notifier.localRoomMembers(room)?.size)
      notifier.toLocalRoom(room, 'queue:moved', { groupId, since: mirror.rev, rev, left, entered, wait });
    const head = new Map<string, string>();
    if (queue.length > 0) this.mirrors.set(groupId, { rev, order, waitKey, head });
    else this.mirrors.delete(groupId);
    const sync: QueueSync = { groupId, rev, wait };
    const rules = this.deps.decisions();
    for (const entry of queue) {
      const visitorId = visitorOf.get(entry.dialogId);
      const sockets = this.socketsOf(visitorId);
      if (!visitorId || !sockets) continue;
      const joined = allIn(sockets, notifier.localRoomMembers(room));
      if (joined && !resync && entry.position > EXACT_HEAD) continue;
      const eta = rules.estimateWait(entry.position, capacity, samples);
      const shown = `${entry.position}:${eta?.qualifier}:${eta?.minutes}`;
      if (entry.position <= EXACT_HEAD) head.set(entry.dialogId, shown);
      if (joined && !resync && mirror?.head.get(entry.dialogId) === shown) continue;
      if (!joined) notifier.setLocalRoom(sockets, room, true);
      this.push(visitorId, entry, eta, sync);
    }
  }

  private push(
    visitorId: string,
    { dialogId, position }: QueuedDialog,
    eta: ReturnType<RoutingDecisions['estimateWait']>,
    sync: QueueSync,
  ) {
    this.deps.notifier.toLocalVisitor(visitorId, 'queue:position', { dialogId, position, eta, sync });
  }

  private socketsOf(visitorId: string | undefined) {
    const sockets = visitorId ? this.deps.notifier.localVisitorSockets(visitorId) : undefined;
    return sockets && sockets.size > 0 ? sockets : undefined;
  }

  stop() {
    this.stopped = true;
    clearInterval(this.resync);
    if (this.queueFlush) clearTimeout(this.queueFlush);
    this.queueFlush = null;
  }

  private safely(work: () => Promise<void>) {
    work().catch((error) => this.deps.logger.warn({ err: error }, 'queue positions failed'));
  }
}
