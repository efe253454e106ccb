import type { Knex } from 'knex';
import { initialTransition, transition } from 'xstate';
import { AppError, conflict, notFound } from '../errors';
import type { Locks } from '../locks/dialog-locks';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { MessageView } from '../protocol/events';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository, DialogRow, NewMessage } from '../storage/dialog-repository';
import {
  type AutoMessageKind,
  createDialogMachine,
  type DialogContext,
  type DialogEffect,
  type DialogEvent,
  type DialogMachine,
} from './dialog-machine';
import { stateName } from './dialog-views';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type DialogEventInput = DistributiveOmit<DialogEvent, 'now'>;

export interface PersistedDialog {
  value: string;
  context: DialogContext;
}

export interface DispatchResult {
  accepted: boolean;
  state: string;
  context: DialogContext;
  row: DialogRow;
  messages: MessageView[];
}

export interface DispatchHooks {
  /** Writes that must commit atomically with the transition (e.g. the visitor's message). */
  inTransaction?: (trx: Knex.Transaction, context: DialogContext) => Promise<void>;
  /**
   * Runs first in the transaction (it may take row locks, e.g. the visitor's); when it returns false
   * nothing is written and the event is not accepted (`dispatch`) or the dialog not created (`create`).
   */
  guard?: (trx: Knex.Transaction) => Promise<boolean>;
}

/** A dialog about to be created: its row's fixed columns (the rest follows from the machine). */
export interface NewDialog {
  id: string;
  visitorId: string;
  siteId: string;
  kind: 'chat' | 'callback';
  locale: string;
  page: { url: string; title?: string | undefined; referrer?: string | undefined } | null;
  callback: { phone: string; preferredTime?: string | undefined } | null;
  previousDialogId: string | null;
}

/** `guard` false: `create` returns null (e.g. the visitor opened another dialog meanwhile). */
export type CreateHooks = DispatchHooks;

/** What the service reports after a committed transition; the realtime layer turns it into pushes. */
export interface DialogListener {
  onTransition(change: {
    dialogId: string;
    row: DialogRow;
    from: string;
    to: string;
    previous: DialogContext;
    context: DialogContext;
    event: DialogEvent;
    autoMessages: MessageView[];
    effects: DialogEffect[];
  }): void;
}

/** What the service hands to the assignment dispatcher. */
export interface RoutingHandoff {
  /** The dialog enters its group's queue (and may be assigned at once). */
  arrive(context: DialogContext, locale: string | null): Promise<void>;
  /** Capacity may have appeared in this group: assign what waits. */
  trigger(groupId: string): void;
}

const EFFECT_TYPES = new Set([
  'enqueue',
  'dequeue',
  'releaseHolder',
  'sendAutoMessage',
  'dispatchAssignments',
  'notifyLead',
]);

/**
 * Runs dialog events: load snapshot → pure transition → one transaction (version-checked snapshot,
 * auto-messages, event log) → routing effects (queues, timers) → notifications.
 * Any node may run any dialog's events; the per-dialog lock only avoids wasted retries.
 */
export class DialogService {
  private machineCache: { version: number; machine: DialogMachine } | null = null;
  /**
   * Testability hook (the simulation's crash points): called after a transition's transaction has
   * committed and before its effects on the routing store; throwing there is a node dying in between.
   */
  afterCommit: ((dialogId: string, event: DialogEventInput) => void) | null = null;

  constructor(
    private readonly deps: {
      repo: DialogRepository;
      store: RoutingStore;
      locks: Locks;
      decisions: () => RoutingDecisions;
      metrics: Metrics;
      logger: Logger;
      nodeId: string;
      clock: () => number;
      /** Where arriving dialogs go and who assigns when capacity appears (the assignment dispatcher). */
      routing: RoutingHandoff;
      /** Who hears of each committed transition (the realtime layer subscribes there). */
      listener: DialogListener;
    },
  ) {}

  machine(): DialogMachine {
    const decisions = this.deps.decisions();
    if (this.machineCache?.version !== decisions.version) {
      this.machineCache = { version: decisions.version, machine: createDialogMachine(decisions.policy) };
    }
    return this.machineCache.machine;
  }

