/**
 * The shape of a contact, without libphonenumber's metadata: the widget bundles this for its instant
 * pre-check, and `normalizeContact` (contact.ts) builds on it, so both read an e-mail the same way.
 */
const EMAIL = /^[^\s@"(),:;<>[\]\\]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;

/** The characters a written phone number may have: digits, spaces, dashes, dots, brackets, slashes. */
export const PHONE_CHARACTERS = /^\+?[\d\s\-().\u00a0/]+$/;

/** The e-mail lowercased, or null when it is not one. */
export function normalizeEmail(input: string): string | null {
  const trimmed = input.trim();
  return trimmed.length <= 254 && EMAIL.test(trimmed) ? trimmed.toLowerCase() : null;
}
