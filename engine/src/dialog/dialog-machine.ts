import type { DialogKind } from '@hotline/routing-rules';
import {
  type ActorScope,
  assertEvent,
  assign,
  createActor,
  type EventFrom,
  type ExecutableActionsFrom,
  type SnapshotFrom,
  setup,
} from 'xstate';
import type { DialogPolicy, ThresholdPlan } from './dialog-policy';

/**
 * The one place that decides a dialog's transitions. It is run with XState's pure
 * `transition()` by DialogService: effects come back as named actions (enqueue, release,
 * sendAutoMessage, ...) that the service performs against Redis, Postgres and sockets.
 * Thresholds are data (`context.timers`), not `after` delays, so they survive restarts
 * (delays are not re-armed from persisted snapshots) and fire on any node.
 */

export interface DialogContext {
  dialogId: string;
  kind: DialogKind;
  groupId: string;
  topicId: string | null;
  regionId: string | null;
  priority: number;
  fallbackChain: string[];
  operatorId: string | null;
  createdAt: number;
  queuedAt: number | null;
  assignedAt: number | null;
  closedAt: number | null;
  firstVisitorMessageAt: number | null;
  lastVisitorMessageAt: number | null;
  lastOperatorMessageAt: number | null;
  firstHumanResponseAt: number | null;
  firstAutoResponseAt: number | null;
  contact: { kind: 'phone' | 'email'; value: string } | null;
  contactRequested: boolean;
  /** Secondary-tier operators are eligible (bullseye widened). */
  widened: boolean;
  unansweredSent: number;
  /** Threshold keys already fired; a key fires at most once. */
  fired: string[];
  /** The pending threshold(s) by key. DialogService mirrors them into the durable timer store. */
  timers: Record<string, PendingTimer>;
  /** Operators who declined or were silent in this routing attempt. */
  excludedOperatorIds: string[];
  /**
   * When each of `excludedOperatorIds` was excluded (epoch ms), so ranking can let an exclusion lapse.
   * Optional: snapshots written before it existed load without it.
   */
  excludedAt?: Record<string, number>;
  /** When it last entered `offline` (absent in older snapshots): each offline period is answered. */
  offlineSince?: number | null;
  outcome: string | null;
}

export interface PendingTimer {
  dueAt: number;
  /** `reroute-check`: a dialog kept by the only operator who could take it looks again for someone else. */
  kind: ThresholdPlan['kind'] | 'reroute-check';
  /** This unanswered threshold takes the dialog from its holder (rerouteOnUnanswered): the console counts down to it. */
  reroute?: boolean;
}

/**
 * What the timer worker observed when a threshold came due, so the machine's guards can keep every
 * auto-message true without reading anything themselves. Absent facts keep the old behaviour.
 */
export interface ThresholdFacts {
  /** Someone who may take the dialog now (online, in its group/tier, under his limit, not excluded) has room. */
  idleEligible?: boolean;
  /** Someone other than the holder may take the dialog (online, in its group at any tier, under his limit). */
  othersCanTake?: boolean;
  /** When the holder last showed he was typing in this dialog (epoch ms). */
  holderTypingAt?: number;
}

export interface DialogInput {
  dialogId: string;
  kind: DialogKind;
  now: number;
}

export interface RouteFields {
  groupId: string;
  topicId?: string | null;
  regionId?: string | null;
  priority: number;
  fallbackChain: string[];
  /** Operators of the group (any tier) who are online now. */
  operatorsOnline: number;
}

type Stamped<T> = T & { now: number };