  /** A new dialog's first snapshot ('created'); routing follows with a ROUTE event. */
  initialSnapshot(dialogId: string, kind: 'chat' | 'callback', now: number): PersistedDialog {
    const [snapshot] = initialTransition(this.machine(), { dialogId, kind, now });
    return { value: String(snapshot.value), context: snapshot.context };
  }

  /**
   * Creates a dialog already past `created`: `events` (the first message, then ROUTE) are run with the
   * pure transition from the initial snapshot, and the row, its event log, auto-messages and
   * `hooks.inTransaction` (page, first message) commit in one transaction. Then the routing effects
   * run as after `dispatch`. `created` is never stored, so no crash leaves a dialog there; a crash (or
   * a failing effect) after the commit leaves a `queued` or `offline` dialog whose queue entry or timers
   * the reconciler restores. Throws `internal` if the machine refuses one of the events.
   */
  async create(
    dialog: NewDialog,
    events: DialogEventInput[],
    hooks: CreateHooks = {},
  ): Promise<DispatchResult | null> {
    const { repo, logger } = this.deps;
    const machine = this.machine();
    const now = this.deps.clock();
    let [snapshot] = initialTransition(machine, { dialogId: dialog.id, kind: dialog.kind, now });
    const initial = snapshot.context;
    const steps: { event: DialogEvent; from: string; to: string }[] = [];
    const effects: DialogEffect[] = [];
    for (const input of events) {
      const event = { ...input, now } as DialogEvent;
      if (!snapshot.can(event)) throw new AppError('internal', `a new dialog cannot take ${event.type}`);
      const [next, actions] = transition(machine, snapshot, event);
      effects.push(...toEffects(actions));
      steps.push({ event, from: String(snapshot.value), to: String(next.value) });
      snapshot = next;
    }
    const to = String(snapshot.value);
    const context = snapshot.context;
    const version = 1 + steps.length;

    const outcome = await repo.db.transaction(async (trx) => {
      if (hooks.guard && !(await hooks.guard(trx))) return null;
      await repo.insertDialog(
        {
          id: dialog.id,
          visitor_id: dialog.visitorId,
          site_id: dialog.siteId,
          kind: dialog.kind,
          locale: dialog.locale,
          page: dialog.page,
          callback: dialog.callback,
          previous_dialog_id: dialog.previousDialogId,
          version,
          ...columnsFor(to, context, { rating: null }),
          state: stateName(to),
          snapshot: { value: to, context } satisfies PersistedDialog,
        },
        trx,
      );
      for (const [i, step] of steps.entries()) {
        await repo.recordEvent(trx, {
          dialogId: dialog.id,
          version: i + 2,
          type: step.event.type,
          fromState: step.from,
          toState: step.to,
          payload: step.event,
          nodeId: this.deps.nodeId,
        });
      }
      const row = (await repo.findDialog(dialog.id, trx))!;
      const messages: MessageView[] = [];
      for (const draft of await this.draftAutoMessages(effects, context, row)) {
        const { message, created } = await repo.insertMessage(trx, draft);
        if (created) messages.push(message);
      }
      await hooks.inTransaction?.(trx, context);
      return { row, messages };
    });
    if (outcome === null) return null;
    const lastEvent = events.at(-1);
    if (lastEvent) this.afterCommit?.(dialog.id, lastEvent);
    const { row, messages } = outcome;
    try {
      await this.performEffects(dialog.id, initial, context, effects, messages, row.locale);
    } catch (error) {
      // Committed: the visitor's dialog exists. The reconciler requeues it and re-arms its timers.
      logger.warn(
        { err: error, dialogId: dialog.id },
        'routing a new dialog failed after its commit; left to the reconciler',
      );
    }
    const last = steps.at(-1);
    if (last) {
      this.deps.listener.onTransition({
        dialogId: dialog.id,
        row,
        from: 'created',
        to,
        previous: initial,
        context,
        event: last.event,
        autoMessages: messages,
        effects,
      });
    }
    return { accepted: true, state: to, context, row, messages };
  }

