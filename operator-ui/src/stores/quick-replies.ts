import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, api } from '../api/http';
import type { OperatorSocket } from '../api/socket';
import type { QuickReply } from '../lib/quick-replies';

/**
 * The operator's canned answers (his personal ones and the group-wide ones) in his own order, as
 * GET /api/quick-replies returns them. A change in any of his tabs arrives as `quickReplies:changed`.
 */
export const useQuickRepliesStore = defineStore('quickReplies', () => {
  const replies = ref<QuickReply[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);

  /** Listens for the engine's push of his whole list (created, deleted or reordered anywhere). */
  function bind(socket: OperatorSocket) {
    socket.on('quickReplies:changed', ({ quickReplies }) => {
      replies.value = quickReplies;
      loaded.value = true;
    });
  }

  async function load(force = false) {
    if (loaded.value && !force) return;
    try {
      replies.value = await api<QuickReply[]>('GET', '/api/quick-replies');
      loaded.value = true;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function create(input: {
    shortcut: string;
    title: string;
    body: string;
    groupId?: string;
  }): Promise<{ ok: true } | { ok: false; field?: string; message: string }> {
    try {
      const created = await api<QuickReply>('POST', '/api/quick-replies', input);
      // New ones go last in his order; the push brings the engine's list anyway.
      if (!replies.value.some((r) => r.id === created.id)) replies.value = [...replies.value, created];
      return { ok: true };
    } catch (e) {
      const field = e instanceof ApiError ? (e.field ?? e.details[0]?.path) : undefined;
      return { ok: false, message: (e as Error).message, ...(field ? { field } : {}) };
    }
  }

  async function remove(id: string) {
    await api('DELETE', `/api/quick-replies/${id}`);
    replies.value = replies.value.filter((r) => r.id !== id);
  }

  /** Moves one reply up (-1) or down (+1) in his order and saves the whole order (PUT /api/quick-replies/order). */
  async function move(id: string, step: -1 | 1): Promise<{ ok: true } | { ok: false; message: string }> {
    const from = replies.value.findIndex((r) => r.id === id);
    const to = from + step;
    if (from === -1 || to < 0 || to >= replies.value.length) return { ok: true };
    const before = replies.value;
    const next = [...before];
    const [moved] = next.splice(from, 1);
    next.splice(to, 0, moved!);
    replies.value = next;
    try {
      replies.value = await api<QuickReply[]>('PUT', '/api/quick-replies/order', {
        ids: next.map((r) => r.id),
      });
      return { ok: true };
    } catch (e) {
      replies.value = before;
      return { ok: false, message: (e as Error).message };
    }
  }

  return { replies, loaded, error, bind, load, create, remove, move };
});
