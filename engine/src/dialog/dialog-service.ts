import type { Transaction } from '../storage/database';
import { initialTransition, transition } from 'xstate';
import { AppError, conflict, notFound } from '../errors';
import type { Locks } from '../locks/dialog-locks';
import type { Logger } from '../logger';
import type { DialogKind, MessageView } from '@hotline/protocol';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { RoutingStore } from '../routing-store/routing-store';
import type {
  CommittedDialog,
  EventRecord,
  DialogRepository,
  DialogRow,
  NewMessage,
} from '../storage/dialog-repository';
import { type ChangeConsumer, changeViews, type DialogChange, outboxPayload } from './dialog-change';
import {
  type AutoMessageKind,
  createDialogMachine,
  type DialogContext,
  type DialogEffect,
  type DialogEvent,
  type DialogMachine,
} from './dialog-machine';
import { columnsFor, type PersistedDialog, parseSnapshot } from './dialog-snapshot';
import { stateName } from './dialog-views';
import type { WaitEstimator } from './wait-estimator';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type DialogEventInput = DistributiveOmit<DialogEvent, 'now'>;

export interface DispatchResult {
  accepted: boolean;
  state: string;
  context: DialogContext;
  row: DialogRow;
  messages: MessageView[];
  /** The committed change (none when the event was not accepted). */
  change: DialogChange | null;
}

export interface DispatchHooks {
  /** Messages that commit with the transition (the visitor's, a transfer note): part of its change. */
  messages?: (trx: Transaction, context: DialogContext) => Promise<MessageView[]>;
  /** Writes that must commit atomically with the transition, last (e.g. a move in the routing store). */
  inTransaction?: (trx: Transaction, context: DialogContext) => Promise<void>;
  /**
   * Runs first in the transaction (it may take row locks, e.g. the visitor's); when it returns false
   * nothing is written and the event is not accepted (`dispatch`) or the dialog not created (`create`).
   */
  guard?: (trx: Transaction) => Promise<boolean>;
}

/** A dialog about to be created: its row's fixed columns (the rest follows from the machine). */
export interface NewDialog {
  id: string;
  visitorId: string;
  siteId: string;
  kind: DialogKind;
  locale: string;
  page: { url: string; title?: string | undefined; referrer?: string | undefined } | null;
  callback: { phone: string; preferredTime?: string | undefined } | null;
  previousDialogId: string | null;
}

/** `guard` false: `create` returns null (e.g. the visitor opened another dialog meanwhile). */
export type CreateHooks = DispatchHooks;

