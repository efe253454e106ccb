/**
 * Client-side contact validation, the same rules as routing-rules' `normalizeContact` (which the
 * engine applies), so that a bad value is caught before anything is sent. The server stays the
 * authority: its ack error is shown at the field too.
 */
export type ContactCheck =
  | { ok: true; kind: 'phone' | 'email'; value: string }
  | { ok: false; reason: 'empty' | 'phone' | 'email' };

const EMAIL = /^[^\s@"(),:;<>[\]\\]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;

/**
 * Normalises a phone number to E.164: `+` and 8..15 digits. Spaces, dashes, dots and brackets are
 * ignored; `00` becomes `+`; a Russian national number (8 or 7 and ten digits) becomes `+7…`. Other
 * numbers need the `+` and country code.
 */
export function normalizePhone(input: string): string | null {
  let phone = input.trim().replace(/[\s\-().\u00a0]/g, '');
  if (phone.startsWith('00')) phone = `+${phone.slice(2)}`;
  if (/^8\d{10}$/.test(phone)) phone = `+7${phone.slice(1)}`;
  else if (/^7\d{10}$/.test(phone)) phone = `+${phone}`;
  return /^\+[1-9]\d{7,14}$/.test(phone) ? phone : null;
}

export function normalizeEmail(input: string): string | null {
  const trimmed = input.trim();
  return trimmed.length <= 254 && EMAIL.test(trimmed) ? trimmed.toLowerCase() : null;
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
