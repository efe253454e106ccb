/**
 * The engine's own phone rule (routing-rules' `normalizeContact`: libphonenumber-js with its `min`
 * metadata), loaded from the engine as a second script the first time a phone field shows: bundled
 * into widget.js it would take 28 KB gzipped of the 45 KB budget, for the few visitors who leave a
 * number. Until it has loaded (or when it cannot load) the contact pre-check alone applies and the
 * engine's refusal is shown at the field.
 */
import type { ContactResult } from '@hotline/routing-rules/contact';

export type PhoneRule = (input: string, country?: string) => ContactResult;

declare global {
  interface Window {
    HotlinePhone?: { normalizeContact: PhoneRule };
  }
}

export const PHONE_RULES_FILE = 'widget-phone.js';

let loading: Promise<PhoneRule | null> | null = null;

export function phoneRule(server: string, timeoutMs = 5_000): Promise<PhoneRule | null> {
  if (window.HotlinePhone) return Promise.resolve(window.HotlinePhone.normalizeContact);
  loading ??= new Promise((resolve) => {
    const script = document.createElement('script');
    const done = (rule: PhoneRule | null) => {
      clearTimeout(timer);
      if (!rule) loading = null; // tried again on the next submit
      resolve(rule);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    script.src = `${server}/${PHONE_RULES_FILE}`;
    script.async = true;
    script.onload = () => done(window.HotlinePhone?.normalizeContact ?? null);
    script.onerror = () => done(null);
    document.head.appendChild(script);
  });
  return loading;
}
