import type { Transaction } from '../storage/database';
// The machine's pure transitions (xstate's, without a throwaway actor per call).
import { initialTransition, transition } from './dialog-machine';
import { AppError, conflict, notFound } from '../errors';
import type { Locks } from '../locks/dialog-locks';
import type { Logger } from '../logger';
import type { DialogKind, MessageView } from '@hotline/protocol';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { Assignment, HeldNew, OperatorRouting, RoutingStore } from '../routing-store/routing-store';
import {
  type DialogRepository,
  type Dialog,
  type NewMessage,
  OpenDialogExists,
  type WriteOutcome,
  type WrittenChange,
} from '../storage/dialog-repository';
import { type Executor, HANDOVER_PAGES } from '../storage/dialog-rows';
import type { VisitorRepository } from '../storage/visitor-repository';
import {
  type ChangeConsumer,
  changeViews,
  type DialogChange,
  handsOver,
  outboxPayload,
} from './dialog-change';
import {
  type AutoMessageKind,
  createDialogMachine,
  type DialogContext,
  type DialogEffect,
  type DialogEvent,
  type DialogMachine,
} from './dialog-machine';
import { DialogCache } from './dialog-cache';
import { columnsFor, type PersistedDialog, parseSnapshot } from './dialog-snapshot';
import { stateName } from './dialog-views';
import type { WaitEstimator } from './wait-estimator';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type DialogEventInput = DistributiveOmit<DialogEvent, 'now'>;

export interface DispatchResult {
  accepted: boolean;
  state: string;
  context: DialogContext;
  row: Dialog;
  messages: MessageView[];
  /** The committed change (none when the event was not accepted). */
  change: DialogChange | null;
  /** `hooks.message` as stored: by this change, or before it (a resend, not accepted). */
  author?: MessageView | null;
}

export interface DispatchHooks {
  /**
   * The author's message (a visitor's, an operator's), stored with the transition: when it was stored
   * before (same client id) nothing changes and the result carries the stored one (`author`).
   */
  message?: NewMessage;
  /** Other messages that commit with the transition (a transfer note): part of its change. */
  messages?: NewMessage[];
  /**
   * Writes that must commit atomically with the transition, last (e.g. a move in the routing store).
   * Only then (or with files to claim) is the transition a transaction; otherwise it is one
   * statement, atomic by itself.
   */
  inTransaction?: (trx: Transaction, context: DialogContext) => Promise<void>;
  /**
   * Who may do this, decided on the row each attempt decides on (the row its write is checked
   * against): throws to refuse. A refusal on a row not read by that attempt (the caller's, the
   * cache's) is decided again on a fresh read, so a stale row never refuses nor lets through.
   */
  authorize?: (row: Dialog) => void;
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

/** A group's operators as one read of the routing store gave them. */
export interface GroupOperators {
  groupId: string;
  operators: OperatorRouting[];
}

/**
 * What a new dialog stores with it: its first messages, in order (the menu choice, the visitor's);
 * and the operators of its route's group as the caller read them for the route (the hold ranks them,
 * not read again, when the dialog stays in that group).
 */
export type CreateHooks = Pick<DispatchHooks, 'messages'> & { operators?: GroupOperators };

/**
 * What `RoutingHandoff.holdNew` did: the hold, or none and the ranking it tried (null: none was
 * made), which the dialog's arrival in the queue uses instead of reading and ranking again.
 */
export type HoldAttempt = { held: HeldNew; ranked?: undefined } | { held: null; ranked: string[] | null };

/** What the service hands to the assignment dispatcher. */
export interface RoutingHandoff {
  /**
   * A new dialog about to be stored in `queued`: held at once for an operator with room when nobody
   * waits ahead of it (no offers in its group), so it is stored assigned in the same commit. Not held:
   * it is stored queued and `arrive`s with the ranking tried. `read`: the route's read of its group.
   * `timers`: the dialog's timers once held, scheduled in the hold's own step (only when held).
   */
  holdNew(
    context: DialogContext,
    locale: string | null,
    read?: GroupOperators,
    timers?: { key: string; dueAt: number }[],
  ): Promise<HoldAttempt>;
  /**
   * A new dialog stored assigned after `holdNew`: its operator is told (the change's detail, his load
   * as the hold answered it), metrics.
   */
  assignedNew(change: DialogChange, held: HeldNew): void;
  /**
   * The dialog enters its group's queue (and may be assigned at once); `ranked`: the ranking a failed
   * hold just made (the run that follows every arrival reads afresh).
   */
  arrive(context: DialogContext, locale: string | null, row: Dialog, ranked?: string[]): Promise<void>;
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
  /** Open dialogs' rows as this node last wrote or read them: a dispatch's first attempt decides on one. */
  private readonly rows = new DialogCache();
  /**
   * Testability hook (the simulation's crash points): called after a transition's transaction has
   * committed and before its effects on the routing store; throwing there is a node dying in between.
   */
  afterCommit: ((dialogId: string, event: DialogEventInput) => void) | null = null;