export type DialogEvent =
  | Stamped<{ type: 'ROUTE' } & RouteFields>
  | Stamped<{ type: 'VISITOR_MESSAGE' }>
  | Stamped<{ type: 'OPERATOR_MESSAGE'; operatorId: string }>
  /** `groupId`: the queue the assignment was taken from, when it came from one. */
  | Stamped<{ type: 'ASSIGNED'; operatorId: string; groupId?: string }>
  | Stamped<{ type: 'OFFERED'; operatorId: string; groupId?: string }>
  | Stamped<{ type: 'OFFER_DECLINED'; operatorId: string; reason: 'declined' | 'expired' }>
  /**
   * The holder went offline past the presence grace (or past his group's keep time), or was
   * deactivated: the store has already put the dialog back at its queue place.
   */
  | Stamped<{ type: 'HOLDER_GONE'; operatorId: string }>
  | Stamped<{ type: 'THRESHOLD'; key: string } & ThresholdFacts>
  | Stamped<{ type: 'CONTACT_LEFT'; contact: { kind: 'phone' | 'email'; value: string } }>
  | Stamped<{ type: 'OPERATORS_AVAILABLE' }>
  | Stamped<{ type: 'OPERATORS_GONE' }>
  | Stamped<{ type: 'TRANSFER_TO_GROUP'; groupId: string; fallbackChain: string[] }>
  | Stamped<{ type: 'TRANSFERRED'; toOperatorId: string }>
  | Stamped<{ type: 'LEAD_PICKED'; operatorId: string }>
  | Stamped<{ type: 'CLOSE'; by: 'visitor' | 'operator' | 'system'; outcome: string }>
  | Stamped<{ type: 'REOPEN' } & RouteFields>;

export type DialogEventType = DialogEvent['type'];

export type AutoMessageKind =
  | 'offline-reply'
  | 'contact-thanks'
  | 'unanswered'
  | 'ask-contact'
  | 'queue-position'
  | 'queue-offer-contact';

/** The effects the machine asks for; DialogService performs them after the snapshot is committed. */
export type DialogEffect =
  | { type: 'enqueue' }
  | { type: 'dequeue' }
  | { type: 'releaseHolder' }
  | { type: 'sendAutoMessage'; kind: AutoMessageKind; key: string }
  | { type: 'dispatchAssignments'; groupId: string }
  | { type: 'notifyLead' };

const timing = (context: DialogContext) => ({
  firstVisitorMessageAt: context.firstVisitorMessageAt ?? undefined,
  lastVisitorMessageAt: context.lastVisitorMessageAt ?? undefined,
  lastOperatorMessageAt: context.lastOperatorMessageAt ?? undefined,
  queuedAt: context.queuedAt ?? undefined,
  assignedAt: context.assignedAt ?? undefined,
  offlineSince: context.offlineSince ?? undefined,
  fired: context.fired,
});

const plansToTimers = (plan: ThresholdPlan | null, reroute = false): Record<string, PendingTimer> =>
  plan
    ? {
        [plan.key]: {
          dueAt: plan.dueAt,
          kind: plan.kind,
          ...(reroute && plan.kind === 'unanswered' ? { reroute } : {}),
        },
      }
    : {};

const thresholdFacts = (event: DialogEvent): ThresholdFacts => (event.type === 'THRESHOLD' ? event : {});

const withoutRerouteChecks = (timers: Record<string, PendingTimer>) =>
  Object.fromEntries(Object.entries(timers).filter(([, t]) => t.kind !== 'reroute-check'));
const rerouteChecks = (timers: Record<string, PendingTimer>) =>
  Object.fromEntries(Object.entries(timers).filter(([, t]) => t.kind === 'reroute-check'));

/** When the holder last showed he was at work on the dialog: typing, or a message of his (not a previous holder's). */
const holderActiveAt = (context: DialogContext, event: DialogEvent): number | null => {
  const ownMessageAt =
    context.lastOperatorMessageAt !== null &&
    context.assignedAt !== null &&
    context.lastOperatorMessageAt >= context.assignedAt
      ? context.lastOperatorMessageAt
      : null;
  const times = [thresholdFacts(event).holderTypingAt, ownMessageAt].filter(
    (t): t is number => typeof t === 'number',
  );
  return times.length ? Math.max(...times) : null;
};

const firedKind = (context: DialogContext, event: DialogEvent) =>
  event.type === 'THRESHOLD' ? context.timers[event.key]?.kind : undefined;

