import type { QueueMove, QueuePositionView } from '@hotline/protocol';
import { estimateWaitFrom } from '@hotline/routing-rules/wait';

/**
 * A waiting visitor's position after a `queue:move` broadcast, from his own exact one: minus the
 * dialogs that left ahead of him, plus those that entered at or before his new place. Null when the
 * move does not apply (another group, or a revision he is not at: he waits for the next exact push).
 */
export function applyQueueMove(queue: QueuePositionView | null, move: QueueMove): QueuePositionView | null {
  const sync = queue?.sync;
  if (!queue || !sync || sync.groupId !== move.groupId || sync.rev !== move.since) return null;
  let position = queue.position;
  for (const left of move.left) if (left < queue.position) position -= 1;
  for (const entered of move.entered) if (entered <= position) position += 1;
  return {
    dialogId: queue.dialogId,
    position,
    eta: estimateWaitFrom(position, move.wait),
    sync: { groupId: move.groupId, rev: move.rev, wait: move.wait },
  };
}
