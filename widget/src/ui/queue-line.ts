/**
 * The queue line's text: the exact position in the head of the queue, the bound he is behind further
 * back (docs/protocol.md, _Queue positions_). The engine pushes a position with its estimate only when the position
 * changes, so the estimate is aged here: minus the time since it came, and dropped once that time is
 * used up rather than shown stale ("less than 1 min" for minutes on end).
 */
import type { QueuePositionView } from '@hotline/protocol';
import type { Translate } from '../i18n';

/** How often the wait estimate is aged while it shows. */
export const ETA_TICK_MS = 15_000;

export function queueText(queue: QueuePositionView, elapsedMs: number, t: Translate): string {
  const { position, eta } = queue;
  // Behind the exact head the engine tells a bound (he is further back), and no estimate.
  if (!queue.exact) return t('queueBehind', { n: position });
  const left = eta ? eta.minutes - elapsedMs / 60_000 : 0;
  if (!eta || left <= 0) return t('queuePosition', { n: position });
  const minutes = Math.max(1, Math.ceil(left));
  const qualifier = eta.qualifier === 'less-than' ? 'queueEtaLess' : 'queueEta';
  return t(qualifier, { n: position, m: minutes });
}
