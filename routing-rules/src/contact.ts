export type ContactResult =
  | { ok: true; kind: 'phone' | 'email'; value: string }
  | { ok: false; reason: string };

const EMAIL = /^[^\s@"(),:;<>[\]\\]+@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;

/**
 * A visitor's contact, normalised: an e-mail (lowercased) or a phone in E.164. Phones may carry
 * spaces, dashes, dots and parentheses; `00` becomes `+`; a Russian 8XXXXXXXXXX becomes +7XXXXXXXXXX;
 * 7XXXXXXXXXX without `+` is taken as Russian too. The result must be `+` and 8..15 digits.
 */
export function normalizeContact(input: string): ContactResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'enter a phone number or an e-mail' };
  if (trimmed.includes('@')) {
    return EMAIL.test(trimmed) && trimmed.length <= 254
      ? { ok: true, kind: 'email', value: trimmed.toLowerCase() }
      : { ok: false, reason: 'not a valid e-mail' };
  }
  let phone = trimmed.replace(/[\s\-().\u00a0]/g, '');
  if (phone.startsWith('00')) phone = `+${phone.slice(2)}`;
  if (/^8\d{10}$/.test(phone)) phone = `+7${phone.slice(1)}`;
  else if (/^7\d{10}$/.test(phone)) phone = `+${phone}`;
  if (!/^\+?\d+$/.test(phone)) return { ok: false, reason: 'not a phone number or e-mail' };
  if (!phone.startsWith('+'))
    return { ok: false, reason: 'phone number must start with + and the country code' };
  if (!/^\+[1-9]\d{7,14}$/.test(phone)) return { ok: false, reason: 'phone number must have 8 to 15 digits' };
  return { ok: true, kind: 'phone', value: phone };
}
