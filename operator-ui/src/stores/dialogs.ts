import type { AttachmentView } from '@hotline/client/attachments';
import { Outbox, type OutboxItem } from '@hotline/client/outbox';
import { requester } from '@hotline/client/request';
import type { Result } from '@hotline/client/result';
import { browserStorage, readJson } from '@hotline/client/storage';
import type { PrepareResult } from '@hotline/client/upload-tray';
import type {
  CloseOutcome,
  DialogDetail,
  DialogSummary,
  MessageView,
  OperatorRequests,
} from '@hotline/protocol';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../api/http';
import type { OperatorSocket } from '../api/socket';
import { visitorLabel } from '../i18n/format';
import { FINISHED_STATES, mergeMessages, upsertSummary } from '../lib/messages';
import { useQuickRepliesStore } from './quick-replies';
import { useSessionStore } from './session';

/** The visitor's name as far as a summary knows it (his last message's author). */
const visitorNameOf = (summary: DialogSummary) =>
  summary.lastMessage?.authorKind === 'visitor' ? summary.lastMessage.authorName : null;

export type Incoming =
  | { kind: 'dialog'; dialog: DialogSummary; offered: boolean }
  | { kind: 'message'; message: MessageView }
  | { kind: 'lead'; dialog: DialogSummary };

/** Why a dialog left the operator's list, named so he knows which conversation it was. */
export interface RemovedNotice {
  dialogId: string;
  name: string;
  reason: string;
}

/** How long the "dialog left your list" notice stays before it goes by itself. */
export const NOTICE_MS = 8000;

export type ActionResult<T = null> = Result<T>;

const isDrafts = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');

/**
 * The operator's dialogs: his held and offered ones, the leads he may pick, and for supervisors every
 * open dialog. Pushes update it; every (re)connect re-reads it, so nothing depends on a push arriving.
 * Drafts and unsent messages survive reloads and lost connections (localStorage, per account).
 */
