import { AppError } from '../errors';
import { inLanes } from './lanes';
import type { DialogContext, ThresholdFacts } from '../dialog/dialog-machine';
import type { DialogEventInput, DialogService } from '../dialog/dialog-service';
import type { Logger } from '../logger';
import type { ClaimedTimer, RoutingStore } from '../routing-store/routing-store';
import type { OperatorService } from '../services/operator-service';

/** Who may take a dialog now, ranked as an assignment would (AssignmentDispatcher.eligibleOperators). */
export interface Eligibility {
  eligibleOperators(
    context: DialogContext,
    locale: string | null,
    options?: { also?: string[]; anyTier?: boolean },
  ): Promise<string[]>;
}

/**
 * Fires due thresholds and expires offers, on every node. A due timer is claimed under a lease, fed
 * to the dialog machine as THRESHOLD, then acked: a node dying before its transaction commits lets
 * the lease run out and another node fires it; one dying after commit leaves a claim whose event the
 * machine ignores (the key is no longer pending). So each threshold takes effect exactly once.
 * The THRESHOLD carries the facts its guards need, observed for the dialog as loaded under its lock
 * (see `thresholdFacts`), so each auto-message is true when it is sent.
 */
/** How many claimed thresholds fire at once. */
const FIRE_CONCURRENCY = 8;
/** How many due thresholds one claim takes. */
const CLAIM_BATCH = 16;
/** Bounds one tick (the next poll goes on with the rest). */
const MAX_BATCHES_PER_TICK = 25;

export class TimerWorker {
  private handle: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      store: RoutingStore;
      dialogs: DialogService;
      operators: OperatorService;
      /** Without it THRESHOLD carries no facts and the machine keeps its plain behaviour. */
      eligibility?: Eligibility;
      logger: Logger;
      clock: () => number;
      pollMs: number;
      leaseMs?: number;
    },
  ) {}

  start() {
    const loop = () => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((error) => this.deps.logger.warn({ err: error }, 'timer tick failed'))
        .finally(() => {
          this.running = null;
          if (this.handle) this.handle = setTimeout(loop, this.deps.pollMs);
        });
    };
    this.handle = setTimeout(loop, this.deps.pollMs);
  }

  async stop() {
    if (this.handle) clearTimeout(this.handle);
    this.handle = null;
    await this.running;
  }

  /** One pass: fire what is due now. Exposed for tests with a controlled clock. */
  async tick(): Promise<number> {
    const { store, operators, clock } = this.deps;
    const now = clock();
    const leaseMs = this.deps.leaseMs ?? 10_000;
    let fired = 0;
    // One round trip when nothing is due (an idle engine polls with this command alone).
    const first = await store.pollDue(now, leaseMs, CLAIM_BATCH);
    const expired = [...first.expiredOffers].sort(
      (a, b) => a.expiresAt - b.expiresAt || (a.dialogId < b.dialogId ? -1 : 1),
    );
    for (const offer of expired) {
      await operators.declineOffer(offer.operatorId, offer.dialogId, 'expired');
    }
    // Claimed in small batches, each fired before the next is claimed: a node claims no more than it
    // can fire within the lease (a slow node holding a hundred claims made every other node wait, then
    // redo them), and different dialogs fire side by side, each under its own lock.
    let claimed = first.claimed;
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK; batch++) {
      if (batch > 0) claimed = await store.claimDueTimers(now, leaseMs, CLAIM_BATCH);
      await inLanes(claimed, FIRE_CONCURRENCY, async (timer) => {
        if (await this.fire(timer)) fired += 1;
      });
      if (claimed.length < CLAIM_BATCH) break;
    }
    return fired;
  }

  /** Feeds one claimed timer to its dialog's machine and acks it; false when it must be retried. */
  private async fire(timer: ClaimedTimer): Promise<boolean> {
    const { store, dialogs, logger } = this.deps;
    try {
      await dialogs.dispatch(
        timer.dialogId,
        async (loaded): Promise<DialogEventInput> => ({
          type: 'THRESHOLD',
          key: timer.key,
          ...(await this.thresholdFacts(timer.key, loaded)),
        }),
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') {
        await store.ackTimer(timer);
        return false;
      }
      // Not acked: the lease runs out and the timer is handed out again.
      logger.warn({ err: error, dialogId: timer.dialogId, key: timer.key }, 'threshold failed, will retry');
      return false;
    }
    await store.ackTimer(timer);
    return true;
  }

  /**
   * What the machine's guards need to know when `key` fires in this state, read now:
   * - waiting (queued, offline): whether someone who may take the dialog has room (`idleEligible`);
   * - held (assigned, active): when the holder last typed in it, and (reroute timers) whether anyone
   *   else may take it.
   * Only what the state's guards use is read.
   */
  private async thresholdFacts(
    key: string,
    loaded: { state: string; context: DialogContext; row: { locale: string | null } },
  ): Promise<ThresholdFacts> {
    const { eligibility, store, clock } = this.deps;
    const { state, context, row } = loaded;
    const timer = context.timers[key];
    if (!eligibility || !timer) return {};
    if (state === 'queued' || state === 'offline') {
      if (state === 'queued' && timer.kind !== 'queue-offer-contact' && timer.kind !== 'queue-position')
        return {};
      return { idleEligible: (await eligibility.eligibleOperators(context, row.locale)).length > 0 };
    }
    if ((state === 'assigned' || state === 'active') && context.operatorId) {
      const facts: ThresholdFacts = {};
      const typingAt = await store.typingAt(context.dialogId, context.operatorId, clock());
      if (typingAt !== null) facts.holderTypingAt = typingAt;
      if (timer.reroute) {
        const others = await eligibility.eligibleOperators(context, row.locale, {
          also: [context.operatorId],
          anyTier: true,
        });
        facts.othersCanTake = others.length > 0;
      }
      return facts;
    }
    return {};
  }
}
