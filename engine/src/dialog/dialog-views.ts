import {
  type DialogState,
  type DialogSummary,
  type MessageView,
  OPEN_DIALOG_STATES,
  type PageView,
  type VisitorCard,
} from '@hotline/protocol';
import type { Dialog, Visitor } from '../storage/dialog-repository';
import type { DialogContext } from './dialog-machine';

export const OPEN_STATES: DialogState[] = [...OPEN_DIALOG_STATES];
const STATES: DialogState[] = [...OPEN_STATES, 'closed', 'abandoned'];

/** The machine's state value as the protocol's DialogState. */
export function stateName(value: string): DialogState {
  return (STATES as string[]).includes(value) ? (value as DialogState) : 'created';
}

export const HELD_STATES: DialogState[] = ['assigned', 'active'];

const iso = (value: Date | null) => (value ? value.toISOString() : null);

/** Since when the visitor's last message waits for a human answer. */
export function waitingSince(context: DialogContext | null): string | null {
  if (!context?.lastVisitorMessageAt) return null;
  if (context.lastOperatorMessageAt && context.lastOperatorMessageAt >= context.lastVisitorMessageAt)
    return null;
  return new Date(context.lastVisitorMessageAt).toISOString();
}

/**
 * When the unanswered threshold will take the dialog from its holder (rerouteOnUnanswered), for the
 * console's countdown; null when nothing will take it. A forecast: the holder typing or being the only
 * one who may take it can still keep it (see docs/dialog-machine.md).
 */
export function rerouteAt(state: DialogState, context: DialogContext | null): string | null {
  if (state !== 'assigned' || !context) return null;
  const due = Object.values(context.timers ?? {})
    .filter((t) => t.reroute === true)
    .map((t) => t.dueAt);
  return due.length ? new Date(Math.min(...due)).toISOString() : null;
}

export function toSummary(
  row: Dialog,
  extra: { context: DialogContext | null; operatorName: string | null; lastMessage: MessageView | null },
): DialogSummary {
  return {
    id: row.id,
    visitorId: row.visitorId,
    siteId: row.siteId,
    kind: row.kind,
    state: stateName(row.state),
    groupId: row.groupId,
    topicId: row.topicId,
    regionId: row.regionId,
    priority: row.priority,
    operatorId: row.operatorId,
    operatorName: extra.operatorName,
    contact: row.contact,
    callback: row.callback,
    createdAt: row.createdAt.toISOString(),
    queuedAt: iso(row.queuedAt),
    assignedAt: iso(row.assignedAt),
    closedAt: iso(row.closedAt),
    outcome: row.outcome,
    waitingSince: waitingSince(extra.context),
    rerouteAt: rerouteAt(stateName(row.state), extra.context),
    lastMessage: extra.lastMessage,
  };
}

/** The visitor card from his row and newest pages. */
export function toCard(
  visitorId: string,
  visitor: Visitor | null,
  pages: PageView[],
  earlierDialogs: number,
): VisitorCard {
  const firstPage = pages[pages.length - 1];
  return {
    visitorId,
    name: visitor?.name ?? null,
    email: visitor?.email ?? null,
    phone: visitor?.phone ?? null,
    language: visitor?.language ?? null,
    userAgent: visitor?.userAgent ?? null,
    ip: visitor?.ip ?? null,
    currentPage: pages[0] ?? null,
    pages,
    referrer: firstPage?.referrer ?? null,
    earlierDialogs,
    blocked: Boolean(visitor?.blockedAt),
  };
}