export function createDialogMachine(policy: DialogPolicy) {
  /** The next threshold for the dialog in the given phase, as the timers record. */
  const planFor = (
    phase: 'offline' | 'queued' | 'assigned' | 'active',
    context: DialogContext,
    now: number,
  ) => {
    if (phase === 'assigned' || phase === 'active') {
      if (context.unansweredSent > 0 && !policy.unansweredRepeat(context.groupId)) return {};
    }
    return plansToTimers(
      policy.nextThreshold(context.groupId, { phase, ...timing(context) }, now),
      phase === 'assigned' && policy.rerouteOnUnanswered(context.groupId),
    );
  };
  const graceMs = (groupId: string) => policy.unansweredGraceMs?.(groupId) ?? 15_000;
  /** The holder typed or wrote within the group's grace: his silence threshold waits for him. */
  const holderBusy = (context: DialogContext, event: DialogEvent) => {
    const at = holderActiveAt(context, event);
    return at !== null && event.now - at < graceMs(context.groupId);
  };
  const reroutes = (context: DialogContext, event: DialogEvent) =>
    event.type === 'THRESHOLD' &&
    event.key in context.timers &&
    policy.rerouteOnUnanswered(context.groupId) &&
    event.othersCanTake !== false;

  const toGroup = ({ context }: { context: DialogContext }) => ({ groupId: context.groupId });
  const autoMessage =
    (kind: AutoMessageKind) =>
    ({ event }: { event: DialogEvent }) => ({ kind, key: keyOf(event) });
  /** The silence auto-message (fired once per key), and the ask for a contact that may follow it. */
  const sayUnanswered = [
    'markFired',
    'markUnansweredSent',
    'markAutoAnswered',
    { type: 'sendAutoMessage', params: autoMessage('unanswered') },
  ] as const;
  const askContact = [
    'requestContact',
    {
      type: 'sendAutoMessage',
      params: ({ event }: { event: DialogEvent }) => ({
        kind: 'ask-contact' as const,
        key: `${keyOf(event)}:ask`,
      }),
    },
  ] as const;
  /** Held or offered dialog sent to another group: off its holder, into that group's queue. */
  const toAnotherGroup = ['clearOperator', 'moveToGroup', 'resetQueueClock'] as const;
  /** Its holder went away: back to its queue. */
  const holderGone = {
    guard: 'holder',
    target: 'queued',
    actions: ['clearOperator', 'resetQueueClock'],
  } as const;
  /** Ways out of holding shared by assigned and active. */
  const heldMoves = {
    HOLDER_GONE: holderGone,
    // The store's transferDialog script already moved the slot (in the transition's transaction).
    TRANSFER_TO_GROUP: { target: 'queued', actions: toAnotherGroup },
  } as const;
  /** The thanks for a contact the visitor left (keyed by when, so a second contact thanks again). */
  const thankForContact = {
    type: 'sendAutoMessage',
    params: ({ event }: { event: DialogEvent }) => ({
      kind: 'contact-thanks' as const,
      key: `contact-thanks:${event.now}`,
    }),
  } as const;
  /** Routed again (a reopen, a transfer back to routing): its queue when someone can serve it, else offline. */
  const rerouted = [
    { guard: 'canServe', target: 'queued', actions: ['applyRoute', 'clearOperator'] },
    { target: 'offline', actions: ['applyRoute', 'clearOperator'] },
  ] as const;
  /** A queue threshold that would tell "all busy" while someone with room may take it: assign instead. */
  const assignInstead = [
    'markFired',
    'replanQueued',
    { type: 'dispatchAssignments', params: toGroup },
  ] as const;
  /** A queue threshold that tells the visitor his place and wait. */
  const tellPosition = [
    'markFired',
    { type: 'sendAutoMessage', params: autoMessage('queue-position') },
    'replanQueued',
  ] as const;
  /** A waiting dialog's thresholds (queued, or offered meanwhile); `leave` takes it off its queue or offer. */
  const queueThresholds = (leave: readonly ('dequeue' | 'releaseHolder' | 'clearOperator')[]) =>
    [
      {
        guard: 'overflowDue',
        target: 'queued',
        reenter: true,
        actions: ['markFired', ...leave, 'overflowToFallback', 'resetQueueClock'],
      },
      {
        guard: 'widenDue',
        actions: ['markFired', 'widen', 'replanQueued', { type: 'dispatchAssignments', params: toGroup }],
      },
      {
        guard: 'offerContactButIdle',
        actions: assignInstead,
      },
      {
        guard: 'offerContactKnown',
        actions: tellPosition,
      },
      {
        guard: 'offerContactDue',
        actions: [
          'markFired',
          'requestContact',
          { type: 'sendAutoMessage', params: autoMessage('queue-offer-contact') },
          'replanQueued',
        ],
      },
      {
        guard: 'announceButIdle',
        actions: assignInstead,
      },
      {
        guard: 'announceDue',
        actions: tellPosition,
      },
      { guard: 'thresholdPending', actions: ['markFired', 'replanQueued'] },
    ] as const;

  return setup({
    types: {
      context: {} as DialogContext,
      events: {} as DialogEvent,
      input: {} as DialogInput,
    },
    guards: {
      canServe: ({ event }) =>
        (event.type === 'ROUTE' || event.type === 'REOPEN') &&
        event.operatorsOnline > 0 &&
        policy.groupOpen(event.groupId, event.now),
      isFirstVisitorMessage: ({ context }) => context.firstVisitorMessageAt === null,
      thresholdPending: ({ context, event }) => event.type === 'THRESHOLD' && event.key in context.timers,
      holder: ({ context, event }) => 'operatorId' in event && event.operatorId === context.operatorId,
      // A queue's assignment for a dialog that has moved to another group since (overflow, transfer)
      // is refused: the dispatcher gives the slot back and the dialog keeps waiting in its new group.
      fromItsQueue: ({ context, event }) =>
        !('groupId' in event) || event.groupId === undefined || event.groupId === context.groupId,
      hasContact: ({ context }) => context.contact !== null,
      // The holder is typing or just wrote: taking the dialog now would be unfair to him and to the visitor.
      holderBusy: ({ context, event }) =>
        event.type === 'THRESHOLD' && event.key in context.timers && holderBusy(context, event),
      // Reroute only when someone else may take the dialog; otherwise it would queue for him alone.
      rerouteAsking: ({ context, event }) => reroutes(context, event) && context.contact === null,
      rerouteOnUnanswered: ({ context, event }) => reroutes(context, event),
      unansweredAsking: ({ context, event }) =>
        event.type === 'THRESHOLD' && event.key in context.timers && context.contact === null,
      // A dialog kept by its only possible operator: someone else may take it now.
      rerouteCheckTakes: ({ context, event }) =>
        firedKind(context, event) === 'reroute-check' &&
        thresholdFacts(event).othersCanTake === true &&
        policy.rerouteOnUnanswered(context.groupId),
      rerouteCheckDue: ({ context, event }) => firedKind(context, event) === 'reroute-check',
      offlineButIdleEligible: ({ context, event }) =>
        event.type === 'THRESHOLD' &&
        event.key in context.timers &&
        event.idleEligible === true &&
        policy.groupOpen(context.groupId, event.now),
      offlineKnownContact: ({ context, event }) =>
        event.type === 'THRESHOLD' && event.key in context.timers && context.contact !== null,
      overflowDue: ({ context, event }) =>
        firedKind(context, event) === 'overflow' && policy.fallbackGroup(context.groupId) !== null,
      widenDue: ({ context, event }) =>
        firedKind(context, event) === 'widen' || firedKind(context, event) === 'overflow',
      offerContactDue: ({ context, event }) => firedKind(context, event) === 'queue-offer-contact',
      // "All busy" would be false: someone who may take the dialog has room.
      offerContactButIdle: ({ context, event }) =>
        firedKind(context, event) === 'queue-offer-contact' && thresholdFacts(event).idleEligible === true,
      // The contact is already known: tell the wait, do not ask again.
      offerContactKnown: ({ context, event }) =>
        firedKind(context, event) === 'queue-offer-contact' && context.contact !== null,
      announceDue: ({ context, event }) => firedKind(context, event) === 'queue-position',
      // "You are number N in the queue" while someone with room may take it: assign instead.
      announceButIdle: ({ context, event }) =>
        firedKind(context, event) === 'queue-position' && thresholdFacts(event).idleEligible === true,
      visitorLeftUnanswered: ({ context, event }) =>
        event.type === 'CLOSE' && event.by === 'visitor' && context.firstHumanResponseAt === null,
    },
    actions: {
      // Effects: bodies live in DialogService; here they are names with params.
      enqueue: () => {},
      dequeue: () => {},
      /** Frees the slot of whoever held the dialog before this transition. */
      releaseHolder: () => {},
      sendAutoMessage: (_, _params: { kind: AutoMessageKind; key: string }) => {},
      dispatchAssignments: (_, _params: { groupId: string }) => {},
      notifyLead: () => {},
      resetQueueClock: assign({ queuedAt: null }),

      applyRoute: assign(({ event }) => {
        assertEvent(event, ['ROUTE', 'REOPEN']);
        return {
          groupId: event.groupId,
          topicId: event.topicId ?? null,
          regionId: event.regionId ?? null,
          priority: event.priority,
          fallbackChain: event.fallbackChain,
          closedAt: null,
          outcome: null,
          queuedAt: null,
          widened: false,
        };
      }),
      markQueued: assign(({ context, event }) => {
        const queuedAt = context.queuedAt ?? event.now;
        return { queuedAt, timers: planFor('queued', { ...context, queuedAt }, event.now) };
      }),
      planOffline: assign(({ context, event }) => ({
        offlineSince: event.now,
        timers: planFor('offline', { ...context, offlineSince: event.now }, event.now),
      })),
      recordVisitorMessage: assign(({ context, event }) => {
        const next = {
          ...context,
          firstVisitorMessageAt: context.firstVisitorMessageAt ?? event.now,
          lastVisitorMessageAt: event.now,
        };
        return {
          firstVisitorMessageAt: next.firstVisitorMessageAt,
          lastVisitorMessageAt: next.lastVisitorMessageAt,
        };
      }),
      replanOffline: assign(({ context, event }) => ({ timers: planFor('offline', context, event.now) })),
      replanQueued: assign(({ context, event }) => ({ timers: planFor('queued', context, event.now) })),
      replanHeld: assign(({ context, event }) => {
        const phase = context.firstHumanResponseAt === null ? 'assigned' : 'active';
        // A pending reroute check outlives new visitor messages while nobody has answered.
        const checks = phase === 'assigned' ? rerouteChecks(context.timers) : {};
        return { timers: { ...checks, ...planFor(phase, context, event.now) } };
      }),
      /**
       * The dialog stayed with its holder because nobody else could take it: look again after the grace,
       * so it moves as soon as someone can (the visitor has been told already; the check says nothing).
       */
      planRerouteCheck: assign(({ context, event }) => {
        assertEvent(event, 'THRESHOLD');
        if (event.othersCanTake !== false) return {};
        if (!policy.rerouteOnUnanswered(context.groupId)) return {};
        const check: PendingTimer = {
          dueAt: event.now + graceMs(context.groupId),
          kind: 'reroute-check',
          reroute: true,
        };
        return { timers: { ...context.timers, [`reroute-check:${event.now}`]: check } };
      }),
      recordOperatorMessage: assign(({ context, event }) => ({
        lastOperatorMessageAt: event.now,
        firstHumanResponseAt: context.firstHumanResponseAt ?? event.now,
      })),
      markAssigned: assign(({ context, event }) => {
        assertEvent(event, ['ASSIGNED', 'LEAD_PICKED', 'TRANSFERRED']);
        const operatorId = event.type === 'TRANSFERRED' ? event.toOperatorId : event.operatorId;
        // A new holder gets his own fair threshold: checks planned for the previous one are dropped.
        return {
          operatorId,
          assignedAt: event.now,
          excludedOperatorIds: [],
          excludedAt: {},
          timers: withoutRerouteChecks(context.timers),
        };
      }),
      markOffered: assign(({ event }) => {
        assertEvent(event, 'OFFERED');
        return { operatorId: event.operatorId };
      }),
      excludeOperator: assign(({ context, event }) => ({
        excludedOperatorIds: context.operatorId
          ? [...context.excludedOperatorIds, context.operatorId]
          : context.excludedOperatorIds,
        excludedAt: context.operatorId
          ? { ...(context.excludedAt ?? {}), [context.operatorId]: event.now }
          : (context.excludedAt ?? {}),
        operatorId: null,
      })),
      /** Moves the due threshold to the end of the holder's grace; nothing fires now. */
      deferThreshold: assign(({ context, event }) => {
        assertEvent(event, 'THRESHOLD');
        const timer = context.timers[event.key];
        const at = holderActiveAt(context, event);
        if (!timer || at === null) return {};
        const dueAt = Math.max(event.now + 1, at + graceMs(context.groupId));
        return { timers: { ...context.timers, [event.key]: { ...timer, dueAt } } };
      }),
      clearOperator: assign({ operatorId: null }),
      markFired: assign(({ context, event }) => {
        assertEvent(event, 'THRESHOLD');
        const { [event.key]: _, ...rest } = context.timers;
        return { fired: [...context.fired, event.key], timers: rest };
      }),
      /** Removes the due timer without recording it in `fired` (reroute checks recur; `fired` need not grow). */
      dropTimer: assign(({ context, event }) => {
        assertEvent(event, 'THRESHOLD');
        const { [event.key]: _, ...rest } = context.timers;
        return { timers: rest };
      }),
      markAutoAnswered: assign(({ context, event }) => ({
        firstAutoResponseAt: context.firstAutoResponseAt ?? event.now,
      })),
      markUnansweredSent: assign(({ context }) => ({ unansweredSent: context.unansweredSent + 1 })),
      requestContact: assign({ contactRequested: true }),
      saveContact: assign(({ event }) => {
        assertEvent(event, 'CONTACT_LEFT');
        return { contact: event.contact, contactRequested: false };
      }),
      widen: assign({ widened: true }),
      overflowToFallback: assign(({ context }) => {
        const fallback = policy.fallbackGroup(context.groupId);
        return fallback
          ? { groupId: fallback, fallbackChain: context.fallbackChain.filter((g) => g !== fallback) }
          : {};
      }),
      moveToGroup: assign(({ event }) => {
        assertEvent(event, 'TRANSFER_TO_GROUP');
        return { groupId: event.groupId, fallbackChain: event.fallbackChain };
      }),
      clearTimers: assign({ timers: {} }),
      markClosed: assign(({ event }) => ({
        closedAt: event.now,
        outcome: event.type === 'CLOSE' ? event.outcome : null,
        timers: {},
      })),
    },
  }).createMachine({
    id: 'dialog',
    initial: 'created',
    // xstate's pure transition() builds a throwaway actor without input: a missing input must not
    // throw there (a thrown TypeError per transition cost ~90 µs of stack capture).
    context: ({ input }: { input: DialogInput | undefined }) => ({
      dialogId: input?.dialogId ?? '',
      kind: input?.kind ?? 'chat',
      groupId: '',
      topicId: null,
      regionId: null,
      priority: 0,
      fallbackChain: [],
      operatorId: null,
      createdAt: input?.now ?? 0,
      queuedAt: null,
      assignedAt: null,
      closedAt: null,
      firstVisitorMessageAt: null,
      lastVisitorMessageAt: null,
      lastOperatorMessageAt: null,
      firstHumanResponseAt: null,
      firstAutoResponseAt: null,
      contact: null,
      contactRequested: false,
      widened: false,
      unansweredSent: 0,
      fired: [],
      timers: {},
      excludedOperatorIds: [],
      excludedAt: {},
      outcome: null,
    }),
    on: {
      // A visitor may leave a contact in any open state; the thanks follows wherever he is.
      CONTACT_LEFT: {
        actions: [
          'saveContact',
          {
            type: 'sendAutoMessage',
            params: ({ event }) => ({ kind: 'contact-thanks', key: `contact-thanks:${event.now}` }),
          },
        ],
      },
    },
    states: {
      created: {
        on: {
          ROUTE: [
            { guard: 'canServe', target: 'queued', actions: ['applyRoute'] },
            { target: 'offline', actions: ['applyRoute'] },
          ],
          VISITOR_MESSAGE: { actions: 'recordVisitorMessage' },
          CLOSE: { target: 'abandoned', actions: 'markClosed' },
        },
      },
      queued: {
        entry: [
          'markQueued',
          'enqueue',
          { type: 'dispatchAssignments', params: ({ context }) => ({ groupId: context.groupId }) },
        ],
        on: {
          VISITOR_MESSAGE: { actions: 'recordVisitorMessage' },
          ASSIGNED: { guard: 'fromItsQueue', target: 'assigned', actions: 'markAssigned' },
          OFFERED: { guard: 'fromItsQueue', target: 'offered', actions: 'markOffered' },
          OPERATORS_GONE: { target: 'offline', actions: 'dequeue' },
          TRANSFER_TO_GROUP: {
            target: 'queued',
            reenter: true,
            actions: ['dequeue', 'moveToGroup', 'resetQueueClock'],
          },
          THRESHOLD: queueThresholds(['dequeue']),
          CLOSE: [
            { guard: 'hasContact', target: 'lead', actions: ['dequeue', 'clearTimers', 'notifyLead'] },
            { target: 'abandoned', actions: ['dequeue', 'markClosed'] },
          ],
        },
      },
      offered: {
        on: {
          VISITOR_MESSAGE: { actions: 'recordVisitorMessage' },
          // Unguarded: after a routing-state rebuild an offer may be re-made to someone else.
          ASSIGNED: { target: 'assigned', actions: 'markAssigned' },
          OFFERED: { target: 'offered', reenter: true, actions: 'markOffered' },
          OFFER_DECLINED: { guard: 'holder', target: 'queued', actions: 'excludeOperator' },
          HOLDER_GONE: holderGone,
          // The queue's steps go on while an offer is pending (an offer may be re-made for a long time):
          // an overflow withdraws the offer.
          THRESHOLD: queueThresholds(['releaseHolder', 'clearOperator']),
          CLOSE: [
            {
              guard: 'hasContact',
              target: 'lead',
              actions: ['releaseHolder', 'clearOperator', 'clearTimers', 'notifyLead'],
            },
            {
              target: 'abandoned',
              actions: ['releaseHolder', 'clearOperator', 'markClosed'],
            },
          ],
        },
      },
      assigned: {
        entry: ['replanHeld'],
        on: {
          VISITOR_MESSAGE: { actions: ['recordVisitorMessage', 'replanHeld'] },
          OPERATOR_MESSAGE: { guard: 'holder', target: 'active', actions: 'recordOperatorMessage' },
          THRESHOLD: [
            { guard: 'holderBusy', actions: 'deferThreshold' },
            {
              guard: 'rerouteCheckTakes',
              target: 'queued',
              actions: ['dropTimer', 'releaseHolder', 'excludeOperator', 'resetQueueClock'],
            },
            { guard: 'rerouteCheckDue', actions: ['dropTimer', 'planRerouteCheck'] },
            {
              guard: 'rerouteAsking',
              target: 'queued',
              actions: [
                ...sayUnanswered,
                ...askContact,
                'releaseHolder',
                'excludeOperator',
                'resetQueueClock',
              ],
            },
            {
              guard: 'rerouteOnUnanswered',
              target: 'queued',
              actions: [...sayUnanswered, 'releaseHolder', 'excludeOperator', 'resetQueueClock'],
            },
            {
              guard: 'unansweredAsking',
              actions: [...sayUnanswered, ...askContact, 'replanHeld', 'planRerouteCheck'],
            },
            {
              guard: 'thresholdPending',
              actions: [...sayUnanswered, 'replanHeld', 'planRerouteCheck'],
            },
          ],
          ...heldMoves,
          TRANSFERRED: {
            target: 'assigned',
            reenter: true,
            actions: ['markAssigned'],
          },
          CLOSE: [
            {
              guard: 'visitorLeftUnanswered',
              target: 'abandoned',
              actions: ['releaseHolder', 'markClosed'],
            },
            {
              target: 'closed',
              actions: ['releaseHolder', 'markClosed'],
            },
          ],
        },
      },
      active: {
        entry: ['replanHeld'],
        on: {
          VISITOR_MESSAGE: { actions: ['recordVisitorMessage', 'replanHeld'] },
          OPERATOR_MESSAGE: { guard: 'holder', actions: ['recordOperatorMessage', 'replanHeld'] },
          THRESHOLD: [
            // He is typing his answer: "sorry for the wait" can wait for the grace.
            { guard: 'holderBusy', actions: 'deferThreshold' },
            {
              guard: 'unansweredAsking',
              actions: [...sayUnanswered, ...askContact, 'replanHeld'],
            },
            {
              guard: 'thresholdPending',
              actions: [...sayUnanswered, 'replanHeld'],
            },
          ],
          ...heldMoves,
          TRANSFERRED: {
            target: 'assigned',
            actions: ['markAssigned'],
          },
          CLOSE: {
            target: 'closed',
            actions: ['releaseHolder', 'markClosed'],
          },
        },
      },
      offline: {
        entry: ['planOffline'],
        on: {
          VISITOR_MESSAGE: [
            { guard: 'isFirstVisitorMessage', actions: ['recordVisitorMessage', 'replanOffline'] },
            { actions: 'recordVisitorMessage' },
          ],
          THRESHOLD: [
            // Someone may serve the dialog after all: route it instead of saying "offline".
            { guard: 'offlineButIdleEligible', target: 'queued', actions: 'clearTimers' },
            // The contact is known (a reopened dialog): the reply must not ask for it again.
            {
              guard: 'offlineKnownContact',
              target: 'lead',
              actions: [
                'markFired',
                'markAutoAnswered',
                {
                  type: 'sendAutoMessage',
                  params: ({ event }) => ({ kind: 'contact-thanks', key: keyOf(event) }),
                },
                'clearTimers',
                'notifyLead',
              ],
            },
            {
              guard: 'thresholdPending',
              target: 'awaiting-contact',
              actions: [
                'markFired',
                'requestContact',
                'markAutoAnswered',
                {
                  type: 'sendAutoMessage',
                  params: ({ event }) => ({ kind: 'offline-reply', key: keyOf(event) }),
                },
              ],
            },
          ],
          CONTACT_LEFT: {
            target: 'lead',
            actions: ['saveContact', thankForContact, 'clearTimers', 'notifyLead'],
          },
          OPERATORS_AVAILABLE: { target: 'queued', actions: 'clearTimers' },
          CLOSE: { target: 'abandoned', actions: 'markClosed' },
        },
      },
      'awaiting-contact': {
        on: {
          VISITOR_MESSAGE: { actions: 'recordVisitorMessage' },
          CONTACT_LEFT: {
            target: 'lead',
            actions: ['saveContact', thankForContact, 'notifyLead'],
          },
          OPERATORS_AVAILABLE: { target: 'queued' },
          CLOSE: { target: 'abandoned', actions: 'markClosed' },
        },
      },
      lead: {
        on: {
          VISITOR_MESSAGE: { actions: 'recordVisitorMessage' },
          CONTACT_LEFT: { actions: 'saveContact' },
          LEAD_PICKED: { target: 'assigned', actions: 'markAssigned' },
          // The visitor leaving does not end a lead: it waits for the operator's follow-up.
          CLOSE: { guard: ({ event }) => event.by !== 'visitor', target: 'closed', actions: 'markClosed' },
        },
      },
      closed: {
        on: {
          REOPEN: [...rerouted],
        },
      },
      abandoned: {
        on: {
          REOPEN: [...rerouted],
        },
      },
    },
  });
}

