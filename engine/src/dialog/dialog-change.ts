import type {
  DialogDetail,
  DialogState,
  DialogSummary,
  MessageView,
  VisitorServerToClient,
} from '@hotline/protocol';
import type { OperatorLoad } from '../routing-store/routing-store';
import type { ChangeKind, CommittedDialog, Dialog, Handover } from '../storage/dialog-repository';
import type { DialogContext, DialogEffect, DialogEvent } from './dialog-machine';
import { parseSnapshot } from './dialog-snapshot';
import { stateName, toCard, toSummary } from './dialog-views';

/** What the visitor's widget is told of a change (`dialog:state`). */
export type VisitorStateView = Parameters<VisitorServerToClient['dialog:state']>[0];

/**
 * One committed change of one dialog: a transition of its machine, or a message stored without one.
 * Built once from what the transaction wrote and returned; every consumer (pushes, metrics, the
 * dashboard, the outbox's readers) takes what it needs from here and reads nothing again.
 */
export interface DialogChange {
  /** The outbox row's global id (docs/changes.md). */
  id: number;
  /** The dialog's own change number: 1, 2, 3 … without gaps. */
  seq: number;
  kind: ChangeKind;
  dialogId: string;
  visitorId: string;
  /** The machine's event; for a change of kind `message`, none. */
  event: DialogEvent | null;
  from: string;
  to: string;
  previous: DialogContext;
  context: DialogContext;
  /** Messages this change stored, in order: the visitor's or operator's, auto-messages, notes. */
  messages: MessageView[];
  effects: DialogEffect[];
  /** The dialog row as written. */
  row: Dialog;
  /**
   * The previous holder's load as the change's release left it (set before the change is published,
   * when it released him): pushed to him without reading the routing store again.
   */
  releasedHolder?: OperatorLoad;
  views: {
    /** For the holder, the group's operators and supervisors. */
    summary: DialogSummary;
    /** For the visitor's widget. */
    visitor: VisitorStateView;
    /** The holder's public name and picture (none without a holder). */
    holder: { name: string; avatarUrl: string | null } | null;
    /**
     * The dialog's whole detail for a new holder (`dialog:assigned`): set when the change hands the
     * dialog to someone (see `handsOver`), read by the change's own statement.
     */
    detail: DialogDetail | null;
  };
  at: string;
}

/** Anything that reacts to committed changes (it must not throw; it must not read the dialog again). */
export type ChangeConsumer = (change: DialogChange) => void;

/** The views of a change, from the committed row and the messages the change stored. */
export function changeViews(
  committed: CommittedDialog,
  context: DialogContext,
  messages: MessageView[],
): DialogChange['views'] {
  const { row, holder } = committed;
  const state: DialogState = stateName(row.state);
  const summary = toSummary(row, {
    context,
    operatorName: holder?.name ?? null,
    lastMessage: messages.at(-1) ?? committed.lastMessage,
  });
  return {
    summary,
    visitor: {
      dialogId: row.id,
      state,
      operatorName: holder?.name ?? null,
      operatorAvatarUrl: holder?.avatarUrl ?? null,
      contactRequested: context.contactRequested,
    },
    holder,
    detail: committed.handover ? handoverDetail(summary, committed.handover, messages) : null,
  };
}

/** A new holder's detail: the messages before the change and the change's own, his card, his history. */
function handoverDetail(summary: DialogSummary, handover: Handover, messages: MessageView[]): DialogDetail {
  return {
    ...summary,
    messages: [...handover.messages, ...messages],
    visitor: toCard(summary.visitorId, handover.visitor, handover.pages, handover.earlierCount),
    history: handover.earlier.map((earlier) => ({
      dialog: toSummary(earlier.row, {
        context: parseSnapshot(earlier.row.snapshot).context,
        operatorName: earlier.operatorName,
        lastMessage: earlier.messages.at(-1) ?? null,
      }),
      messages: earlier.messages,
    })),
  };
}

/**
 * Whether a transition hands the dialog to a holder who needs its whole detail: it enters `assigned`
 * or `offered` (a queue assignment, an offer, an accepted offer), or changes holder there (a transfer,
 * a take-over). Its statement then reads the detail (`ChangeWrite.handover`).
 */
export function handsOver(
  from: string,
  to: string,
  previous: Pick<DialogContext, 'operatorId'>,
  context: Pick<DialogContext, 'operatorId'>,
): boolean {
  return (
    context.operatorId !== null &&
    (to === 'assigned' || to === 'offered') &&
    (from !== to || context.operatorId !== previous.operatorId)
  );
}

/**
 * What the outbox keeps of a change: enough for webhooks, reports and audit to replay it. The change's
 * statement adds `messages`, as stored (with their `seq`).
 */
export function outboxPayload(change: {
  event: DialogEvent | null;
  from: string;
  to: string;
  version: number;
  context: DialogContext;
}) {
  return change;
}

/**
 * A dialog handed to a new holder other than by the queue (a transfer, a lead picked up, a take-over):
 * he gets its whole detail (OperatorUpdates.handedTo), not an update. Queue assignments and offers
 * are announced with their detail by the assignment dispatcher's listener.
 */
export function isHandoff(change: DialogChange): boolean {
  const { previous, context, event } = change;
  return (
    handsOver(change.from, change.to, previous, context) &&
    context.operatorId !== previous.operatorId &&
    event?.type !== 'ASSIGNED' &&
    event?.type !== 'OFFERED'
  );
}
