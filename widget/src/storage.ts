/**
 * Where the visitor's widget and the operators' console keep what must survive a reload (unsent
 * messages, drafts, session hints): localStorage when the browser allows it, memory otherwise.
 */

/** The part of the Web Storage API the clients use (tests pass a plain object). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** In-memory storage, for browsers where localStorage is blocked. */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/** localStorage when usable (private modes may block it), memory otherwise. */
export function browserStorage(): KeyValueStorage {
  try {
    const probe = '__hotline_probe__';
    window.localStorage.setItem(probe, '1');
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    return memoryStorage();
  }
}