const keyOf = (event: DialogEvent) => (event.type === 'THRESHOLD' ? event.key : `${event.type}:${event.now}`);

export type DialogMachine = ReturnType<typeof createDialogMachine>;

type DialogSnapshot = SnapshotFrom<DialogMachine>;
type DialogAction = ExecutableActionsFrom<DialogMachine>;
type InertScope = ActorScope<DialogSnapshot, EventFrom<DialogMachine>>;

/**
 * One inert actor scope per machine, shared by every pure transition. xstate's `transition()` and
 * `initialTransition()` build a throwaway actor per call, and an actor computes the machine's initial
 * snapshot as it is made (~25 µs, most of a transition's cost). The machine spawns and invokes
 * nothing, so the scope keeps no state from one call to the next; the calls are synchronous.
 */
const inertScopes = new WeakMap<DialogMachine, { scope: InertScope; actions: DialogAction[] }>();

function inertScope(machine: DialogMachine) {
  let found = inertScopes.get(machine);
  if (!found) {
    const self = createActor(machine, { input: { dialogId: '', kind: 'chat', now: 0 } });
    const actions: DialogAction[] = [];
    const scope: InertScope = {
      self,
      id: '',
      sessionId: '',
      system: self.system,
      defer: () => {},
      logger: () => {},
      emit: () => {},
      stopChild: () => {},
      // xstate hands the executor each action of the step: collected, not run (they are DialogEffects).
      actionExecutor: (action) => {
        found?.actions.push(action as DialogAction);
      },
    };
    found = { scope, actions };
    inertScopes.set(machine, found);
  }
  found.actions = [];
  return found;
}

/** xstate's pure `transition(machine, snapshot, event)`, without its throwaway actor. */
export function transition(
  machine: DialogMachine,
  snapshot: DialogSnapshot,
  event: DialogEvent,
): [DialogSnapshot, DialogAction[]] {
  const inert = inertScope(machine);
  const next = machine.transition(snapshot, event, inert.scope);
  return [next, inert.actions];
}

/** xstate's pure `initialTransition(machine, input)`, without its throwaway actor. */
export function initialTransition(
  machine: DialogMachine,
  input: DialogInput,
): [DialogSnapshot, DialogAction[]] {
  const inert = inertScope(machine);
  const first = machine.getInitialSnapshot(inert.scope, input);
  return [first, inert.actions];
}