  /**
   * `input` may be a function of the dialog as loaded under its lock (each retry loads it again): the
   * timer worker uses it to attach facts observed for this very state (who may take the dialog, the
   * holder typing) to THRESHOLD, so the machine's guards stay pure.
   */
  async dispatch(
    dialogId: string,
    input:
      | DialogEventInput
      | ((loaded: { state: string; context: DialogContext; row: DialogRow }) => Promise<DialogEventInput>),
    hooks: DispatchHooks = {},
  ): Promise<DispatchResult> {
    const { repo, locks } = this.deps;
    return locks.withLock(`dialog:${dialogId}`, async () => {
      for (let attempt = 0; attempt < 25; attempt++) {
        // Only without the lock (lost, expired) do writers collide; spread their retries out.
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
        const row = await repo.findDialog(dialogId);
        if (!row) throw notFound('dialog');
        const persisted = parseSnapshot(row.snapshot);
        const machine = this.machine();
        const snapshot = machine.resolveState({
          value: persisted.value,
          context: persisted.context,
        } as Parameters<DialogMachine['resolveState']>[0]);
        const resolved =
          typeof input === 'function'
            ? await input({ state: persisted.value, context: persisted.context, row })
            : input;
        const event = { ...resolved, now: this.deps.clock() } as DialogEvent;
        if (!snapshot.can(event)) {
          return { accepted: false, state: persisted.value, context: persisted.context, row, messages: [] };
        }
        const [next, actions] = transition(machine, snapshot, event);
        const effects = actions
          .filter((a) => EFFECT_TYPES.has(a.type))
          .map((a) => ({ type: a.type, ...(a.params as object | undefined) }) as DialogEffect);
        const to = String(next.value);
        const context = next.context;
        const autoDrafts = await this.draftAutoMessages(effects, context, row);

        const outcome = await repo.db.transaction(async (trx) => {
          if (hooks.guard && !(await hooks.guard(trx))) return 'refused' as const;
          const saved = await repo.saveTransition(trx, dialogId, row.version, columnsFor(to, context, row));
          if (!saved) return null;
          await repo.recordEvent(trx, {
            dialogId,
            version: row.version + 1,
            type: event.type,
            fromState: persisted.value,
            toState: to,
            payload: event,
            nodeId: this.deps.nodeId,
          });
          const messages: MessageView[] = [];
          for (const draft of autoDrafts) {
            const { message, created } = await repo.insertMessage(trx, draft);
            if (created) messages.push(message);
          }
          await hooks.inTransaction?.(trx, context);
          return messages;
        });
        if (outcome === null) continue; // someone else wrote first: reload and decide again
        if (outcome === 'refused')
          return { accepted: false, state: persisted.value, context: persisted.context, row, messages: [] };
        this.afterCommit?.(dialogId, resolved);
        const updatedRow = {
          ...row,
          version: row.version + 1,
          state: stateName(to),
          operator_id: context.operatorId,
          group_id: context.groupId || null,
        };
        await this.performEffects(dialogId, persisted.context, context, effects, outcome, row.locale);
        this.deps.listener.onTransition({
          dialogId,
          row: updatedRow,
          from: persisted.value,
          to,
          previous: persisted.context,
          context,
          event,
          autoMessages: outcome,
          effects,
        });
        return { accepted: true, state: to, context, row: updatedRow, messages: outcome };
      }
      throw conflict('the dialog kept changing concurrently; retry');
    });
  }

  /**
   * Runs the event and stores a visitor's or operator's message in the same transaction, so the message
   * exists exactly when the transition does. `stored` is null when the event was not accepted.
   */
  async dispatchWithMessage(
    dialogId: string,
    input: DialogEventInput,
    message: NewMessage,
  ): Promise<{ result: DispatchResult; stored: MessageView | null }> {
    let stored: MessageView | null = null;
    const result = await this.dispatch(dialogId, input, {
      inTransaction: async (trx) => {
        stored = (await this.deps.repo.insertMessage(trx, message)).message;
      },
    });
    return { result, stored: result.accepted ? stored : null };
  }

  /** Renders the texts now (positions and names are read outside the transaction). */
  private async draftAutoMessages(effects: DialogEffect[], context: DialogContext, row: DialogRow) {
    const drafts = [];
    for (const effect of effects) {
      if (effect.type !== 'sendAutoMessage') continue;
      const decisions = this.deps.decisions();
      const position = await this.deps.store.position(context.dialogId);
      const eta = position ? await this.estimate(context.groupId, position.position) : null;
      const visitor = await this.deps.repo.findVisitor(row.visitor_id);
      const rendered = decisions.autoMessage(context.groupId, effect.kind as AutoMessageKind, row.locale, {
        visitorName: visitor?.name ?? null,
        position: position?.position ?? null,
        etaMinutes: eta?.minutes ?? null,
      });
      drafts.push({
        dialogId: context.dialogId,
        authorKind: 'auto' as const,
        autoKind: effect.kind,
        autoKey: effect.key,
        body: rendered.text,
        authorName: rendered.authorName,
        authorAvatarUrl: rendered.authorAvatarUrl,
      });
    }
    return drafts;
  }

