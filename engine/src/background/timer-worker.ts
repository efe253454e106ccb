import { AppError } from '../errors';
import type { DialogService } from '../dialog/dialog-service';
import type { Logger } from '../logger';
import type { RoutingStore } from '../routing-store/routing-store';
import type { OperatorService } from '../services/operator-service';

/**
 * Fires due thresholds and expires offers, on every node. A due timer is claimed under a lease, fed
 * to the dialog machine as THRESHOLD, then acked: a node dying before its transaction commits lets
 * the lease run out and another node fires it; one dying after commit leaves a claim whose event the
 * machine ignores (the key is no longer pending). So each threshold takes effect exactly once.
 */
export class TimerWorker {
  private handle: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      store: RoutingStore;
      dialogs: DialogService;
      operators: OperatorService;
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
    const { store, dialogs, operators, logger, clock } = this.deps;
    const now = clock();
    let fired = 0;
    for (const offer of await store.expiredOffers(now)) {
      await operators.declineOffer(offer.operatorId, offer.dialogId, 'expired');
    }
    const claimed = await store.claimDueTimers(now, this.deps.leaseMs ?? 10_000, 100);
    for (const timer of claimed) {
      try {
        await dialogs.dispatch(timer.dialogId, { type: 'THRESHOLD', key: timer.key });
        fired += 1;
      } catch (error) {
        if (error instanceof AppError && error.code === 'not_found') {
          await store.ackTimer(timer);
          continue;
        }
        // Not acked: the lease runs out and the timer is handed out again.
        logger.warn({ err: error, dialogId: timer.dialogId, key: timer.key }, 'threshold failed, will retry');
        continue;
      }
      await store.ackTimer(timer);
    }
    return fired;
  }
}
