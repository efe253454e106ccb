import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../api/http';
import { applyLocale, type ConsoleLocale, forgetStoredLocale, resolveLocale } from '../i18n';

/** The signed-in account as GET /api/auth/me returns it. */
export interface Account {
  id: string;
  email: string;
  name: string;
  displayName: string | null;
  avatarUrl: string | null;
  role: 'operator' | 'supervisor';
  active: boolean;
  /** The console language the operator chose; null (or absent) follows the browser. */
  locale?: ConsoleLocale | null;
}

/**
 * Set while this browser has a session, so a fresh visit to the login page does not ask
 * GET /api/auth/me only to be refused (a 401 the browser logs as a console error).
 */
const SIGNED_IN_HINT = 'hotline:signed-in';

function hint(on?: boolean): boolean {
  try {
    if (on === true) localStorage.setItem(SIGNED_IN_HINT, '1');
    else if (on === false) localStorage.removeItem(SIGNED_IN_HINT);
    return localStorage.getItem(SIGNED_IN_HINT) === '1';
  } catch {
    return true;
  }
}

/**
 * Who is signed in. The httpOnly session cookie alone carries the session, for REST and the socket
 * alike: no token is kept where a script could read it (the login response's token is ignored).
 */
export const useSessionStore = defineStore('session', () => {
  const account = ref<Account | null>(null);
  const checked = ref(false);
  const isSupervisor = computed(() => account.value?.role === 'supervisor');

  function accept(next: Account | null) {
    account.value = next;
    checked.value = true;
    hint(next !== null);
    if (next) applyLocale(resolveLocale(next.locale ?? null));
  }

  async function restore(): Promise<Account | null> {
    if (!hint()) {
      accept(null);
      return null;
    }
    try {
      accept(await api<Account>('GET', '/api/auth/me'));
    } catch {
      accept(null);
    }
    return account.value;
  }

  async function login(email: string, password: string): Promise<Account> {
    const result = await api<{ operator: Account }>('POST', '/api/auth/login', { email, password });
    accept(result.operator);
    return result.operator;
  }

  /**
   * The operator's language: shown at once, kept in this browser for the login page, and stored
   * on his account (PATCH /api/auth/me). null goes back to the browser's languages.
   */
  async function setLocale(locale: ConsoleLocale | null): Promise<void> {
    if (locale === null) forgetStoredLocale();
    applyLocale(locale ?? resolveLocale(null));
    if (!account.value) return;
    await api('PATCH', '/api/auth/me', { locale });
    account.value = { ...account.value, locale };
  }

  async function logout() {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    forget();
  }

  function forget() {
    account.value = null;
    hint(false);
  }

  return { account, checked, isSupervisor, restore, login, setLocale, logout, forget };
});
