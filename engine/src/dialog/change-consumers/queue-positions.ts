import {
  EXACT_HEAD,
  QUEUE_BOUNDS,
  type ShownPosition,
  shownPosition,
} from '@hotline/routing-rules/queue-bounds';
import { waitBasis } from '@hotline/routing-rules/wait';
import type { QueuePositionView } from '@hotline/protocol';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics/metrics';
import type { QueueMarks, RoutingStore } from '../../routing-store/routing-store';
import type { DialogRepository, Dialog } from '../../storage/dialog-repository';
import { DialogVisitors } from './dialog-visitors';

/** Every waiting visitor gets his value pushed again within this time, whatever he missed. */
export const RESYNC_MS = 30_000;
/** The resync is spread: each tick pushes the next slice of each queue, never a whole queue at once. */
export const RESYNC_TICK_MS = 1_000;

/** What this node knows of a group's queue since its last read. */
interface GroupState {
  marks: QueueMarks;
  /** The value last pushed to each dialog of the head (`shownKey`). */
  head: Map<string, string>;
  length: number;
  /** The spread resync's tick within its cycle (`resyncMs / RESYNC_TICK_MS` ticks). */
  resyncTick: number;
}

/** What the next flush of a group does besides following the move. */
interface Pending {
  /** True when the change happened on this node (the other nodes are told, the dashboard follows). */
  here: boolean;
  /** The queue moved on another node: a close there may have changed the handle times. */
  elsewhere: boolean;
  /** Dialogs whose visitors' sockets joined: pushed their value whatever it is. */
  asked: Set<string>;
  resync: boolean;
}

const shownKey = (shown: ShownPosition) =>
  `${shown.position}:${shown.exact}:${shown.eta?.qualifier}:${shown.eta?.minutes}`;

/** The realtime layer's side of queue positions: this node's visitor sockets and the other nodes. */
export interface VisitorPushes {
  hasLocalVisitors(): boolean;
  localVisitorSockets(visitorId: string): ReadonlySet<string> | undefined;
  toLocalVisitor(visitorId: string, event: 'queue:position', view: QueuePositionView): void;
  /** Tells the other nodes which groups' queues changed here (they flush their visitors). */
  toOtherNodes(event: 'queue:changed', groupIds: string[]): void;
  onVisitorConnected(listener: (visitorId: string, minted: boolean) => void): void;
}

/**
 * Keeps each waiting visitor's shown queue position current at a cost per queue move that does not
 * grow with the queue: the first `EXACT_HEAD` see their exact position and ETA, the others the bound
 * they are behind (routing-rules/queue-bounds). One `queueWindows` read per flush says whose value
 * changed — the head, and the few dialogs that crossed a bound or entered — and only those are pushed,
 * to the sockets on this node. A socket that connects gets its value at the next flush, and a spread
 * resync pushes every waiting visitor's value again within `RESYNC_MS`. Each node does this for its
 * own visitors, coalesced per group, one flush at a time.
 */
export class QueuePositions {
  private readonly pending = new Map<string, Pending>();
  private readonly groups = new Map<string, GroupState>();
  private readonly visitorIds: DialogVisitors;
  /** Handled dialogs closed here, per group (see `handleTimesOf`). */
  private readonly handledCloses = new Map<string, number>();
  private readonly handleTimes = new Map<string, { ms: number[]; at: number; closes: number }>();
  private stopped = false;
  private flushing = false;
  /** Flushes and joins under way: `stop` waits for them, so none of their queries is cut off. */
  private readonly running = new Set<Promise<void>>();
  private queueFlush: NodeJS.Timeout | null = null;
  private resync: NodeJS.Timeout | undefined;
  /** `queue:position` pushes made by this node (tests, bench). */
  pushes = 0;

