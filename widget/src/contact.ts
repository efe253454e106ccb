/**
 * Client-side contact pre-check: what is surely not a contact is caught before anything is sent. The
 * engine (routing-rules' `normalizeContact`) is the authority: its ack error is shown at the field.
 * The e-mail rule and a phone's characters are routing-rules' own (`contact-syntax`); the full phone
 * rule with libphonenumber's metadata loads on demand (`ui/phone-rule.ts`).
 */
import { normalizeEmail, PHONE_CHARACTERS } from '@hotline/routing-rules/contact-syntax';

export { normalizeEmail };

export type ContactCheck =
  | { ok: true; kind: 'phone' | 'email'; value: string }
  | { ok: false; reason: 'empty' | 'phone' | 'email' };

/**
 * A pre-check only, without libphonenumber's metadata (19 KB gzipped, over the widget's budget): the
 * characters of a phone and 5 to 17 digits (the engine wants 8 or more in E.164, of
 * which at most 3 are the country code), `00` read as `+`. It never refuses what the engine
 * accepts; the engine reads the number in the site's country and its refusal is shown at the field.
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim();
  if (!PHONE_CHARACTERS.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '').length;
  return digits >= 5 && digits <= 17 ? trimmed.replace(/^00/, '+') : null;
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
