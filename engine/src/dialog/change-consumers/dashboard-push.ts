import type { GroupLiveStats } from '@hotline/protocol';
import type { Logger } from '../../logger';

/**
 * The supervisors' dashboard, pushed at most twice a second after any change (a dialog change, a
 * presence change, a queue flush). `source` computes it (OperatorService.dashboard), `push` sends it
 * to every supervisor. It is computed only where a supervisor is connected (`watched`): a node
 * without one tells the others (`tellOthers`), so a change costs no read while nobody looks.
 */
export class DashboardPush {
  private flush: NodeJS.Timeout | null = null;
  private changedHere = false;
  private stopped = false;

  constructor(
    private readonly deps: {
      source: () => Promise<GroupLiveStats[]>;
      push: (stats: GroupLiveStats[]) => void;
      watched: () => boolean;
      tellOthers: () => void;
      logger: Logger;
    },
  ) {}

  /** Something the dashboard counts changed on this node. */
  changed() {
    this.changedHere = true;
    this.schedule();
  }

  /** Another node without supervisors saw a change: recompute only if ours look. */
  changedElsewhere() {
    this.schedule();
  }

  private schedule() {
    if (this.flush || this.stopped) return;
    this.flush = setTimeout(() => {
      this.flush = null;
      const here = this.changedHere;
      this.changedHere = false;
      if (!this.deps.watched()) {
        if (here) this.deps.tellOthers();
        return;
      }
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
