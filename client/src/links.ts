/**
 * Splits a message body into text and links, for both UIs to render as DOM text nodes and <a>
 * elements (never as HTML). linkify-it finds the links, including schemeless ones (`example.com`,
 * `name@example.com`); only http(s) and mailto survive: every other scheme (`javascript:`, `data:`,
 * `ftp:`, protocol-relative `//`) stays plain text.
 */
import { LinkifyIt } from 'linkify-it';

export type BodySegment =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string; title: string };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const MAX_LABEL = 48;

const linkify = new LinkifyIt().add('ftp:', null).add('//', null);

/** The href when it is an absolute http(s) or mailto URL, else null. */
export function safeLinkHref(value: string): string | null {
  try {
    const url = new URL(value);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * What a link shows: the real host first, so `https://bank.example@evil.example/` reads
 * `evil.example/` (punycode hosts stay punycode), then as much of the path as fits, cut with `…`. Mail links show the address.
 */
export function linkLabel(href: string): string {
  const url = new URL(href);
  if (url.protocol === 'mailto:') return decodeURIComponent(url.pathname);
  const rest = readable(`${url.pathname}${url.search}${url.hash}`);
  const label = `${url.host}${rest === '/' ? '' : rest}`;
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}

/** Percent-escapes back to characters for reading (the host stays punycode: no look-alike domains). */
function readable(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

/** The body as segments in order; joined, the texts of text segments and the originals of links give the body back. */
export function splitLinks(body: string): BodySegment[] {
  const segments: BodySegment[] = [];
  let last = 0;
  const pushText = (text: string) => {
    if (!text) return;
    const previous = segments[segments.length - 1];
    if (previous?.kind === 'text') previous.text += text;
    else segments.push({ kind: 'text', text });
  };
  for (const match of linkify.match(body) ?? []) {
    pushText(body.slice(last, match.index));
    const href = safeLinkHref(match.url);
    if (href) segments.push({ kind: 'link', text: linkLabel(href), href, title: href });
    else pushText(match.raw);
    last = match.lastIndex;
  }
  pushText(body.slice(last));
  return segments;
}
