import type { QuickReply } from '@hotline/protocol';

/** A canned answer as GET /api/quick-replies returns it (the protocol's type). */
export type { QuickReply };

const normalize = (text: string) =>
  text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');

/**
 * Finds replies for what follows the "/" in the composer: an exact shortcut first, then shortcuts that
 * start with the query, then titles, then bodies containing every word. Replies of the dialog's group
 * come before other groups' and personal ones keep their place among equals.
 */
export function searchQuickReplies(
  replies: QuickReply[],
  query: string,
  groupId: string | null = null,
  limit = 9,
): QuickReply[] {
  const q = normalize(query.trim());
  const words = q.split(/\s+/).filter(Boolean);
  const relevant = replies.filter(
    (r) => r.scope === 'personal' || !r.groupId || !groupId || r.groupId === groupId,
  );
  const rank = (reply: QuickReply): number => {
    if (!q) return 5;
    const shortcut = normalize(reply.shortcut);
    const title = normalize(reply.title);
    const body = normalize(reply.body);
    if (shortcut === q) return 0;
    if (shortcut.startsWith(q)) return 1;
    if (title.startsWith(q)) return 2;
    if (words.every((w) => title.includes(w) || shortcut.includes(w))) return 3;
    if (words.every((w) => body.includes(w) || title.includes(w))) return 4;
    return -1;
  };
  const groupBonus = (reply: QuickReply) => (groupId && reply.groupId === groupId ? 0 : 1);
  return relevant
    .map((reply, index) => ({ reply, index, rank: rank(reply) }))
    .filter((r) => r.rank >= 0)
    .sort((a, b) => a.rank - b.rank || groupBonus(a.reply) - groupBonus(b.reply) || a.index - b.index)
    .slice(0, limit)
    .map((r) => r.reply);
}

/**
 * The "/query" being typed at the caret, if any: a slash at the start of the draft or after
 * whitespace, followed by no whitespace-only gap.
 */
export function slashQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)\/([^\s/]*(?: [^\s/]+)?)$/.exec(before);
  if (!match) return null;
  const query = match[2] ?? '';
  return { start: caret - query.length - 1, query };
}

/** Replaces "/query" with the reply's body (with simple {name} substitution). */
export function insertReply(
  text: string,
  caret: number,
  body: string,
  vars: Record<string, string | null | undefined> = {},
) {
  const rendered = body.replace(/\{(\w+)\}/g, (whole, key: string) => vars[key] ?? whole);
  const slash = slashQueryAt(text, caret);
  const start = slash ? slash.start : caret;
  const next = text.slice(0, start) + rendered + text.slice(caret);
  return { text: next, caret: start + rendered.length };
}
