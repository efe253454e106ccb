import type { Knex } from 'knex';
import type { DialogContext } from '../../src/dialog/dialog-machine';
import { parseSnapshot } from '../../src/dialog/dialog-snapshot';
import type { OperatorRouting, QueuedDialog, RoutingStore } from '../../src/routing-store/routing-store';

/**
 * The liveness guarantees of issue 12, checked from Postgres (the dialogs) and the routing store
 * (presence, loads, queues, offers), with a bound T:
 *
 * - L1 every acknowledged dialog is, within T of its start, held by an operator, queued (with a
 *   position pushed to the visitor, when the caller tracks pushes; or already held in the store while
 *   the assignment is being recorded), or answered by the engine
 *   (offline reply stored, lead, closed);
 * - L2 no dialog waits in a queue while an operator who may take it (online, in the group or widened
 *   tier, under his limit) has had room beside it for more than T. An excluded operator counts too:
 *   an exclusion may hold for `exclusionGraceMs` more, never forever;
 * - L3 no dialog stays in `created` (or in `offered`, beyond its offer timeout) longer than T;
 * - L4 an operator shown online or away has a live connection (the caller says which operators are
 *   connected), or loses that status within the presence grace plus T.
 *
 * Conditions that need time to pass (L2, L4, offers) are tracked from the first check that saw
 * them, so the monitor must be asked repeatedly; only conditions older than their bound count.
 */
export interface LivenessOptions {
  /** The bound T, ms. */
  boundMs: number;
  /** Extra time an exclusion (declined offer, unanswered reroute) may keep an idle operator away (default T). */
  exclusionGraceMs?: number;
  /** Presence grace after the last connection is gone (L4 allows grace + T). */
  presenceGraceMs: number;
  /**
   * Whether the operator may take the dialog, ignoring load, presence and exclusions (those are
   * checked here). Default: a primary member of the dialog's group, or a secondary one once widened.
   */
  mayTake?: (operator: OperatorRouting, dialog: DialogContext, waitedMs: number) => boolean;
}

export interface LivenessInput {
  now: number;
  /** Operators with at least one live connection (the load driver's or simulation's view); null skips L4. */
  connected: Set<string> | null;
  /** Dialogs whose visitor got a `queue:position` push; null: being in the store's queue is enough. */
  positionPushed?: Set<string> | null;
  /** The open dialogs, when the caller already read them with `readOpenDialogs` (one read per check). */
  rows?: OpenDialogRow[];
}

export interface LivenessReport {
  violations: { rule: 'L1' | 'L2' | 'L3' | 'L4'; subject: string; detail: string }[];
  /** Operators with room kept from a waiting dialog only by an exclusion (still within grace or not). */
  excludedBesideQueue: number;
  pendingOffers: number;
  openDialogs: number;
  queued: number;
}

interface OpenDialog {
  id: string;
  state: string;
  context: DialogContext;
}

const OPEN = ['created', 'queued', 'offered', 'assigned', 'active', 'offline', 'awaiting-contact', 'lead'];

export class LivenessMonitor {
  /** First check that saw a condition (key → ms on the checked clock). */
  private since = new Map<string, number>();

  constructor(
    private readonly db: Knex,
    private readonly store: RoutingStore,
    private readonly options: LivenessOptions,
  ) {}

  async check(input: LivenessInput): Promise<LivenessReport> {
    const { now } = input;
    const T = this.options.boundMs;
    const violations: LivenessReport['violations'] = [];
    const seen = new Map<string, number>();
    const age = (key: string) => {
      const first = this.since.get(key) ?? now;
      seen.set(key, first);
      return now - first;
    };

    const dialogs = this.openDialogs(input.rows ?? (await readOpenDialogs(this.db)));
    const operators = await this.store.listOperators();
    const byId = new Map(dialogs.map((d) => [d.id, d]));
    const queues = new Map<string, QueuedDialog[]>();
    for (const groupId of await this.store.queuedGroups())
      queues.set(groupId, await this.store.queue(groupId));
    const inQueue = new Set([...queues.values()].flat().map((q) => q.dialogId));

    // Queued in Postgres, held in the store: an assignment between its store step and its commit.
    const inFlight = new Set<string>();
    for (const dialog of dialogs) {
      if (dialog.state === 'queued' && !inQueue.has(dialog.id) && (await this.store.holder(dialog.id)))
        inFlight.add(dialog.id);
    }

    let pendingOffers = 0;
    for (const dialog of dialogs) {
      const started = dialog.context.createdAt;
      const old = now - started > T;
      // L1: within T of its start, somewhere a human or the engine answers for it.
      if (old) {
        const ok =
          dialog.state === 'assigned' ||
          dialog.state === 'active' ||
          dialog.state === 'offered' ||
          dialog.state === 'lead' ||
          (dialog.state === 'queued' &&
            inQueue.has(dialog.id) &&
            (!input.positionPushed || input.positionPushed.has(dialog.id))) ||
          inFlight.has(dialog.id) ||
          dialog.state === 'awaiting-contact' ||
          // `offline` until its reply goes out (then `awaiting-contact`, a lead, or queued after all).
          (dialog.state === 'offline' && !owedReply(dialog, now, T));
        // Queued in Postgres but in no store queue: a transition between its commit and its effects
        // (a transfer to a group, a refused assignment given back) until that has lasted T.
        const missing =
          dialog.state === 'queued' && !ok ? age(`unqueued:${dialog.id}`) : Number.POSITIVE_INFINITY;
        if (!ok && missing > T && (await this.stillStranded(dialog)))
          violations.push({
            rule: 'L1',
            subject: dialog.id,
            detail: `${dialog.state} ${now - started} ms after its start, no answer (group ${dialog.context.groupId})`,
          });
      }
      // L3: transient states.
      if (dialog.state === 'created' && old)
        violations.push({ rule: 'L3', subject: dialog.id, detail: `created for ${now - started} ms` });
      if (dialog.state === 'offered') pendingOffers += 1;
    }
    // L3: an offer is transient: each one is accepted, declined or expired (and the next one made)
    // within T of its own expiry. One dialog may be offered again and again, each a new offer.
    for (const offer of await this.store.expiredOffers(now - T)) {
      violations.push({
        rule: 'L3',
        subject: offer.dialogId,
        detail: `offer to ${offer.operatorId} expired ${now - offer.expiresAt} ms ago, still pending`,
      });
    }

    // L2: a queued dialog beside an operator with room who may take it.
    let excludedBesideQueue = 0;
    const mayTake = this.options.mayTake ?? defaultMayTake;
    const graceX = this.options.exclusionGraceMs ?? T;
    for (const [groupId, entries] of queues) {
      for (const entry of entries) {
        const dialog = byId.get(entry.dialogId);
        if (dialog?.state !== 'queued') continue; // safety's business (store vs Postgres)
        for (const operator of operators) {
          if (operator.status !== 'online' || operator.load >= operator.limit) continue;
          if (!mayTake(operator, dialog.context, now - entry.enqueuedAt)) continue;
          const excluded = dialog.context.excludedOperatorIds.includes(operator.operatorId);
          if (excluded) excludedBesideQueue += 1;
          const waited = age(`idle:${entry.dialogId}:${operator.operatorId}`);
          const bound = excluded ? T + graceX : T;
          if (waited > bound)
            violations.push({
              rule: 'L2',
              subject: entry.dialogId,
              detail: `queued in ${groupId} while ${operator.operatorId} (${operator.load}/${operator.limit}${excluded ? ', excluded' : ''}) had room for ${waited} ms`,
            });
        }
      }
    }

    // L4: shown online/away without a live connection.
    if (input.connected) {
      for (const operator of operators) {
        if (operator.status === 'offline' || input.connected.has(operator.operatorId)) continue;
        const gone = age(`presence:${operator.operatorId}`);
        if (gone > this.options.presenceGraceMs + T)
          violations.push({
            rule: 'L4',
            subject: operator.operatorId,
            detail: `${operator.status} without a connection for ${gone} ms`,
          });
      }
    }

    this.since = seen;
    return {
      violations,
      excludedBesideQueue,
      pendingOffers,
      openDialogs: dialogs.length,
      queued: inQueue.size,
    };
  }

