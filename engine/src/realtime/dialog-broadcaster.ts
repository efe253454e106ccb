import type { OperatorPushes } from '../dialog/change-consumers/operator-updates';
import { type DialogChange, isHandoff } from '../dialog/dialog-change';
import type {
  DialogDetail,
  DialogSummary,
  GroupLiveStats,
  MessageView,
  OperatorSelf,
} from '@hotline/protocol';
import type { Notifier } from './notifier';

/**
 * Maps committed dialog changes to rooms, and nothing else (no queries, no metrics): the visitor
 * sees the state, his operator and every message but internal notes; the holder gets his dialog's
 * updates and messages; the previous holder is told it left him; supervisors get everything.
 * Pushes are best effort: clients resync on reconnect.
 */
export class DialogBroadcaster implements OperatorPushes {
  constructor(private readonly notifier: Notifier) {}

  onChange = (change: DialogChange) => {
    const { notifier } = this;
    const { previous, context, views } = change;
    if (change.kind === 'transition') notifier.toVisitor(change.visitorId, 'dialog:state', views.visitor);
    for (const message of change.messages) this.message(message, change.visitorId, context.operatorId);
    if (change.kind !== 'transition') return;
    if (previous.operatorId && previous.operatorId !== context.operatorId) {
      notifier.toOperator(previous.operatorId, 'dialog:removed', {
        dialogId: change.dialogId,
        reason: (change.event?.type ?? '').toLowerCase(),
      });
    }
    if (context.operatorId && !isHandoff(change))
      notifier.toOperator(context.operatorId, 'dialog:updated', views.summary);
    if (change.to === 'lead' && change.from !== 'lead') notifier.toSupervisors('lead:new', views.summary);
    notifier.toSupervisors('dialog:updated', views.summary);
  };

  handedTo(operatorId: string, detail: DialogDetail, offer: { expiresAt: string } | null) {
    if (offer)
      this.notifier.toOperator(operatorId, 'dialog:offered', { dialog: detail, expiresAt: offer.expiresAt });
    else this.notifier.toOperator(operatorId, 'dialog:assigned', detail);
  }

  lead(summary: DialogSummary, operatorIds: string[]) {
    this.notifier.toOperators(operatorIds, 'lead:new', summary);
  }

  self(update: OperatorSelf) {
    this.notifier.toOperator(update.operatorId, 'self:update', update);
  }

  dashboard(stats: GroupLiveStats[]) {
    this.notifier.toSupervisors('dashboard:update', stats);
  }

  /** A new message: to the visitor (unless internal), the holder and the supervisors. */
  private message(message: MessageView, visitorId: string, operatorId: string | null) {
    const { notifier } = this;
    if (message.authorKind !== 'system') notifier.toVisitor(visitorId, 'message:new', message);
    if (operatorId) notifier.toOperator(operatorId, 'message:new', message);
    notifier.toSupervisors('message:new', message);
  }
}
