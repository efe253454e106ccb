import type { GroupLiveStats } from '@hotline/protocol';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { type OperatorSocket, request } from '../api/socket';

/** Supervisors' live numbers: subscribed on every (re)connect, then pushed by the engine. */
export const useDashboardStore = defineStore('dashboard', () => {
  const stats = ref<GroupLiveStats[]>([]);
  /** When the numbers were taken, so longest waits can tick between pushes. */
  const receivedAt = ref(0);
  const error = ref<string | null>(null);
  const loaded = ref(false);
  let socket: OperatorSocket | null = null;

  function bind(s: OperatorSocket) {
    socket = s;
    s.on('dashboard:update', (next) => accept(next));
  }

  async function onConnected() {
    if (!socket) return;
    const result = await request(socket, 'dashboard:subscribe', {});
    if (result.ok) accept(result.data);
    else error.value = result.error.message;
  }

  function accept(next: GroupLiveStats[]) {
    stats.value = next;
    receivedAt.value = Date.now();
    loaded.value = true;
    error.value = null;
  }

  return { stats, receivedAt, error, loaded, bind, onConnected };
});