/** What the service hands to the assignment dispatcher. */
export interface RoutingHandoff {
  /** The dialog enters its group's queue (and may be assigned at once). */
  arrive(context: DialogContext, locale: string | null, row: DialogRow): Promise<void>;
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
 * messages, event log, the change's outbox row) → routing effects (queues, timers) → the change to
 * every consumer. Any node may run any dialog's events; the per-dialog lock only avoids wasted retries.
 */
export class DialogService {
  private machineCache: { version: number; machine: DialogMachine } | null = null;
  private readonly consumers: ChangeConsumer[] = [];
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
      estimator: WaitEstimator;
      logger: Logger;
      nodeId: string;
      clock: () => number;
      /** Where arriving dialogs go and who assigns when capacity appears (the assignment dispatcher). */
      routing: RoutingHandoff;
    },
  ) {}

  /** Every committed change goes to `consumer`, in commit order per dialog (docs/changes.md). */
  subscribe(consumer: ChangeConsumer) {
    this.consumers.push(consumer);
  }

  machine(): DialogMachine {
    const decisions = this.deps.decisions();
    if (this.machineCache?.version !== decisions.version) {
      this.machineCache = { version: decisions.version, machine: createDialogMachine(decisions.policy) };
    }
    return this.machineCache.machine;
  }

  /** A new dialog's first snapshot ('created'); routing follows with a ROUTE event. */
  initialSnapshot(dialogId: string, kind: DialogKind, now: number): PersistedDialog {
    const [snapshot] = initialTransition(this.machine(), { dialogId, kind, now });
    return { value: String(snapshot.value), context: snapshot.context };
  }

  /**
   * Creates a dialog already past `created`: `events` (the first message, then ROUTE) are run with the
   * pure transition from the initial snapshot, and the row, its event log, its messages (`hooks.messages`
   * and auto-messages), its change and `hooks.inTransaction` commit in one transaction. Then the routing
   * effects run as after `dispatch`. `created` is never stored, so no crash leaves a dialog there; a
   * crash (or a failing effect) after the commit leaves a `queued` or `offline` dialog whose queue entry
   * or timers the reconciler restores. Throws `internal` if the machine refuses one of the events.
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
    const last = steps.at(-1);
    const autoDrafts = await this.draftAutoMessages(effects, context, dialog.locale, dialog.visitorId);

    const change = await repo.transaction(async (trx) => {
      if (hooks.guard && !(await hooks.guard(trx))) return null;
      const committed = await repo.insertDialog(
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
      const messages = [...((await hooks.messages?.(trx, context)) ?? [])];
      messages.push(...(await this.storeAutoMessages(trx, autoDrafts)));
      const stored = await this.recordChange(trx, {
        kind: 'transition',
        committed,
        event: last?.event ?? null,
        from: 'created',
        to,
        previous: initial,
        context,
        messages,
        effects,
        events: steps.map((step, i) => ({
          version: i + 2,
          type: step.event.type,
          fromState: step.from,
          toState: step.to,
          payload: step.event,
        })),
      });
      await hooks.inTransaction?.(trx, context);
      return stored;
    });
    if (change === null) return null;
    const lastEvent = events.at(-1);
    if (lastEvent) this.afterCommit?.(dialog.id, lastEvent);
    try {
      await this.performEffects(dialog.id, initial, context, effects, change.row);
    } catch (error) {
      // Committed: the visitor's dialog exists. The reconciler requeues it and re-arms its timers.
      logger.warn(
        { err: error, dialogId: dialog.id },
        'routing a new dialog failed after its commit; left to the reconciler',
      );
    }
    this.publish(change);
    return { accepted: true, state: to, context, row: change.row, messages: change.messages, change };
  }

  /**
   * `input` may be a function of the dialog as loaded under its lock (each retry loads it again): the
   * timer worker uses it to attach facts observed for this very state (who may take the dialog, the
   * holder typing) to THRESHOLD, so the machine's guards stay pure. `loaded` is the row as the caller
   * just read it: the first attempt decides on it instead of reading it again (the version check
   * catches a stale one, and the retry reads).
   */
  async dispatch(
    dialogId: string,
    input:
      | DialogEventInput
      | ((loaded: { state: string; context: DialogContext; row: DialogRow }) => Promise<DialogEventInput>),
    hooks: DispatchHooks = {},
    loaded?: DialogRow,
  ): Promise<DispatchResult> {
    const { repo, locks } = this.deps;
    return locks.withLock(`dialog:${dialogId}`, async () => {
      for (let attempt = 0; attempt < 25; attempt++) {
        // Only without the lock (lost, expired) do writers collide; spread their retries out.
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
        const row = attempt === 0 && loaded ? loaded : await repo.findDialog(dialogId);
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
        const refused = {
          accepted: false,
          state: persisted.value,
          context: persisted.context,
          row,
          messages: [],
          change: null,
        };
        if (!snapshot.can(event)) return refused;
        const [next, actions] = transition(machine, snapshot, event);
        const effects = toEffects(actions);
        const to = String(next.value);
        const context = next.context;
        const autoDrafts = await this.draftAutoMessages(effects, context, row.locale, row.visitor_id);

        const outcome = await repo
          .transaction(async (trx) => {
            if (hooks.guard && !(await hooks.guard(trx))) return 'refused' as const;
            const committed = await repo.saveTransition(
              trx,
              dialogId,
              row.version,
              columnsFor(to, context, row),
            );
            // Roll back what the hooks wrote before (the guard's message): the retry decides again.
            if (!committed) throw new WriteConflict();
            const messages = [...((await hooks.messages?.(trx, context)) ?? [])];
            messages.push(...(await this.storeAutoMessages(trx, autoDrafts)));
            const change = await this.recordChange(trx, {
              kind: 'transition',
              committed,
              event,
              from: persisted.value,
              to,
              previous: persisted.context,
              context,
              messages,
              effects,
              events: [
                {
                  version: row.version + 1,
                  type: event.type,
                  fromState: persisted.value,
                  toState: to,
                  payload: event,
                },
              ],
            });
            await hooks.inTransaction?.(trx, context);
            return change;
          })
          .catch((error: unknown) => {
            if (error instanceof WriteConflict) return null;
            throw error;
          });
        if (outcome === null) continue; // someone else wrote first: reload and decide again
        if (outcome === 'refused') return refused;
        this.afterCommit?.(dialogId, resolved);
        await this.performEffects(dialogId, persisted.context, context, effects, outcome.row);
        this.publish(outcome);
        return {
          accepted: true,
          state: to,
          context,
          row: outcome.row,
          messages: outcome.messages,
          change: outcome,
        };
      }
      throw conflict('the dialog kept changing concurrently; retry');
    });
  }

  /**
   * Runs the event and stores a visitor's or operator's message in the same transaction, so the message
   * exists exactly when the transition does; it travels in the transition's change. When the machine
   * takes no such event in this state and `storeAnyway` is set (the visitor's message), the message is
   * still stored, as a change of kind `message`. `stored` is null when nothing was stored; a message
   * stored before (same client id) is returned as it is, and no change is made.
   */
  async dispatchWithMessage(
    dialogId: string,
    input: DialogEventInput,
    message: NewMessage,
    options: { loaded?: DialogRow; storeAnyway?: boolean } = {},
  ): Promise<{ result: DispatchResult; stored: MessageView | null }> {
    const { repo } = this.deps;
    let stored: MessageView | null = null;
    let duplicate = false;
    const result = await this.dispatch(
      dialogId,
      input,
      {
        // First in the transaction: a resend (same client id) changes nothing and returns the stored one.
        guard: async (trx) => {
          const inserted = await repo.insertMessage(trx, message);
          stored = inserted.message;
          duplicate = !inserted.created;
          return inserted.created;
        },
        messages: async () => (stored ? [stored] : []),
      },
      options.loaded,
    );
    if (result.accepted || duplicate) return { result, stored };
    if (!options.storeAnyway) return { result, stored: null };
    return { result, stored: await this.storeMessage(dialogId, message) };
  }

  /**
   * A message stored without a transition (a state that takes no message event): under the dialog's
   * row lock, with its own change of kind `message`. A resend returns the stored one.
   */
  private async storeMessage(dialogId: string, message: NewMessage): Promise<MessageView> {
    const { repo } = this.deps;
    const outcome = await repo.transaction(async (trx) => {
      const committed = await repo.lockDialog(trx, dialogId);
      if (!committed) throw notFound('dialog');
      const { message: view, created } = await repo.insertMessage(trx, message);
      if (!created) return { view, change: null };
      const context = parseSnapshot(committed.row.snapshot).context;
      const state = committed.row.state;
      const change = await this.recordChange(trx, {
        kind: 'message',
        committed,
        event: null,
        from: state,
        to: state,
        previous: context,
        context,
        messages: [view],
        effects: [],
        events: [],
      });
      return { view, change };
    });
    if (outcome.change) this.publish(outcome.change);
    return outcome.view;
  }

  /** The wait estimate (kept here for callers that have only the service). */
  estimate(groupId: string, position: number) {
    return this.deps.estimator.estimate(groupId, position);
  }

  /** Writes the change's outbox row (with its events) and returns the change as consumers get it. */
  private async recordChange(
    trx: Transaction,
    input: Pick<
      DialogChange,
      'kind' | 'event' | 'from' | 'to' | 'previous' | 'context' | 'messages' | 'effects'
    > & { committed: CommittedDialog; events: EventRecord[] },
  ): Promise<DialogChange> {
    const { committed, context, messages } = input;
    const row = committed.row;
    const stored = await this.deps.repo.recordChange(trx, {
      dialogId: row.id,
      kind: input.kind,
      nodeId: this.deps.nodeId,
      events: input.events,
      payload: outboxPayload({
        event: input.event,
        from: input.from,
        to: input.to,
        version: row.version,
        context,
        messages,
      }),
    });
    return {
      id: stored.id,
      seq: stored.seq,
      kind: input.kind,
      dialogId: row.id,
      visitorId: row.visitor_id,
      event: input.event,
      from: input.from,
      to: input.to,
      previous: input.previous,
      context,
      messages,
      effects: input.effects,
      row,
      views: changeViews(committed, context, messages),
      at: stored.createdAt.toISOString(),
    };
  }

  private publish(change: DialogChange) {
    for (const consumer of this.consumers) {
      try {
        consumer(change);
      } catch (error) {
        this.deps.logger.warn({ err: error, dialogId: change.dialogId }, 'a change consumer failed');
      }
    }
  }

  private async storeAutoMessages(trx: Transaction, drafts: NewMessage[]): Promise<MessageView[]> {
    const messages: MessageView[] = [];
    for (const draft of drafts) {
      const { message, created } = await this.deps.repo.insertMessage(trx, draft);
      if (created) messages.push(message);
    }
    return messages;
  }

  /** Renders the texts now (positions and names are read outside the transaction). */
  private async draftAutoMessages(
    effects: DialogEffect[],
    context: DialogContext,
    locale: string,
    visitorId: string,
  ): Promise<NewMessage[]> {
    const drafts: NewMessage[] = [];
    for (const effect of effects) {
      if (effect.type !== 'sendAutoMessage') continue;
      const decisions = this.deps.decisions();
      const position = await this.deps.store.position(context.dialogId);
      const eta = position ? await this.deps.estimator.estimate(context.groupId, position.position) : null;
      const visitor = await this.deps.repo.findVisitor(visitorId);
      const rendered = decisions.autoMessage(context.groupId, effect.kind as AutoMessageKind, locale, {
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

  private async performEffects(
    dialogId: string,
    previous: DialogContext,
    context: DialogContext,
    effects: DialogEffect[],
    /** The row as committed: an assignment on arrival decides on it without reading it again. */
    row: DialogRow,
  ) {
    const { store } = this.deps;
    const groups = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'enqueue':
          await this.deps.routing.arrive(context, row.locale, row);
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

/** Someone else wrote the dialog since it was read: roll back and decide again. */
class WriteConflict extends Error {}

/** The actions of a transition that the service performs (the machine only names them). */
function toEffects(actions: readonly { type: string; params?: unknown }[]): DialogEffect[] {
  return actions
    .filter((a) => EFFECT_TYPES.has(a.type))
    .map((a) => ({ type: a.type, ...(a.params as object | undefined) }) as DialogEffect);
}