  async estimate(groupId: string, position: number) {
    const decisions = this.deps.decisions();
    const operators = await this.deps.store.listOperators(groupId);
    const capacity = operators.filter((o) => o.status === 'online').reduce((sum, o) => sum + o.limit, 0);
    const samples = await this.deps.repo.recentHandleTimesMs(groupId);
    return decisions.estimateWait(position, capacity, samples);
  }

  private async performEffects(
    dialogId: string,
    previous: DialogContext,
    context: DialogContext,
    effects: DialogEffect[],
    autoMessages: MessageView[],
    locale: string | null,
  ) {
    const { store, metrics } = this.deps;
    const groups = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'enqueue':
          await this.deps.routing.arrive(context, locale);
          groups.add(context.groupId);
          break;
        case 'dequeue':
          await store.dequeue(dialogId);
          groups.add(previous.groupId);
          break;
        case 'releaseHolder':
          if (previous.operatorId && (await store.release(dialogId, previous.operatorId))) {
            const operator = await store.getOperator(previous.operatorId);
            for (const g of operator?.groups ?? []) groups.add(g.groupId);
          }
          break;
        case 'dispatchAssignments':
          groups.add(effect.groupId);
          break;
        default:
          break;
      }
    }
    for (const message of autoMessages) metrics.autoMessages.inc({ kind: message.autoKind ?? 'unknown' });
    if (
      previous.firstAutoResponseAt === null &&
      context.firstAutoResponseAt !== null &&
      context.firstVisitorMessageAt !== null
    ) {
      metrics.firstResponse.observe(
        { kind: 'auto' },
        (context.firstAutoResponseAt - context.firstVisitorMessageAt) / 1000,
      );
    }
    await this.syncTimers(dialogId, previous.timers, context.timers);
    for (const groupId of groups) if (groupId) this.deps.routing.trigger(groupId);
  }

  /** Mirrors the snapshot's pending thresholds into the durable timer store. */
  private async syncTimers(
    dialogId: string,
    before: DialogContext['timers'],
    after: DialogContext['timers'],
  ) {
    const { store } = this.deps;
    for (const key of Object.keys(before)) if (!(key in after)) await store.cancelTimer(dialogId, key);
    for (const [key, timer] of Object.entries(after)) {
      if (before[key]?.dueAt !== timer.dueAt)
        await store.scheduleTimer({ dialogId, key, dueAt: timer.dueAt });
    }
  }
}

export function parseSnapshot(raw: unknown): PersistedDialog {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as PersistedDialog) : (raw as PersistedDialog);
  if (!value || typeof value.value !== 'string' || typeof value.context !== 'object') {
    throw new AppError('internal', 'dialog snapshot is unreadable');
  }
  return value;
}

/** The actions of a transition that the service performs (the machine only names them). */
function toEffects(actions: readonly { type: string; params?: unknown }[]): DialogEffect[] {
  return actions
    .filter((a) => EFFECT_TYPES.has(a.type))
    .map((a) => ({ type: a.type, ...(a.params as object | undefined) }) as DialogEffect);
}

/** Columns kept beside the snapshot so queries (lists, reports, rebuilds) need not parse it. */
function columnsFor(
  state: string,
  context: DialogContext,
  row: Pick<DialogRow, 'rating'>,
): Partial<DialogRow> {
  const at = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    state: stateName(state),
    snapshot: { value: state, context } satisfies PersistedDialog,
    group_id: context.groupId || null,
    topic_id: context.topicId,
    region_id: context.regionId,
    priority: context.priority,
    operator_id: context.operatorId,
    contact: context.contact,
    outcome: context.outcome,
    queued_at: at(context.queuedAt),
    assigned_at: at(context.assignedAt),
    first_response_at: at(context.firstHumanResponseAt),
    first_auto_response_at: at(context.firstAutoResponseAt),
    closed_at: at(context.closedAt),
    rating: row.rating,
  };
}
