import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, api } from '../api/http';
import type { QuickReply } from '../lib/quick-replies';

/** The operator's canned answers: his personal ones and the group-wide ones. */
export const useQuickRepliesStore = defineStore('quickReplies', () => {
  const replies = ref<QuickReply[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);

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
      replies.value = [...replies.value, created].sort((a, b) => a.shortcut.localeCompare(b.shortcut));
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

  return { replies, loaded, error, load, create, remove };
});
