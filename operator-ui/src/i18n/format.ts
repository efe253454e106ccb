import type { ErrorBody } from '@hotline/protocol';
import en from './en';
import { currentLocale, t } from './index';

/** Clock time for today, date and time otherwise, in the console's language (Intl, not the OS locale). */
export function formatTime(iso: string, now = Date.now()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = new Date(now).toDateString() === date.toDateString();
  const options: Intl.DateTimeFormatOptions = sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(currentLocale(), options).format(date);
}

/** "5 minutes ago" / "5 минут назад": the largest unit that fits, through Intl.RelativeTimeFormat. */
export function formatRelative(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((then - now) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ];
  const format = new Intl.RelativeTimeFormat(currentLocale(), { numeric: 'auto' });
  for (const [unit, size] of units)
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  return format.format(seconds, 'second');
}

/** The visitor's name, or "Visitor 3f2a" (in the console's language) when he gave none. */
export function visitorLabel(name: string | null | undefined, visitorId: string): string {
  return name?.trim() || t('visitorCard.anonymous', { id: visitorId.replace(/-/g, '').slice(0, 4) });
}

type ErrorKey = keyof typeof en.errors;
const isErrorKey = (key: string): key is ErrorKey => Object.hasOwn(en.errors, key);

/**
 * An engine refusal as a sentence the operator can act on, in his language. The engine names the
 * reason as a slug at the end of its message (`the operator cannot take it: operator-offline`) or as
 * the error code; anything else is shown as the engine said it.
 */
export function errorSentence(error: Pick<ErrorBody, 'code' | 'message'>): string {
  const slug = /:\s*([a-z]+(?:-[a-z]+)+)\s*$/.exec(error.message)?.[1];
  if (slug && isErrorKey(slug)) return t(`errors.${slug}`);
  if (isErrorKey(error.code)) return t(`errors.${error.code}`);
  return t('errors.generic', { message: error.message });
}