  /**
   * The dialogs were read before the store: with several nodes at work, a dialog read as queued may
   * have been assigned (and even closed) since. Read it again, and the store after it.
   */
  private async stillStranded(dialog: OpenDialog): Promise<boolean> {
    const row = await this.db('dialogs')
      .where({ id: dialog.id })
      .first<{ state: string } | undefined>('state');
    if (row?.state !== dialog.state) return false;
    if (dialog.state !== 'queued') return true;
    const [position, holder] = await Promise.all([
      this.store.position(dialog.id),
      this.store.holder(dialog.id),
    ]);
    return !position && !holder;
  }

  /** Open dialogs with their machine context (which records when an offline period began). */
  private openDialogs(rows: OpenDialogRow[]): OpenDialog[] {
    return rows.map((r) => ({ id: r.id, state: r.state, context: parseSnapshot(r.snapshot).context }));
  }
}

export interface OpenDialogRow {
  id: string;
  state: string;
  operator_id: string | null;
  snapshot: unknown;
}

/** Every open dialog in one statement (the checks run after every event of the simulation). */
export function readOpenDialogs(db: Knex): Promise<OpenDialogRow[]> {
  return db('dialogs')
    .whereIn('state', OPEN)
    .select<OpenDialogRow[]>('id', 'state', 'operator_id', 'snapshot');
}

/**
 * An offline dialog was told "offline" in its start's answer; the offline reply is owed once the
 * visitor has written (routing-rules' thresholds), from his first message or from the start of this
 * offline period (a queue that lost its operators, a reopen), whichever is later.
 */
function owedReply(dialog: OpenDialog, now: number, boundMs: number): boolean {
  const wrote = dialog.context.firstVisitorMessageAt;
  return wrote !== null && now - Math.max(wrote, dialog.context.offlineSince ?? 0) > boundMs;
}

function defaultMayTake(operator: OperatorRouting, dialog: DialogContext): boolean {
  const membership = operator.groups.find((g) => g.groupId === dialog.groupId);
  return Boolean(membership && (membership.tier === 'primary' || dialog.widened));
}

/** One line for the test's printout: per rule, failed checks and distinct subjects, and the first of each rule. */
export function summarizeLiveness(violations: LivenessReport['violations']): {
  line: string;
  firsts: string[];
} {
  const rules = ['L1', 'L2', 'L3', 'L4'] as const;
  const parts = rules.map((rule) => {
    const own = violations.filter((v) => v.rule === rule);
    // The longest condition seen, from the details' "<n> ms".
    const worst = Math.max(0, ...own.map((v) => Number(/(\d+) ms/.exec(v.detail)?.[1] ?? 0)));
    return `${rule} ${own.length} (${new Set(own.map((v) => v.subject)).size} distinct${own.length ? `, longest ${worst} ms` : ''})`;
  });
  const firsts = rules.flatMap((rule) => {
    const first = violations.find((v) => v.rule === rule);
    return first ? [`${rule} ${first.subject}: ${first.detail}`] : [];
  });
  return { line: parts.join(', '), firsts };
}

/** One check of L1–L4 by a monitor that remembers since when each timed condition holds. */
export function checkLiveness(monitor: LivenessMonitor, input: LivenessInput): Promise<LivenessReport> {
  return monitor.check(input);
}
