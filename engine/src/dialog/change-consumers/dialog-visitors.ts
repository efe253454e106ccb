import type { DialogRepository } from '../../storage/dialog-repository';

/** How many ids one Postgres query asks for at most. */
const BATCH = 1000;

/**
 * Which visitor a dialog belongs to, for the queue-position pushes. A dialog's visitor never
 * changes, so Postgres is asked only about dialogs not seen yet; the least recently used entries
 * go beyond `limit`, so memory stays bounded however many dialogs pass through a node.
 */
export class DialogVisitors {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly repo: Pick<DialogRepository, 'visitorsOf'>,
    private readonly limit = 50_000,
  ) {}

  /** The visitor ids of these dialogs (a dialog that no longer exists is left out). */
  async of(dialogIds: string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    const missing: string[] = [];
    for (const id of dialogIds) {
      const visitorId = this.known.get(id);
      if (visitorId === undefined) {
        missing.push(id);
        continue;
      }
      // Re-insert: Map order is the recency order the eviction below relies on.
      this.known.delete(id);
      this.known.set(id, visitorId);
      result.set(id, visitorId);
    }
    for (let i = 0; i < missing.length; i += BATCH) {
      for (const [dialogId, visitorId] of await this.repo.visitorsOf(missing.slice(i, i + BATCH))) {
        this.known.set(dialogId, visitorId);
        result.set(dialogId, visitorId);
      }
    }
    for (const oldest of this.known.keys()) {
      if (this.known.size <= this.limit) break;
      this.known.delete(oldest);
    }
    return result;
  }

  get size() {
    return this.known.size;
  }
}
