import { AppError } from '../errors';
import type { DialogRow } from '../storage/dialog-repository';
import type { DialogContext } from './dialog-machine';
import { stateName } from './dialog-views';

/** What a dialog row keeps of the machine: its state value and context. */
export interface PersistedDialog {
  value: string;
  context: DialogContext;
}

/** The stored snapshot, checked enough that a corrupt row is an `internal` error, not a crash later. */
export function parseSnapshot(raw: unknown): PersistedDialog {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as PersistedDialog) : (raw as PersistedDialog);
  if (!value || typeof value.value !== 'string' || typeof value.context !== 'object') {
    throw new AppError('internal', 'dialog snapshot is unreadable');
  }
  return value;
}

const at = (ms: number | null) => (ms === null ? null : new Date(ms));

/** Columns kept beside the snapshot so queries (lists, reports, rebuilds) need not parse it. */
export function columnsFor(
  state: string,
  context: DialogContext,
  row: Pick<DialogRow, 'rating'>,
): Partial<DialogRow> {
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
