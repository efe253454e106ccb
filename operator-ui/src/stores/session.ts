import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../api/http';

/** The signed-in account as GET /api/auth/me returns it. */
export interface Account {
  id: string;
  email: string;
  name: string;
  displayName: string | null;
  avatarUrl: string | null;
  role: 'operator' | 'supervisor';
  active: boolean;
}

/**
 * Who is signed in. The httpOnly session cookie alone carries the session, for REST and the socket
 * alike: no token is kept where a script could read it (the login response's token is ignored).
 */
export const useSessionStore = defineStore('session', () => {
  const account = ref<Account | null>(null);
  const checked = ref(false);
  const isSupervisor = computed(() => account.value?.role === 'supervisor');

  async function restore(): Promise<Account | null> {
    try {
      account.value = await api<Account>('GET', '/api/auth/me');
    } catch {
      account.value = null;
    }
    checked.value = true;
    return account.value;
  }

  async function login(email: string, password: string): Promise<Account> {
    const result = await api<{ operator: Account }>('POST', '/api/auth/login', { email, password });
    account.value = result.operator;
    checked.value = true;
    return result.operator;
  }

  async function logout() {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    forget();
  }

  function forget() {
    account.value = null;
  }

  return { account, checked, isSupervisor, restore, login, logout, forget };
});
