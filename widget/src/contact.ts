/**
 * The widget's view of routing-rules' `normalizeContact` (the rule the engine applies), so a bad value
 * is caught before anything is sent. Only the reason's category is the widget's own: it picks the
 * translated message. The engine stays the authority: its ack error is shown at the field too.
 */
import { normalizeContact } from '@hotline/routing-rules/contact';

export type ContactCheck =
  | { ok: true; kind: 'phone' | 'email'; value: string }
  | { ok: false; reason: 'empty' | 'phone' | 'email' };

/** A phone or an e-mail: anything with an `@` is judged as an e-mail, the rest as a phone. */
export function checkContact(input: string): ContactCheck {
  const result = normalizeContact(input);
  if (result.ok) return result;
  const trimmed = input.trim();
  return { ok: false, reason: !trimmed ? 'empty' : trimmed.includes('@') ? 'email' : 'phone' };
}

/** The phone in E.164, or null when the input is not a valid phone number (an e-mail is not one). */
export function normalizePhone(input: string): string | null {
  const result = normalizeContact(input);
  return result.ok && result.kind === 'phone' ? result.value : null;
}
