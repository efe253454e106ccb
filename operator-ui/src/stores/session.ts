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

const TOKEN_KEY = 'hotline:token';

/** Who is signed in. The httpOnly cookie carries the session; the token is kept for the socket handshake. */
export const useSessionStore = defineStore('session', () => {
  const account = ref<Account | null>(null);
  const token = ref<string | null>(sessionStorage.getItem(TOKEN_KEY));
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
    const result = await api<{ token: string; operator: Account }>('POST', '/api/auth/login', { email, password });
    token.value = result.token;
    sessionStorage.setItem(TOKEN_KEY, result.token);
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
    token.value = null;
    sessionStorage.removeItem(TOKEN_KEY);
  }

  return { account, token, checked, isSupervisor, restore, login, logout, forget };
});
