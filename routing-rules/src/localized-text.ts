import { fallbackLocale } from './locale';
import type { LocalizedText } from './schema';

/**
 * The text a visitor with `locale` reads, by the one fallback rule (`fallbackLocale`): the exact
 * locale, else its primary language (`ru-RU` → `ru`), else English, else the first one given.
 * The widget and the console's preview both use this, so the preview shows what visitors see.
 * Dependency-free on purpose: the widget bundles it.
 */
export function localizedText(text: LocalizedText | null | undefined, locale: string): string {
  if (text === null || text === undefined) return '';
  if (typeof text === 'string') return text;
  const key = fallbackLocale(Object.keys(text), locale);
  return key === undefined ? '' : (text[key] ?? '');
}
