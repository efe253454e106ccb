import type { OperatorSelf, Presence } from '@hotline/protocol';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { connectOperatorSocket, type OperatorSocket, request } from '../api/socket';
import { browserStorage } from '@hotline/client/storage';
import { useDashboardStore } from './dashboard';
import { useDialogsStore } from './dialogs';
import { useSessionStore } from './session';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'refused';

/**
 * The `/operator` socket: connects after login, reconnects on its own, and on every (re)connect
 * restores the presence the operator chose (kept per account in localStorage, so a reload or a lost
 * connection does not leave him offline) and re-reads his dialogs.
 */
export const useRealtimeStore = defineStore('realtime', () => {
  const socket = shallowRef<OperatorSocket | null>(null);
  const status = ref<ConnectionStatus>('idle');
  const self = ref<OperatorSelf | null>(null);
  const presenceError = ref<string | null>(null);
  const everConnected = ref(false);
  const storage = browserStorage();

  const presenceKey = () => `hotline:presence:${useSessionStore().account?.id ?? 'anonymous'}`;
  const wantedPresence = (): Presence => {
    const stored = storage.getItem(presenceKey());
    return stored === 'online' || stored === 'away' ? stored : 'offline';
  };

  function connect() {
    if (socket.value) return;
    const session = useSessionStore();
    const dialogs = useDialogsStore();
    const dashboard = useDashboardStore();
    status.value = 'connecting';
    const s = connectOperatorSocket();
    socket.value = s;
    s.on('connect', () => {
      status.value = 'connected';
      everConnected.value = true;
      void (async () => {
        await setPresence(wantedPresence(), false);
        await dialogs.onConnected();
        if (session.isSupervisor) await dashboard.onConnected();
      })();
    });
    s.on('disconnect', (reason) => {
      // A server-side kick (session revoked) does not reconnect by itself.
      status.value = reason === 'io server disconnect' ? 'refused' : 'reconnecting';
      if (reason === 'io server disconnect') setTimeout(() => s.connect(), 2000);
    });
    const signedOut = () => {
      status.value = 'refused';
      disconnect();
      useSessionStore().forget();
      window.location.assign(`${import.meta.env.BASE_URL}login`);
    };
    // This session was revoked (logged out elsewhere, password changed, deactivated...): back to login.
    s.on('session:revoked', signedOut);
    s.on('connect_error', (error) => {
      const code = (error as Error & { data?: { code?: string } }).data?.code;
      if (code === 'unauthorized') {
        signedOut();
        return;
      }
      status.value = everConnected.value ? 'reconnecting' : 'connecting';
    });
    s.on('self:update', (next) => {
      self.value = next;
    });
    dialogs.bind(s);
    if (session.isSupervisor) dashboard.bind(s);
  }

  function disconnect() {
    socket.value?.removeAllListeners();
    socket.value?.disconnect();
    socket.value = null;
    status.value = 'idle';
    self.value = null;
    everConnected.value = false;
  }

  /** Sets presence; `remember` keeps the choice for reloads and reconnects. */
  async function setPresence(next: Presence, remember = true) {
    if (remember) storage.setItem(presenceKey(), next);
    if (!socket.value) return;
    const result = await request(socket.value, 'presence:set', { status: next });
    if (result.ok) {
      self.value = result.data;
      presenceError.value = null;
    } else if (!result.retryable) {
      presenceError.value = result.error.message;
    }
  }

  return { socket, status, self, presenceError, connect, disconnect, setPresence };
});
