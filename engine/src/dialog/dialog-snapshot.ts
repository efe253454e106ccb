import { AppError } from '../errors';
import type { DialogFields } from '../storage/dialog-repository';
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

/**
 * Columns kept beside the snapshot so queries (lists, reports, rebuilds) need not parse it. Not the
 * rating: only `rate` writes it, without a version, so a transition decided on an older row (read
 * before the rating, or cached) must not write it back.
 */
export function columnsFor(state: string, context: DialogContext): DialogFields {
  return {
    state: stateName(state),
    snapshot: { value: state, context } satisfies PersistedDialog,
    groupId: context.groupId || null,
    topicId: context.topicId,
    regionId: context.regionId,
    priority: context.priority,
    operatorId: context.operatorId,
    contact: context.contact,
    outcome: context.outcome,
    queuedAt: at(context.queuedAt),
    assignedAt: at(context.assignedAt),
    firstResponseAt: at(context.firstHumanResponseAt),
    firstAutoResponseAt: at(context.firstAutoResponseAt),
    closedAt: at(context.closedAt),
  };
}
