import { type AutoMessageTexts, DEFAULT_TEXTS } from './default-texts';
import { fallbackLocale } from './locale';
import { TEXT_KEYS } from './templates';

type GivenTexts = Record<string, Partial<AutoMessageTexts>>;

/**
 * Every text key for every declared (or given) locale: the group's own text, else the built-in one
 * (`defaults`, the engine's DEFAULT_TEXTS unless a test passes another table) of the locale the one
 * fallback rule picks (`fallbackLocale`: `pt-BR` takes `pt`'s, an unknown one English).
 */
export function fillTexts(
  given: GivenTexts,
  locales: readonly string[],
  defaults: Record<string, AutoMessageTexts> = DEFAULT_TEXTS,
): Record<string, AutoMessageTexts> {
  const filled: Record<string, AutoMessageTexts> = {};
  for (const locale of new Set([...locales, ...Object.keys(given)])) {
    const builtIn = fallbackLocale(Object.keys(defaults), locale);
    const base = (builtIn !== undefined ? defaults[builtIn] : undefined) ?? DEFAULT_TEXTS.en!;
    const own = given[locale] ?? {};
    filled[locale] = Object.fromEntries(
      TEXT_KEYS.map((key) => [key, own[key] ?? base[key]]),
    ) as AutoMessageTexts;
  }
  return filled;
}

/**
 * A config as entered → the config in effect: every group's texts filled from the built-in ones.
 * Configs are stored as entered and this runs when they are read, so a changed built-in text reaches
 * every group that does not override it and never one that does.
 */
export function withDefaults<C extends { locales: string[]; groups: { texts: GivenTexts }[] }>(
  config: C,
  defaults: Record<string, AutoMessageTexts> = DEFAULT_TEXTS,
): C {
  const groups = config.groups.map((group) => ({
    ...group,
    texts: fillTexts(group.texts, config.locales, defaults),
  }));
  return { ...config, groups };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The inverse for texts, on a config about to be stored: a group's text equal to the built-in one is
 * not an override (an editor that shows the filled texts sends them back), so it is left out and the
 * group follows the built-in text when it changes. Anything that is not a group's text is kept as is.
 */
export function withoutDefaultTexts(
  input: unknown,
  defaults: Record<string, AutoMessageTexts> = DEFAULT_TEXTS,
): unknown {
  if (!isRecord(input) || !Array.isArray(input.groups)) return input;
  return {
    ...input,
    groups: input.groups.map((group: unknown) => {
      if (!isRecord(group) || !isRecord(group.texts)) return group;
      const texts = Object.fromEntries(
        Object.entries(group.texts).map(([locale, given]) => {
          const base: Partial<Record<string, string>> = defaults[locale] ?? {};
          if (!isRecord(given)) return [locale, given];
          return [
            locale,
            Object.fromEntries(Object.entries(given).filter(([key, text]) => base[key] !== text)),
          ];
        }),
      );
      return { ...group, texts };
    }),
  };
}
