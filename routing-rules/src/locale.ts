/**
 * The one language rule of the widget, the console and the engine: the explicit choice, else the first
 * of the browser's languages that is supported (and, when the site lists its languages, offered), else
 * the site's default, else English. Only the primary subtag counts (`ru-RU` → `ru`).
 * Dependency-free on purpose: both UIs bundle it.
 */
export function pickLocale(options: {
  supported: readonly string[];
  explicit?: string | null | undefined;
  browser?: readonly string[] | undefined;
  siteDefault?: string | undefined;
  siteLocales?: readonly string[] | undefined;
}): string {
  const isSupported = (tag: string) => options.supported.includes(tag);
  const explicit = primaryLanguage(options.explicit);
  if (isSupported(explicit)) return explicit;
  const offered = (options.siteLocales ?? []).map(primaryLanguage);
  for (const tag of options.browser ?? []) {
    const lang = primaryLanguage(tag);
    if (isSupported(lang) && (offered.length === 0 || offered.includes(lang))) return lang;
  }
  const fallback = primaryLanguage(options.siteDefault);
  return isSupported(fallback) ? fallback : 'en';
}

/**
 * The one fallback rule for anything kept per locale (a group's texts, a menu label, the dialog's
 * locale among the config's): the exact tag, its primary language (`ru-RU` → `ru`), then `defaults` in
 * order (the config's default locale, English), then the first one there is. Tags compare in lower
 * case. Undefined only when `available` is empty.
 */
export function fallbackLocale(
  available: readonly string[],
  wanted: string | null | undefined,
  defaults: readonly string[] = ['en'],
): string | undefined {
  const have = (tag: string | undefined) =>
    tag ? available.find((a) => a.toLowerCase() === tag.toLowerCase()) : undefined;
  return (
    have(wanted?.trim() ?? undefined) ??
    have(primaryLanguage(wanted) || undefined) ??
    defaults.map(have).find((tag) => tag !== undefined) ??
    available[0]
  );
}

/** `ru-RU` → `ru`; '' for nothing. */
export function primaryLanguage(tag: string | null | undefined): string {
  return tag?.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

/** The languages of an Accept-Language header, best first (q-values honoured). */
export function acceptLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim(), q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}