  constructor(
    private readonly deps: {
      repo: DialogRepository;
      visitorRepo: VisitorRepository;
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

  /**
   * The visitor's open dialog as this node last wrote or read it (may be stale: a dispatch on it is
   * version-checked), or undefined when this node has none of his.
   */
  rememberedOpenDialogOf(visitorId: string): Dialog | undefined {
    return this.rows.openOf(visitorId);
  }

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
   *
   * A dialog the events leave `queued` is first offered to `routing.holdNew`: when an operator's slot
   * is held for it (Redis first), ASSIGNED runs too and the row commits `assigned`, with the detail
   * its operator is handed, in the same one statement (no queue entry, no second commit). A commit
   * that writes nothing or throws gives the slot back at once; a crash between the hold and the
   * commit leaves a hold without a dialog, which the reconciler releases (two passes).
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
    const timersOnceHeld = this.timersOnceHeld(snapshot, now);
    const attempt = await this.holdNew(snapshot, effects, dialog.locale, hooks.operators, timersOnceHeld);
    let held = attempt?.held ?? null;
    if (held) {
      // Held: ASSIGNED runs too, or the machine refuses it and the slot goes back.
      const event: DialogEvent = {
        type: 'ASSIGNED',
        operatorId: held.operatorId,
        groupId: held.groupId,
        now,
      };
      if (snapshot.can(event)) {
        const [next, actions] = transition(machine, snapshot, event);
        effects.push(...toEffects(actions));
        steps.push({ event, from: String(snapshot.value), to: String(next.value) });
        snapshot = next;
      } else {
        await this.releaseHold(held);
        held = null;
      }
    }
    // Held: no queue entry to make, and nobody waits in its group (the hold checked) to assign.
    const todo = held
      ? effects.filter((e) => e.type !== 'enqueue' && e.type !== 'dispatchAssignments')
      : effects;
    const to = String(snapshot.value);
    const context = snapshot.context;
    const version = 1 + steps.length;
    const last = steps.at(-1);
    let written: WrittenChange | null | 'refused';
    try {
      const autoDrafts = await this.draftAutoMessages(todo, context, dialog.locale, dialog.visitorId);
      const messages = [...(hooks.messages ?? []), ...autoDrafts];
      written = await this.commit({}, messages, context, (executor) =>
        repo.createDialog(
          {
            id: dialog.id,
            visitorId: dialog.visitorId,
            siteId: dialog.siteId,
            kind: dialog.kind,
            locale: dialog.locale,
            page: dialog.page,
            callback: dialog.callback,
            previousDialogId: dialog.previousDialogId,
            version,
            ...columnsFor(to, context),
            state: stateName(to),
            snapshot: { value: to, context } satisfies PersistedDialog,
          },
          {
            kind: 'transition',
            nodeId: this.deps.nodeId,
            events: steps.map((step, i) => ({
              version: i + 2,
              type: step.event.type,
              fromState: step.from,
              toState: step.to,
              payload: step.event,
            })),
            messages,
            page: dialog.page,
            payload: outboxPayload({ event: last?.event ?? null, from: 'created', to, version, context }),
            handover: held !== null,
          },
          executor,
        ),
      );
    } catch (error) {
      if (held) await this.releaseHold(held);
      throw error;
    }
    // The visitor has an open dialog already (another tab's start won): nothing was written.
    if (written === null || written === 'refused') {
      if (held) await this.releaseHold(held);
      return null;
    }
    if (held) withOwnPage(written, dialog.page);
    this.rows.remember(written.committed.row);
    const change = this.changeOf(written, {
      kind: 'transition',
      event: last?.event ?? null,
      from: 'created',
      to,
      previous: initial,
      context,
      effects: todo,
    });
    const lastEvent = last?.event;
    if (lastEvent) this.afterCommit?.(dialog.id, lastEvent);
    // Held: the hold's step scheduled `timersOnceHeld`; only a difference is synced.
    const before = held ? { ...initial, timers: timersOnceHeld } : initial;
    try {
      await this.performEffects(change, before, context, todo, attempt?.ranked ?? undefined);
    } catch (error) {
      // Committed: the visitor's dialog exists. The reconciler requeues it and re-arms its timers.
      logger.warn(
        { err: error, dialogId: dialog.id },
        'routing a new dialog failed after its commit; left to the reconciler',
      );
    }
    this.publish(change);
    if (held) this.deps.routing.assignedNew(change, held);
    return { accepted: true, state: to, context, row: change.row, messages: change.messages, change };
  }

  /**
   * The timers a new dialog has once ASSIGNED runs: its plan depends on the group and the time, not on
   * who holds it, so they are known before the hold picks him (a placeholder holder; the commit's sync
   * corrects any difference). Scheduled by the hold's own step: no timer round trip of its own.
   */
  private timersOnceHeld(snapshot: Parameters<typeof transition>[1], now: number) {
    const event: DialogEvent = { type: 'ASSIGNED', operatorId: '', groupId: snapshot.context.groupId, now };
    if (String(snapshot.value) !== 'queued' || !snapshot.can(event)) return {};
    return transition(this.machine(), snapshot, event)[0].context.timers;
  }

  /** The one-commit start's hold: only for a dialog the events leave waiting in its queue. */
  private async holdNew(
    snapshot: { value: unknown; context: DialogContext },
    effects: DialogEffect[],
    locale: string,
    read: GroupOperators | undefined,
    timers: DialogContext['timers'],
  ): Promise<HoldAttempt | null> {
    if (String(snapshot.value) !== 'queued' || !effects.some((e) => e.type === 'enqueue')) return null;
    const schedule = Object.entries(timers).map(([key, timer]) => ({ key, dueAt: timer.dueAt }));
    try {
      return await this.deps.routing.holdNew(snapshot.context, locale, read, schedule);
    } catch (error) {
      // Nothing is held when the hold fails: the dialog goes the queue way.
      this.deps.logger.warn(
        { err: error, dialogId: snapshot.context.dialogId },
        'holding a new dialog failed',
      );
      return null;
    }
  }

  /** Gives back the slot of a new dialog that was not stored (the reconciler would, two passes later). */
  private async releaseHold(held: Assignment) {
    const { store } = this.deps;
    // The hold scheduled the dialog's timers too (a timer left over finds no dialog and is dropped).
    await Promise.all([
      store.release(held.dialogId, held.operatorId),
      store.cancelDialogTimers(held.dialogId),
    ]).catch((error: unknown) => {
      this.deps.logger.warn(
        { err: error, dialogId: held.dialogId },
        'releasing the hold of a dialog not stored failed',
      );
    });
  }

  /**
   * `input` may be a function of the dialog as loaded under its lock (each retry loads it again): the
   * timer worker uses it to attach facts observed for this very state (who may take the dialog, the
   * holder typing) to THRESHOLD, so the machine's guards stay pure. The first attempt decides on
   * `loaded` (the row as the caller just read it) or else on the row this node last wrote or read
   * (its cache of open dialogs), without reading: the write is version-checked, so a stale row costs
   * one failed write and a retry that reads at once (no sleep: that is for contention). Nothing is
   * refused on such a row either (the machine, `hooks.authorize`): a refusal is decided on a read.
   */
  async dispatch(
    dialogId: string,
    input:
      | DialogEventInput
      | ((loaded: { state: string; context: DialogContext; row: Dialog }) => Promise<DialogEventInput>),
    hooks: DispatchHooks = {},
    loaded?: Dialog,
  ): Promise<DispatchResult> {
    const { repo, locks } = this.deps;
    return locks.withLock(`dialog:${dialogId}`, async () => {
      let supplied = loaded ?? this.rows.get(dialogId);
      let sleep = false;
      for (let attempt = 0; attempt < 25; attempt++) {
        // Only without the lock (lost, expired) do writers collide; spread their retries out.
        if (sleep) await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
        const row = supplied ?? (await repo.findDialog(dialogId));
        // A row not read here may be stale: nothing is refused on it, and its retry reads at once.
        const read = supplied === undefined;
        supplied = undefined;
        sleep = read;
        if (!row) {
          this.rows.forget(dialogId);
          throw notFound('dialog');
        }
        if (read) this.rows.remember(row);
        if (hooks.authorize) {
          try {
            hooks.authorize(row);
          } catch (error) {
            if (read) throw error;
            continue;
          }
        }
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
        if (!snapshot.can(event)) {
          if (read) return refused;
          continue;
        }
        const [next, actions] = transition(machine, snapshot, event);
        const effects = toEffects(actions);
        const to = String(next.value);
        const context = next.context;
        const autoDrafts = await this.draftAutoMessages(effects, context, row.locale, row.visitorId);

        const outcome = await this.commit(
          hooks,
          [...(hooks.message ? [hooks.message] : []), ...(hooks.messages ?? []), ...autoDrafts],
          context,
          (executor) =>
            repo.saveTransition(executor, dialogId, row.version, columnsFor(to, context), {
              kind: 'transition',
              nodeId: this.deps.nodeId,
              events: [
                {
                  version: row.version + 1,
                  type: event.type,
                  fromState: persisted.value,
                  toState: to,
                  payload: event,
                },
              ],
              message: hooks.message,
              messages: [...(hooks.messages ?? []), ...autoDrafts],
              payload: outboxPayload({ event, from: persisted.value, to, version: row.version + 1, context }),
              handover: handsOver(persisted.value, to, persisted.context, context),
            }),
        ).catch((error: unknown) => {
          // A reopen that met another open dialog of the visitor (the unique index): not accepted.
          if (error instanceof OpenDialogExists) return 'refused' as const;
          throw error;
        });
        if (outcome === 'refused') return refused;
        if (outcome.kind === 'stale') continue; // someone else wrote first: reload and decide again
        if (outcome.kind === 'resent') return { ...refused, author: outcome.message };
        this.rows.remember(outcome.committed.row);
        const change = this.changeOf(outcome, {
          kind: 'transition',
          event,
          from: persisted.value,
          to,
          previous: persisted.context,
          context,
          effects,
        });
        this.afterCommit?.(dialogId, resolved);
        await this.performEffects(change, persisted.context, context, effects);
        this.publish(change);
        return {
          accepted: true,
          state: to,
          context,
          row: change.row,
          messages: change.messages,
          change,
          author: outcome.author,
        };
      }
      throw conflict('the dialog kept changing concurrently; retry');
    });
  }

  /**
   * Runs the event and stores a visitor's or operator's message in the same transaction, so the message
   * exists exactly when the transition does; it travels in the transition's change. When the machine
   * takes no such event in this state and `storeAnyway` says so of the row (the visitor's message to an
   * open dialog), the message is
   * still stored, as a change of kind `message`. `stored` is null when nothing was stored; a message
   * stored before (same client id) is returned as it is, and no change is made.
   */
  async dispatchWithMessage(
    dialogId: string,
    input: DialogEventInput,
    message: NewMessage,
    options: Pick<DispatchHooks, 'authorize'> & {
      loaded?: Dialog;
      /** Whether the message is stored without a transition, asked of the row that refused it. */
      storeAnyway?: (row: Dialog) => boolean;
    } = {},
  ): Promise<{ result: DispatchResult; stored: MessageView | null }> {
    const hooks: DispatchHooks = { message, ...(options.authorize ? { authorize: options.authorize } : {}) };
    const result = await this.dispatch(dialogId, input, hooks, options.loaded);
    if (result.accepted || result.author) return { result, stored: result.author ?? null };
    if (!options.storeAnyway?.(result.row)) return { result, stored: null };
    return { result, stored: await this.storeMessage(dialogId, message) };
  }

  /**
   * A message stored without a transition (a state that takes no message event), with its own change
   * of kind `message`, in one statement. A resend returns the stored one.
   */
  private async storeMessage(dialogId: string, message: NewMessage): Promise<MessageView> {
    const { repo } = this.deps;
    const outcome = await this.commit({}, [message], null, (executor) =>
      repo.saveMessage(executor, dialogId, {
        kind: 'message',
        nodeId: this.deps.nodeId,
        events: [],
        message,
        messages: [],
        payload: null,
      }),
    );
    if (outcome === 'refused' || outcome.kind === 'stale') throw notFound('dialog');
    if (outcome.kind === 'resent') return outcome.message;
    this.rows.remember(outcome.committed.row);
    const { context, value } = parseSnapshot(outcome.committed.row.snapshot);
    this.publish(
      this.changeOf(outcome, {
        kind: 'message',
        event: null,
        from: value,
        to: value,
        previous: context,
        context,
        effects: [],
      }),
    );
    if (!outcome.author) throw new AppError('internal', 'the message was not stored');
    return outcome.author;
  }

  /** The wait estimate (kept here for callers that have only the service). */
  estimate(groupId: string, position: number) {
    return this.deps.estimator.estimate(groupId, position);
  }

  /**
   * Runs one change's write: alone (one statement, atomic by itself), or in a transaction when the
   * hooks write too or files must be claimed with a message.
   */
  private async commit<T extends WriteOutcome | null>(
    hooks: Pick<DispatchHooks, 'inTransaction'>,
    messages: NewMessage[],
    context: DialogContext | null,
    write: (executor: Executor) => Promise<T>,
  ): Promise<T | 'refused'> {
    const { repo } = this.deps;
    const files = messages.some((m) => m.attachments?.ids.length);
    if (!hooks.inTransaction && !files) return write(repo.executor());
    return repo.transaction(async (trx) => {
      const outcome = await write(trx);
      if (outcome?.kind === 'written' && context) await hooks.inTransaction?.(trx, context);
      return outcome;
    });
  }

  /** The change as consumers get it, from what its statement wrote and returned. */
  private changeOf(
    written: WrittenChange,
    input: Pick<DialogChange, 'kind' | 'event' | 'from' | 'to' | 'previous' | 'context' | 'effects'>,
  ): DialogChange {
    const { committed, messages, change } = written;
    const row = committed.row;
    return {
      ...input,
      id: change.id,
      seq: change.seq,
      dialogId: row.id,
      visitorId: row.visitorId,
      messages,
      row,
      views: changeViews(committed, input.context, messages),
      at: change.createdAt.toISOString(),
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
      const visitor = await this.deps.visitorRepo.findVisitor(visitorId);
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

  /**
   * The change's effects on the routing store, before it is published: a release sets
   * `change.releasedHolder`. The committed row lets an assignment on arrival decide without reading it.
   */
  private async performEffects(
    change: DialogChange,
    previous: DialogContext,
    context: DialogContext,
    effects: DialogEffect[],
    /** A new dialog's ranking from its failed hold, for its arrival. */
    ranked?: string[],
  ) {
    const { store } = this.deps;
    const { dialogId, row } = change;
    const groups = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'enqueue':
          await this.deps.routing.arrive(context, row.locale, row, ranked);
          groups.add(context.groupId);
          break;
        case 'dequeue':
          await store.dequeue(dialogId);
          groups.add(previous.groupId);
          break;
        case 'releaseHolder':
          if (previous.operatorId) {
            // Only his groups where someone waits can use the freed slot: an empty queue needs no
            // assignment run (a dialog queued later runs one itself), nor a position flush.
            const released = await store.releaseHolder(dialogId, previous.operatorId);
            if (released?.operator) change.releasedHolder = released.operator;
            for (const groupId of released?.waitingGroups ?? []) groups.add(groupId);
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

  /** Mirrors the snapshot's pending thresholds into the durable timer store, in one store call. */
  private async syncTimers(
    dialogId: string,
    before: DialogContext['timers'],
    after: DialogContext['timers'],
  ) {
    const cancel = Object.keys(before).filter((key) => !(key in after));
    const schedule = Object.entries(after)
      .filter(([key, timer]) => before[key]?.dueAt !== timer.dueAt)
      .map(([key, timer]) => ({ key, dueAt: timer.dueAt }));
    if (cancel.length > 0 || schedule.length > 0)
      await this.deps.store.applyTimers(dialogId, cancel, schedule);
  }
}

/**
 * The page a new dialog starts on is inserted by its own statement, whose reads do not see it (one
 * snapshot): the holder's card gets it first, as a later read would have shown it.
 */
function withOwnPage(written: WrittenChange, page: NewDialog['page']) {
  const handover = written.committed.handover;
  if (!handover || !page) return;
  const own = {
    url: page.url,
    title: page.title ?? null,
    referrer: page.referrer ?? null,
    at: written.change.createdAt.toISOString(),
  };
  handover.pages = [own, ...handover.pages].slice(0, HANDOVER_PAGES);
}

/** The actions of a transition that the service performs (the machine only names them). */
function toEffects(actions: readonly { type: string; params?: unknown }[]): DialogEffect[] {
  return actions
    .filter((a) => EFFECT_TYPES.has(a.type))
    .map((a) => ({ type: a.type, ...(a.params as object | undefined) }) as DialogEffect);
}
