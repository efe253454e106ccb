/**
 * Where the widget and the console keep what must survive a reload (unsent messages, drafts, session
 * hints): localStorage when the browser allows it, memory otherwise.
 */

/** The part of the Web Storage API the clients use (tests pass `memoryStorage()`). */
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

/**
 * Reads a JSON value, or `fallback` when it is missing or not JSON. `accept` says whether the parsed
 * value has the expected shape (storage is shared with other code and other versions of this one).
 */
export function readJson<T>(
  storage: KeyValueStorage,
  key: string,
  accept: (value: unknown) => value is T,
  fallback: T,
): T {
  try {
    const raw = storage.getItem(key);
    const parsed: unknown = raw ? JSON.parse(raw) : undefined;
    return accept(parsed) ? parsed : fallback;
  } catch {
    return fallback;
  }
}

/** Writes a JSON value; a full or blocked storage is ignored (the in-page state still holds it). */
export function writeJson(storage: KeyValueStorage, key: string, value: unknown): void {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or blocked.
  }
}
