import type { DialogSummary, MessageView } from '@hotline/protocol';

/** Adds messages to a dialog's list once each (by id, and by clientMessageId for echoes), in seq order. */
export function mergeMessages(list: MessageView[], incoming: MessageView[]): MessageView[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  const clientIds = new Set(list.map((m) => m.clientMessageId).filter(Boolean));
  let changed = false;
  for (const message of incoming) {
    if (byId.has(message.id)) continue;
    if (
      message.clientMessageId &&
      clientIds.has(message.clientMessageId) &&
      message.authorKind === 'operator'
    )
      continue;
    byId.set(message.id, message);
    changed = true;
  }
  if (!changed) return list;
  return [...byId.values()].sort((a, b) => a.seq - b.seq || a.createdAt.localeCompare(b.createdAt));
}

/** Replaces or adds a summary by id. */
export function upsertSummary(list: DialogSummary[], summary: DialogSummary): DialogSummary[] {
  const index = list.findIndex((d) => d.id === summary.id);
  if (index === -1) return [...list, summary];
  const next = [...list];
  next[index] = summary;
  return next;
}

export const HELD_STATES: DialogSummary['state'][] = ['assigned', 'active', 'offered', 'awaiting-contact'];
export const FINISHED_STATES: DialogSummary['state'][] = ['closed', 'abandoned'];
