import {
  createDialogMachine,
  initialTransition,
  transition,
  type DialogEffect,
  type DialogEvent,
  type ThresholdFacts,
} from '../../src/dialog/dialog-machine';
import type { DialogPolicy, ThresholdPlan, ThresholdTiming } from '../../src/dialog/dialog-policy';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Group settings the hand-made policy follows (the real one comes from routing-rules). */
export interface TestGroup {
  open: boolean;
  offlineReplyDelayMs: number;
  unansweredMs: number;
  unansweredRepeat: boolean;
  reroute: boolean;
  /** Unanswered grace after the holder typed or wrote (default 15 s). */
  graceMs?: number;
  queueWait: { afterMs: number; kind: 'queue-position' | 'queue-offer-contact' | 'overflow' | 'widen' }[];
  fallback: string | null;
}

export const defaultGroup = (patch: Partial<TestGroup> = {}): TestGroup => ({
  open: true,
  offlineReplyDelayMs: 3000,
  unansweredMs: 30_000,
  unansweredRepeat: false,
  reroute: false,
  queueWait: [
    { afterMs: 60_000, kind: 'queue-offer-contact' },
    { afterMs: 180_000, kind: 'overflow' },
  ],
  fallback: null,
  ...patch,
});

export function testPolicy(groups: Record<string, TestGroup>): DialogPolicy {
  const group = (id: string) => groups[id] ?? defaultGroup();
  return {
    groupOpen: (id) => group(id).open,
    unansweredRepeat: (id) => group(id).unansweredRepeat,
    rerouteOnUnanswered: (id) => group(id).reroute,
    unansweredGraceMs: (id) => group(id).graceMs ?? 15_000,
    fallbackGroup: (id) => group(id).fallback,
    nextThreshold(id: string, timing: ThresholdTiming): ThresholdPlan | null {
      const g = group(id);
      if (timing.phase === 'offline') {
        if (timing.firstVisitorMessageAt === undefined || timing.fired.includes('offline-reply')) return null;
        return {
          key: 'offline-reply',
          kind: 'offline-reply',
          dueAt: timing.firstVisitorMessageAt + g.offlineReplyDelayMs,
        };
      }
      if (timing.phase === 'queued') {
        if (timing.queuedAt === undefined) return null;
        for (const [index, step] of g.queueWait.entries()) {
          const key = `queue-wait:${timing.queuedAt}:${index}`;
          if (!timing.fired.includes(key))
            return { key, kind: step.kind, dueAt: timing.queuedAt + step.afterMs };
        }
        return null;
      }
      const last = timing.lastVisitorMessageAt;
      if (last === undefined || (timing.lastOperatorMessageAt ?? -1) >= last) return null;
      const key = `unanswered:${last}`;
      return timing.fired.includes(key) ? null : { key, kind: 'unanswered', dueAt: last + g.unansweredMs };
    },
  };
}

/** Drives the machine with pure transitions and a controlled clock, collecting effects. */
type Machine = ReturnType<typeof createDialogMachine>;

export class MachineHarness {
  readonly machine: Machine;
  snapshot: ReturnType<Machine['resolveState']>;
  now = 1_000_000;
  effects: DialogEffect[] = [];

  constructor(groups: Record<string, TestGroup> = { sales: defaultGroup() }) {
    this.machine = createDialogMachine(testPolicy(groups));
    [this.snapshot] = initialTransition(this.machine, { dialogId: 'd1', kind: 'chat', now: this.now });
  }

  get state() {
    return String(this.snapshot.value);
  }

  get context() {
    return this.snapshot.context;
  }

  advance(ms: number) {
    this.now += ms;
    return this;
  }

  send(event: DistributiveOmit<DialogEvent, 'now'>): boolean {
    const full = { ...event, now: this.now } as DialogEvent;
    if (!this.snapshot.can(full)) return false;
    const [next, actions] = transition(this.machine, this.snapshot, full);
    this.snapshot = next;
    this.effects = actions
      .filter((a) =>
        [
          'enqueue',
          'dequeue',
          'releaseHolder',
          'sendAutoMessage',
          'dispatchAssignments',
          'notifyLead',
        ].includes(a.type),
      )
      .map((a) => ({ type: a.type, ...(a.params as object | undefined) }) as DialogEffect);
    return true;
  }

  /** Fires every pending threshold that is due by now, as the timer worker would, with its observed facts. */
  fireDue(facts: ThresholdFacts = {}): string[] {
    const fired: string[] = [];
    for (const [key, timer] of Object.entries(this.context.timers) as [string, { dueAt: number }][]) {
      if (timer.dueAt <= this.now && this.send({ type: 'THRESHOLD', key, ...facts })) fired.push(key);
    }
    return fired;
  }

  /** Persist and restore through JSON, as the service does between events. */
  roundTrip() {
    const persisted = JSON.parse(
      JSON.stringify({ value: this.snapshot.value, context: this.snapshot.context }),
    );
    this.snapshot = this.machine.resolveState(persisted);
    return this;
  }

  autoMessages() {
    return this.effects
      .filter((e) => e.type === 'sendAutoMessage')
      .map((e) => (e.type === 'sendAutoMessage' ? e.kind : ''));
  }
}

export const route = (groupId = 'sales', operatorsOnline = 1) => ({
  type: 'ROUTE' as const,
  groupId,
  priority: 0,
  fallbackChain: [] as string[],
  operatorsOnline,
  topicId: null,
  regionId: null,
});
