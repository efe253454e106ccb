import type { Dialog } from '../storage/dialog-repository';
import { Lru } from '../lru';
import { OPEN_STATES, stateName } from './dialog-views';

/** How many open dialogs a node keeps rows of (a row with its snapshot is a few kB). */
export const DIALOG_CACHE_SIZE = 10_000;

/**
 * The rows of open dialogs as this node last wrote or read them, bounded (LRU), no timers. A row here
 * may be stale (another node wrote since): it is only ever the row a dispatch's FIRST attempt decides
 * on, whose write is version-checked, so a stale one costs a failed write and a read, never a wrong
 * write (DialogService.dispatch). A closed dialog leaves it; an erased one was closed first.
 */
export class DialogCache {
  private readonly rows: Lru<string, Dialog>;
  /** Visitor id → his open dialog's id (one open dialog per visitor). */
  private readonly openOfVisitor: Lru<string, string>;

  constructor(capacity = DIALOG_CACHE_SIZE) {
    this.rows = new Lru(capacity);
    this.openOfVisitor = new Lru(capacity);
  }

  get(dialogId: string): Dialog | undefined {
    return this.rows.get(dialogId);
  }

  /** The visitor's open dialog as this node last saw it, if it has it. */
  openOf(visitorId: string): Dialog | undefined {
    const dialogId = this.openOfVisitor.get(visitorId);
    const row = dialogId === undefined ? undefined : this.rows.get(dialogId);
    return row?.visitorId === visitorId ? row : undefined;
  }

  /** The row as just written or read: kept while open, forgotten once closed. */
  remember(row: Dialog) {
    if (!OPEN_STATES.includes(stateName(row.state))) return this.forget(row.id);
    this.rows.set(row.id, row);
    this.openOfVisitor.set(row.visitorId, row.id);
  }

  forget(dialogId: string) {
    const row = this.rows.get(dialogId);
    this.rows.delete(dialogId);
    if (row && this.openOfVisitor.get(row.visitorId) === dialogId) this.openOfVisitor.delete(row.visitorId);
  }

  get size() {
    return this.rows.size;
  }
}
