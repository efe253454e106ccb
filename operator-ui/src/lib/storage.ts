import { type KeyValueStorage, memoryStorage } from './outbox';

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

export function readJson<T>(storage: KeyValueStorage, key: string, fallback: T): T {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}
