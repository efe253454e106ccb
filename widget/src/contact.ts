/**
 * Client-side contact validation, mirroring the engine's `normalizeContact` so that a bad value is
 * caught before anything is sent. The server stays the authority: its ack error is shown at the field too.
 */
export type ContactCheck =
  | { ok: true; kind: 'phone' | 'email'; value: string }
  | { ok: false; reason: 'empty' | 'phone' | 'email' };

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

/**
 * Normalises a phone number to E.164: `+` and 8..15 digits. Spaces, dashes, dots and brackets are
 * ignored; a national Russian number (11 digits starting with 8) becomes `+7…`.
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+?[\d\s\-().]+$/.test(trimmed)) return null;
  let digits = trimmed.replace(/\D/g, '');
  if (!trimmed.startsWith('+') && digits.length === 11 && digits.startsWith('8')) digits = `7${digits.slice(1)}`;
  if (digits.length < 8 || digits.length > 15 || digits.startsWith('0')) return null;
  return `+${digits}`;
}

export function normalizeEmail(input: string): string | null {
  const trimmed = input.trim();
  return trimmed.length <= 120 && EMAIL.test(trimmed) ? trimmed.toLowerCase() : null;
}

/** A phone or an e-mail: anything with an `@` is judged as an e-mail, the rest as a phone. */
export function checkContact(input: string): ContactCheck {
  const trimmed = input.trim();
  if (!trimmed) return { ok: false, reason: 'empty' };
  if (trimmed.includes('@')) {
    const email = normalizeEmail(trimmed);
    return email ? { ok: true, kind: 'email', value: email } : { ok: false, reason: 'email' };
  }
  const phone = normalizePhone(trimmed);
  return phone ? { ok: true, kind: 'phone', value: phone } : { ok: false, reason: 'phone' };
}