  constructor(
    private readonly deps: {
      /** Where the pushes go (the realtime layer's notifier: sockets of this node, other nodes). */
      notifier: VisitorPushes;
      repo: Pick<DialogRepository, 'visitorsOf' | 'recentHandleTimesMs'> & {
        latestDialogOfVisitor(visitorId: string): Promise<Pick<Dialog, 'id' | 'state' | 'groupId'> | null>;
      };
      store: RoutingStore;
      metrics: Metrics;
      logger: Logger;
      /** A flush of queues this node changed (the dashboard follows). */
      onFlushedHere: () => void;
    },
    /** Infinity: no resync (tests that count the pushes of moves alone). */
    private readonly resyncMs = RESYNC_MS,
  ) {
    this.visitorIds = new DialogVisitors(deps.repo);
    // A visitor minted at the handshake has no dialog to be queued with: nothing to read.
    deps.notifier.onVisitorConnected((visitorId, minted) => {
      if (!minted) this.safely(() => this.joined(visitorId));
    });
    if (!Number.isFinite(resyncMs)) return;
    this.resync = setInterval(
      () => {
        for (const [groupId, state] of this.groups) if (state.length > 0) this.mark(groupId).resync = true;
        this.scheduleQueueFlush();
      },
      Math.min(RESYNC_TICK_MS, resyncMs),
    );
    this.resync.unref();
  }

  /** A queue this node changed: positions are pushed here, and the other nodes are told. */
  queueChanged(...groupIds: string[]) {
    for (const g of groupIds) if (g) this.mark(g).here = true;
    this.scheduleQueueFlush();
  }

  /** Queues another node changed: only this node's own visitors are pushed to. */
  queueChangedElsewhere(groupIds: string[]) {
    for (const g of groupIds) if (g) this.mark(g).elsewhere = true;
    this.scheduleQueueFlush();
  }

  /** A handled dialog closed here: the next flush reads the group's handle times again (none is scheduled). */
  handleTimesChanged(groupId: string) {
    this.handledCloses.set(groupId, (this.handledCloses.get(groupId) ?? 0) + 1);
  }

  /** A socket of this visitor connected here (a reconnect, a new tab): his value at the next flush. */
  private async joined(visitorId: string) {
    if (this.stopped) return;
    const dialog = await this.deps.repo.latestDialogOfVisitor(visitorId);
    if (dialog?.state !== 'queued' || !dialog.groupId) return;
    this.mark(dialog.groupId).asked.add(dialog.id);
    this.scheduleQueueFlush();
  }

  private mark(groupId: string): Pending {
    let pending = this.pending.get(groupId);
    if (!pending) {
      pending = { here: false, elsewhere: false, asked: new Set(), resync: false };
      this.pending.set(groupId, pending);
    }
    return pending;
  }

  private scheduleQueueFlush() {
    if (this.queueFlush || this.flushing || this.stopped || this.pending.size === 0) return;
    // Coalesce bursts (an operator online to a backlog moves many positions at once); one flush at a
    // time, so an older read of a queue never lands after a newer one (the marks follow the reads).
    this.queueFlush = setTimeout(() => {
      this.queueFlush = null;
      const groups = [...this.pending];
      this.pending.clear();
      const changedHere = groups.filter(([, p]) => p.here).map(([groupId]) => groupId);
      if (changedHere.length > 0) this.deps.notifier.toOtherNodes('queue:changed', changedHere);
      this.flushing = true;
      this.safely(async () => {
        try {
          for (const [groupId, pending] of groups) {
            if (this.stopped) return;
            await this.flush(groupId, pending);
            if (pending.here) this.deps.onFlushedHere();
          }
        } finally {
          this.flushing = false;
          this.scheduleQueueFlush();
        }
      });
    }, 50);
  }

