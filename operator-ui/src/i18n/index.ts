import { pickLocale } from '@hotline/routing-rules/locale';
import { createI18n } from 'vue-i18n';
import en, { type MessageSchema } from './en';
import ru from './ru';

export const SUPPORTED_LOCALES = ['en', 'ru'] as const;
export type ConsoleLocale = (typeof SUPPORTED_LOCALES)[number];

/** The last language this browser used, so the login page speaks it before anyone signs in. */
const STORAGE_KEY = 'hotline:console-locale';

const isConsoleLocale = (value: unknown): value is ConsoleLocale =>
  typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value);

/**
 * vue-i18n's plural choice from Intl's own rules: Russian has three forms (1 диалог, 2 диалога,
 * 5 диалогов), English two. Messages list the forms in the order one | few | many (English: one | other).
 */
function pluralRule(locale: ConsoleLocale) {
  const rules = new Intl.PluralRules(locale);
  const order = locale === 'ru' ? ['one', 'few', 'many'] : ['one', 'other'];
  return (choice: number, choicesLength: number) => {
    const index = order.indexOf(rules.select(Math.abs(choice)));
    return Math.min(index === -1 ? order.length - 1 : index, choicesLength - 1);
  };
}

function storedLocale(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

/** The operator's choice if he made one, else this browser's last choice, else the browser's languages. */
export function resolveLocale(explicit?: string | null): ConsoleLocale {
  const browser = typeof navigator === 'undefined' ? [] : navigator.languages;
  const picked = pickLocale({
    supported: SUPPORTED_LOCALES,
    explicit: explicit ?? storedLocale(),
    browser,
  });
  return isConsoleLocale(picked) ? picked : 'en';
}

export const i18n = createI18n<[MessageSchema], ConsoleLocale, false>({
  legacy: false,
  locale: resolveLocale(),
  fallbackLocale: 'en',
  messages: { en, ru },
  pluralRules: { en: pluralRule('en'), ru: pluralRule('ru') },
});

/** Switches the console's language now and remembers it in this browser (the server copy is the session store's). */
export function applyLocale(locale: ConsoleLocale) {
  i18n.global.locale.value = locale;
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale);
  } catch {
    // Private mode: the choice still holds for this page.
  }
}

/** Forgets this browser's copy, so the browser's languages decide again. */
export function forgetStoredLocale() {
  try {
    globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}

export const currentLocale = (): ConsoleLocale => i18n.global.locale.value;
export const t = i18n.global.t;
export { isConsoleLocale };
