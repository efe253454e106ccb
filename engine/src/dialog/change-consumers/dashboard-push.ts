import type { Logger } from '../../logger';
import type { GroupLiveStats } from '@hotline/protocol';

/**
 * The supervisors' dashboard, pushed at most twice a second after any change (a dialog change, a
 * presence change, a queue flush). `source` computes it (OperatorService.dashboard), `push` sends it.
 */
export class DashboardPush {
  private flush: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      source: () => Promise<GroupLiveStats[]>;
      push: (stats: GroupLiveStats[]) => void;
      logger: Logger;
    },
  ) {}

  changed() {
    if (this.flush || this.stopped) return;
    this.flush = setTimeout(() => {
      this.flush = null;
      this.deps
        .source()
        .then((stats) => this.deps.push(stats))
        .catch((error) => this.deps.logger.warn({ err: error }, 'dashboard push failed'));
    }, 500);
  }

  stop() {
    this.stopped = true;
    if (this.flush) clearTimeout(this.flush);
    this.flush = null;
  }
}
