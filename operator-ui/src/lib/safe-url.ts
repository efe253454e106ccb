/**
 * The URL as a link target when it is http(s), else null. Visitor-supplied URLs (page, referrer) are
 * untrusted: a `javascript:` or `data:` link would run in the console's origin when opened in place,
 * so anything else is shown as text, never as a link. The engine drops such URLs already; this
 * also covers data stored before it did.
 */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** `host/path?query` of an http(s) URL for display; anything else as it is. */
export function shortUrl(value: string): string {
  const safe = safeHttpUrl(value);
  if (!safe) return value;
  const url = new URL(safe);
  return `${url.host}${url.pathname}${url.search}`;
}
