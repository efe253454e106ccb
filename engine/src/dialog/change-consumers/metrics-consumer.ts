import type { Metrics } from '../../metrics/metrics';
import type { DialogChange } from '../dialog-change';

/** Metrics from committed changes: auto-messages sent, first responses (auto and human). */
export function metricsConsumer(metrics: Metrics) {
  return (change: DialogChange) => {
    const { previous, context } = change;
    for (const message of change.messages) {
      if (message.authorKind === 'auto') metrics.autoMessages.inc({ kind: message.autoKind ?? 'unknown' });
    }
    const firstAt = context.firstVisitorMessageAt;
    if (firstAt === null) return;
    if (previous.firstAutoResponseAt === null && context.firstAutoResponseAt !== null)
      metrics.firstResponse.observe({ kind: 'auto' }, (context.firstAutoResponseAt - firstAt) / 1000);
    if (previous.firstHumanResponseAt === null && context.firstHumanResponseAt !== null)
      metrics.firstResponse.observe({ kind: 'human' }, (context.firstHumanResponseAt - firstAt) / 1000);
  };
}