  /**
   * The group's recent handle times (the ETA's basis). They change only when a handled dialog closes:
   * one closed here (`handleTimesChanged`, counted so that a read under way when it happens is not
   * kept), or a move on another node (a close there mostly moves the queue). Otherwise the last read
   * is reused, at most RESYNC_MS old: the resync, joins and this node's own moves read no Postgres.
   */
  private async handleTimesOf(groupId: string, movedElsewhere: boolean): Promise<number[]> {
    const closes = this.handledCloses.get(groupId) ?? 0;
    const last = this.handleTimes.get(groupId);
    if (last && !movedElsewhere && last.closes === closes && Date.now() - last.at < RESYNC_MS) return last.ms;
    const at = Date.now();
    const ms = await this.deps.repo.recentHandleTimesMs(groupId);
    this.handleTimes.set(groupId, { ms, at, closes });
    return ms;
  }

  /** One read of the queue's windows; pushes to the visitors whose shown value changed (see the class). */
  private async flush(groupId: string, pending: Pending) {
    const { store, notifier, metrics } = this.deps;
    const state = this.groups.get(groupId);
    let ranks: [number, number] | undefined;
    let resyncTick = state?.resyncTick ?? 0;
    if (pending.resync && state && state.length > 0) {
      // Tick t of a cycle covers the positions in (t/cycle, (t+1)/cycle] of the queue: each position
      // comes round once per cycle whatever the queue's length (a short queue is not pushed every tick).
      const cycle = Math.max(1, Math.round(this.resyncMs / Math.min(RESYNC_TICK_MS, this.resyncMs)));
      const tick = state.resyncTick % cycle;
      const from = Math.floor((state.length * tick) / cycle) + 1;
      const to = Math.floor((state.length * (tick + 1)) / cycle);
      if (to >= from) ranks = [from, to];
      resyncTick = tick + 1;
    }
    const windows = await store.queueWindows(groupId, {
      head: EXACT_HEAD,
      bounds: QUEUE_BOUNDS,
      since: state?.marks ?? null,
      dialogIds: [...pending.asked],
      ranks,
    });
    if (this.stopped) return;
    metrics.queueLength.set({ group: groupId }, windows.length);
    const online = windows.operators.filter((o) => o.status === 'online');
    metrics.operatorsOnline.set({ group: groupId }, online.length);
    const next: GroupState = {
      marks: windows.marks,
      head: new Map(),
      length: windows.length,
      resyncTick,
    };
    this.groups.set(groupId, next);
    if (windows.length === 0 || !notifier.hasLocalVisitors()) return;
    const capacity = online.reduce((sum, o) => sum + o.limit, 0);
    // The basis moves every head's ETA (capacity, handling times): read once per flush, not per visitor.
    const basis = waitBasis(capacity, await this.handleTimesOf(groupId, pending.elsewhere));
    if (this.stopped) return;
    const pushes = new Map<string, ShownPosition>();
    windows.head.forEach((dialogId, i) => {
      const shown = shownPosition(i + 1, basis);
      const key = shownKey(shown);
      next.head.set(dialogId, key);
      if (state?.head.get(dialogId) !== key) pushes.set(dialogId, shown);
    });
    for (const { dialogId, position } of windows.moved) pushes.set(dialogId, shownPosition(position, basis));
    if (pushes.size === 0) return;
    const visitorOf = await this.visitorIds.of([...pushes.keys()]);
    if (this.stopped) return;
    for (const [dialogId, shown] of pushes) {
      const visitorId = visitorOf.get(dialogId);
      if (!visitorId || !notifier.localVisitorSockets(visitorId)?.size) continue;
      notifier.toLocalVisitor(visitorId, 'queue:position', { dialogId, ...shown });
      this.pushes += 1;
    }
  }

  /**
   * No flush after this; resolves once the flush or join under way has ended (it stops at its next
   * step), so the server closes Redis and Postgres under no query of ours.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resync);
    if (this.queueFlush) clearTimeout(this.queueFlush);
    this.queueFlush = null;
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private safely(work: () => Promise<void>) {
    const running: Promise<void> = work()
      .catch((error) => this.deps.logger.warn({ err: error }, 'queue positions failed'))
      .finally(() => this.running.delete(running));
    this.running.add(running);
  }
}