export const useDialogsStore = defineStore('dialogs', () => {
  const storage = browserStorage();
  const mine = ref<DialogSummary[]>([]);
  const offers = ref<Record<string, string>>({});
  const details = ref<Record<string, DialogDetail>>({});
  const leads = ref<DialogSummary[]>([]);
  const all = ref<DialogSummary[]>([]);
  const selectedId = ref<string | null>(null);
  const unread = ref<Record<string, number>>({});
  const typing = ref<Record<string, boolean>>({});
  const drafts = ref<Record<string, string>>({});
  const pending = ref<OutboxItem[]>([]);
  const loaded = ref(false);
  const listError = ref<string | null>(null);
  const openError = ref<string | null>(null);
  const notice = ref<RemovedNotice | null>(null);
  let noticeTimer: ReturnType<typeof setTimeout> | null = null;
  let socket: OperatorSocket | null = null;
  const ask = requester<OperatorRequests>(() => socket);
  let outbox: Outbox | null = null;
  const listeners = new Set<(event: Incoming) => void>();
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  const accountKey = () => useSessionStore().account?.id ?? 'anonymous';
  const draftsKey = () => `hotline:drafts:${accountKey()}`;

  const selected = computed(() => (selectedId.value ? (details.value[selectedId.value] ?? null) : null));
  const selectedSummary = computed(
    () =>
      mine.value.find((d) => d.id === selectedId.value) ??
      all.value.find((d) => d.id === selectedId.value) ??
      leads.value.find((d) => d.id === selectedId.value) ??
      null,
  );
  /** Unread messages in his own dialogs only (a supervisor's watched dialogs are not his to answer). */
  const totalUnread = computed(() => mine.value.reduce((sum, d) => sum + (unread.value[d.id] ?? 0), 0));
  const knownGroupIds = computed(() =>
    [
      ...new Set(
        [...mine.value, ...leads.value, ...all.value]
          .map((d) => d.groupId)
          .filter((g): g is string => Boolean(g)),
      ),
    ].sort(),
  );

  function onIncoming(listener: (event: Incoming) => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }
  const emitIncoming = (event: Incoming) => {
    for (const listener of listeners) listener(event);
  };

  /** Wires the pushes of a new socket; called once per socket by the realtime store. */
  function bind(s: OperatorSocket) {
    socket = s;
    // His quick replies ride the same socket (their store has no other way to hear of it).
    useQuickRepliesStore().bind(s);
    drafts.value = readJson(storage, draftsKey(), isDrafts, {});
    outbox = new Outbox(
      storage,
      `hotline:outbox:${accountKey()}`,
      (item) => {
        const attachmentIds = item.attachments?.map((a) => a.id);
        return ask('message:send', {
          // The console's items always name their dialog; none would be refused as bad_request.
          dialogId: item.dialogId ?? '',
          clientMessageId: item.clientMessageId,
          body: item.body,
          ...(attachmentIds?.length ? { attachmentIds } : {}),
        });
      },
      {
        onChange: (items) => {
          pending.value = items;
        },
        onSent: (message) => addMessages(message.dialogId, [message]),
      },
    );
    pending.value = outbox.list();

    s.on('dialog:assigned', (detail) => {
      storeDetail(detail);
      mine.value = upsertSummary(mine.value, toSummary(detail));
      delete offers.value[detail.id];
      leads.value = leads.value.filter((d) => d.id !== detail.id);
      bumpUnread(detail.id, detail.messages.filter((m) => m.authorKind === 'visitor').length > 0 ? 1 : 0);
      emitIncoming({ kind: 'dialog', dialog: toSummary(detail), offered: false });
    });
    s.on('dialog:offered', ({ dialog, expiresAt }) => {
      storeDetail(dialog);
      offers.value = { ...offers.value, [dialog.id]: expiresAt };
      mine.value = upsertSummary(mine.value, { ...toSummary(dialog), state: 'offered' });
      emitIncoming({ kind: 'dialog', dialog: toSummary(dialog), offered: true });
    });
    s.on('dialog:updated', (summary) => applySummary(summary));
    s.on('dialog:removed', ({ dialogId, reason }) => {
      const summary = mine.value.find((d) => d.id === dialogId);
      // Named before it is forgotten, so the operator knows which conversation left him.
      const label = summary
        ? visitorLabel(details.value[dialogId]?.visitor.name ?? visitorNameOf(summary), summary.visitorId)
        : null;
      forgetDialog(dialogId);
      if (label) showNotice({ dialogId, name: label, reason });
    });
    s.on('message:new', (message) => {
      if (message.clientMessageId) outbox?.confirm(message.clientMessageId);
      addMessages(message.dialogId, [message]);
      touchSummary(message);
      if (message.authorKind === 'visitor') {
        typing.value = { ...typing.value, [message.dialogId]: false };
        const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
        if (message.dialogId !== selectedId.value || !visible) bumpUnread(message.dialogId, 1);
        emitIncoming({ kind: 'message', message });
      }
    });
    s.on('typing:visitor', ({ dialogId, typing: isTyping }) => {
      typing.value = { ...typing.value, [dialogId]: isTyping };
      const timer = typingTimers.get(dialogId);
      if (timer) clearTimeout(timer);
      // A lost "stopped typing" must not leave the indicator on forever.
      if (isTyping)
        typingTimers.set(
          dialogId,
          setTimeout(() => (typing.value = { ...typing.value, [dialogId]: false }), 8000),
        );
    });
    s.on('lead:new', (summary) => {
      leads.value = upsertSummary(leads.value, summary);
      emitIncoming({ kind: 'lead', dialog: summary });
    });
  }

  /** After every (re)connect: re-read the lists and the open dialog, then send what waited. */
  async function onConnected() {
    await refresh();
    if (selectedId.value) await open(selectedId.value, { quiet: true });
    await outbox?.flush();
  }

  async function refresh() {
    if (!socket) return;
    const result = await ask('dialogs:list', {});
    if (!result.ok) {
      listError.value = result.error.message;
      return;
    }
    listError.value = null;
    mine.value = result.data.mine;
    leads.value = result.data.leads;
    const ids = new Set(result.data.mine.map((d) => d.id));
    offers.value = Object.fromEntries(Object.entries(offers.value).filter(([id]) => ids.has(id)));
    if (useSessionStore().isSupervisor) await refreshAll();
    loaded.value = true;
  }

  async function refreshAll() {
    try {
      all.value = await api<DialogSummary[]>('GET', '/api/dialogs');
    } catch (error) {
      listError.value = (error as Error).message;
    }
  }

  async function open(dialogId: string, options: { quiet?: boolean } = {}): Promise<void> {
    selectedId.value = dialogId;
    markRead(dialogId);
    if (!socket) return;
    if (!options.quiet) openError.value = null;
    const result = await ask('dialog:open', { dialogId });
    if (result.ok) {
      storeDetail(result.data);
      openError.value = null;
    } else if (!options.quiet || !result.retryable) {
      openError.value = result.error.message;
    }
  }

  function select(dialogId: string | null) {
    if (dialogId) void open(dialogId);
    else selectedId.value = null;
  }

  function markRead(dialogId: string) {
    if (unread.value[dialogId]) {
      const next = { ...unread.value };
      delete next[dialogId];
      unread.value = next;
    }
  }

  function setDraft(dialogId: string, text: string) {
    const next = { ...drafts.value };
    if (text) next[dialogId] = text;
    else delete next[dialogId];
    drafts.value = next;
    try {
      storage.setItem(draftsKey(), JSON.stringify(next));
    } catch {
      // The in-memory draft is still there.
    }
  }

  /** Queues the message (text, uploaded files or both; kept until acknowledged) and sends it now if connected. */
  function send(dialogId: string, body: string, attachments: AttachmentView[] = []): OutboxItem | null {
    const text = body.trim();
    if ((!text && attachments.length === 0) || !outbox) return null;
    const item = outbox.add({ dialogId, body: text, attachments });
    setDraft(dialogId, '');
    void outbox.flush();
    return item;
  }

  /** An upload slot for a file in this dialog (`attachment:prepare`). */
  async function prepareAttachment(
    dialogId: string,
    file: { name: string; size: number; type: string },
  ): Promise<PrepareResult> {
    return ask('attachment:prepare', { dialogId, name: file.name, size: file.size, type: file.type });
  }

  function retry(clientMessageId: string) {
    outbox?.retry(clientMessageId);
    void outbox?.flush();
  }

  function discard(clientMessageId: string) {
    outbox?.discard(clientMessageId);
  }

  function setTyping(dialogId: string, isTyping: boolean) {
    if (socket?.connected) void ask('typing:set', { dialogId, typing: isTyping });
  }

  async function acceptOffer(dialogId: string): Promise<ActionResult<DialogDetail>> {
    const result = await act('offer:accept', { dialogId });
    if (result.ok) {
      storeDetail(result.data);
      delete offers.value[dialogId];
      mine.value = upsertSummary(mine.value, toSummary(result.data));
      selectedId.value = dialogId;
    }
    return result;
  }

  async function declineOffer(dialogId: string): Promise<ActionResult> {
    const result = await act('offer:decline', { dialogId });
    if (result.ok) forgetDialog(dialogId);
    return result;
  }

  async function transfer(
    dialogId: string,
    target: { toGroupId?: string; toOperatorId?: string },
    note: string,
  ): Promise<ActionResult<DialogSummary>> {
    const result = await act('dialog:transfer', {
      dialogId,
      ...target,
      ...(note.trim() ? { note: note.trim() } : {}),
    });
    if (result.ok) {
      forgetDialog(dialogId, { keepInAll: true });
      if (useSessionStore().isSupervisor) all.value = upsertSummary(all.value, result.data);
    }
    return result;
  }

  /** Supervisors: a queued dialog to a named operator with room. */
  async function assign(dialogId: string, operatorId: string): Promise<ActionResult<DialogSummary>> {
    const result = await act('dialog:assign', { dialogId, operatorId });
    if (result.ok) all.value = upsertSummary(all.value, result.data);
    return result;
  }

  /** Supervisors: a held dialog becomes his (he needs room under his limit). */
  async function takeOver(dialogId: string): Promise<ActionResult<DialogDetail>> {
    const result = await act('dialog:takeover', { dialogId });
    if (result.ok) {
      storeDetail(result.data);
      mine.value = upsertSummary(mine.value, toSummary(result.data));
      all.value = upsertSummary(all.value, toSummary(result.data));
    }
    return result;
  }

  async function close(dialogId: string, outcome: CloseOutcome): Promise<ActionResult<DialogSummary>> {
    const result = await act('dialog:close', { dialogId, outcome });
    if (result.ok) forgetDialog(dialogId);
    return result;
  }

  async function block(dialogId: string, reason: string): Promise<ActionResult> {
    const result = await act('visitor:block', { dialogId, reason });
    if (result.ok) forgetDialog(dialogId);
    return result;
  }

  async function pickLead(dialogId: string): Promise<ActionResult<DialogDetail>> {
    const result = await act('lead:pick', { dialogId });
    if (result.ok) {
      storeDetail(result.data);
      leads.value = leads.value.filter((d) => d.id !== dialogId);
      mine.value = upsertSummary(mine.value, toSummary(result.data));
      selectedId.value = dialogId;
    } else if (result.error.code === 'conflict' || result.error.code === 'not_found') {
      leads.value = leads.value.filter((d) => d.id !== dialogId);
    }
    return result;
  }

  async function act<
    E extends
      | 'offer:accept'
      | 'offer:decline'
      | 'dialog:transfer'
      | 'dialog:assign'
      | 'dialog:takeover'
      | 'dialog:close'
      | 'visitor:block'
      | 'lead:pick',
  >(event: E, payload: OperatorRequests[E]['payload']) {
    return ask(event, payload);
  }

  function applySummary(summary: DialogSummary) {
    const me = useSessionStore().account?.id;
    const finished = FINISHED_STATES.includes(summary.state);
    if (summary.operatorId === me && !finished && summary.state !== 'lead')
      mine.value = upsertSummary(mine.value, summary);
    else if (
      mine.value.some((d) => d.id === summary.id) &&
      (finished || (summary.operatorId !== me && summary.state !== 'offered'))
    ) {
      mine.value = mine.value.filter((d) => d.id !== summary.id);
    }
    if (summary.state === 'lead') leads.value = upsertSummary(leads.value, summary);
    else leads.value = leads.value.filter((d) => d.id !== summary.id);
    if (useSessionStore().isSupervisor) {
      all.value = finished ? all.value.filter((d) => d.id !== summary.id) : upsertSummary(all.value, summary);
    }
    const detail = details.value[summary.id];
    if (detail) details.value = { ...details.value, [summary.id]: { ...detail, ...summary } };
  }

  function touchSummary(message: MessageView) {
    const update = (list: DialogSummary[]) =>
      list.map((d) =>
        d.id === message.dialogId
          ? {
              ...d,
              lastMessage: message,
              waitingSince:
                message.authorKind === 'visitor'
                  ? (d.waitingSince ?? message.createdAt)
                  : message.authorKind === 'operator'
                    ? null
                    : d.waitingSince,
              // His reply answers the visitor: nothing will take the dialog from him now.
              rerouteAt: message.authorKind === 'operator' ? null : d.rerouteAt,
            }
          : d,
      );
    mine.value = update(mine.value);
    all.value = update(all.value);
    const detail = details.value[message.dialogId];
    if (detail) {
      const waitingSince =
        message.authorKind === 'visitor'
          ? (detail.waitingSince ?? message.createdAt)
          : message.authorKind === 'operator'
            ? null
            : detail.waitingSince;
      const rerouteAt = message.authorKind === 'operator' ? null : detail.rerouteAt;
      details.value = {
        ...details.value,
        [message.dialogId]: { ...detail, lastMessage: message, waitingSince, rerouteAt },
      };
    }
  }

  function addMessages(dialogId: string, messages: MessageView[]) {
    const detail = details.value[dialogId];
    if (!detail) return;
    const merged = mergeMessages(detail.messages, messages);
    if (merged !== detail.messages)
      details.value = { ...details.value, [dialogId]: { ...detail, messages: merged } };
  }

  function storeDetail(detail: DialogDetail) {
    const known = details.value[detail.id];
    const messages = known ? mergeMessages(detail.messages, known.messages) : detail.messages;
    details.value = { ...details.value, [detail.id]: { ...detail, messages } };
  }

  function forgetDialog(dialogId: string, options: { keepInAll?: boolean } = {}) {
    mine.value = mine.value.filter((d) => d.id !== dialogId);
    leads.value = leads.value.filter((d) => d.id !== dialogId);
    if (!options.keepInAll) all.value = all.value.filter((d) => d.id !== dialogId);
    const nextOffers = { ...offers.value };
    delete nextOffers[dialogId];
    offers.value = nextOffers;
    markRead(dialogId);
    outbox?.discardDialog(dialogId);
    if (selectedId.value === dialogId) selectedId.value = null;
  }

  function showNotice(next: RemovedNotice | null) {
    notice.value = next;
    if (noticeTimer) clearTimeout(noticeTimer);
    noticeTimer = next ? setTimeout(() => (notice.value = null), NOTICE_MS) : null;
  }

  function bumpUnread(dialogId: string, by: number) {
    if (by > 0) unread.value = { ...unread.value, [dialogId]: (unread.value[dialogId] ?? 0) + by };
  }

  function reset() {
    socket = null;
    outbox = null;
    mine.value = [];
    offers.value = {};
    details.value = {};
    leads.value = [];
    all.value = [];
    selectedId.value = null;
    unread.value = {};
    pending.value = [];
    loaded.value = false;
  }

  return {
    mine,
    offers,
    details,
    leads,
    all,
    selectedId,
    selected,
    selectedSummary,
    unread,
    typing,
    drafts,
    pending,
    loaded,
    listError,
    openError,
    notice,
    showNotice,
    totalUnread,
    knownGroupIds,
    onIncoming,
    bind,
    onConnected,
    refresh,
    refreshAll,
    open,
    select,
    markRead,
    setDraft,
    send,
    prepareAttachment,
    retry,
    discard,
    setTyping,
    acceptOffer,
    declineOffer,
    transfer,
    assign,
    takeOver,
    close,
    block,
    pickLead,
    reset,
  };
});

function toSummary(detail: DialogDetail): DialogSummary {
  const { messages: _messages, visitor: _visitor, history: _history, ...summary } = detail;
  return summary;
}
