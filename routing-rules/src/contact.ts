/**
 * A visitor's contact, phone or e-mail. Phones are parsed by libphonenumber-js with its `min`
 * metadata (the smallest set: country codes, national prefixes and number lengths), so the widget
 * can bundle this same rule within its size budget.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { normalizeEmail, PHONE_CHARACTERS } from './contact-syntax';

export type ContactResult =
  | { ok: true; kind: 'phone' | 'email'; value: string }
  | { ok: false; reason: string };

/** The country a number without `+` is read in when the site names none. */
export const DEFAULT_PHONE_COUNTRY = 'RU';

/** True for an ISO 3166 alpha-2 code (upper case) that libphonenumber has numbering data for. */
export function isPhoneCountry(code: string): code is CountryCode {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

/**
 * A visitor's contact, normalised: an e-mail (lowercased) or a phone in E.164. A phone with `+` (or
 * `00`) carries its own country; one without is read as a national number of `defaultCountry` (the
 * site's, ISO 3166 alpha-2), so `8 912 345-67-89` in Russia and `020 7946 0958` in Britain both
 * work; at least 8 digits in E.164. Anything with an `@` is judged as an e-mail. `reason` is a sentence for the visitor.
 */
export function normalizeContact(
  input: string,
  defaultCountry: string = DEFAULT_PHONE_COUNTRY,
): ContactResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'enter a phone number or an e-mail' };
  if (trimmed.includes('@')) {
    const email = normalizeEmail(trimmed);
    return email ? { ok: true, kind: 'email', value: email } : { ok: false, reason: 'not a valid e-mail' };
  }
  if (!PHONE_CHARACTERS.test(trimmed) || trimmed.length > 40)
    return { ok: false, reason: 'not a phone number or e-mail' };
  // `00` is the international prefix in most of the world; libphonenumber only knows the country's own.
  const dialled = trimmed.replace(/^00/, '+');
  const country = isPhoneCountry(defaultCountry) ? defaultCountry : DEFAULT_PHONE_COUNTRY;
  const phone = parsePhoneNumberFromString(dialled, country);
  // Numbers valid but shorter than 8 digits in E.164 are service or extension numbers, not a way back.
  if (!phone?.isValid() || phone.number.length < 9) {
    return {
      ok: false,
      reason: dialled.startsWith('+')
        ? 'not a valid phone number'
        : `not a valid phone number in ${country}: add + and the country code`,
    };
  }
  return { ok: true, kind: 'phone', value: phone.number };
}
