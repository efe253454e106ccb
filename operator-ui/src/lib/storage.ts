import type { KeyValueStorage } from '@hotline/widget/storage';

export { browserStorage } from '@hotline/widget/storage';

export function readJson<T>(storage: KeyValueStorage, key: string, fallback: T): T {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}
