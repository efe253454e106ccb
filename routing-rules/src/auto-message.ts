import { DEFAULT_TEXTS } from './default-texts';
import { fallbackLocale } from './locale';
import { groupById } from './lookup';
import type { RoutingConfig } from './schema';
import { renderTemplate, type TemplateVars, type TextKey } from './templates';

/** The auto-message kinds as the dialog machine names them; the text keys are accepted too. */
export type AutoMessageKind =
  | 'offline-reply'
  | 'ask-contact'
  | 'contact-thanks'
  | 'unanswered'
  | 'queue-position'
  | 'queue-offer-contact'
  | 'greeting'
  | 'closed';

const TEXT_OF_KIND: Record<AutoMessageKind, TextKey> = {
  'offline-reply': 'offlineReply',
  'ask-contact': 'askContact',
  'contact-thanks': 'contactThanks',
  unanswered: 'unansweredReply',
  'queue-position': 'queuePosition',
  'queue-offer-contact': 'queueOfferContact',
  greeting: 'greeting',
  closed: 'closed',
};

export interface AutoMessage {
  text: string;
  /** How the message is shown to the visitor: the group's voice. */
  author: { name: string; avatarUrl?: string; as: 'operator' | 'team' };
}

/**
 * The rendered auto-message of a group in the visitor's locale, by the one fallback rule
 * (`fallbackLocale`): the exact tag, its primary subtag (`ru-RU` → `ru`), the config's defaultLocale,
 * English, then built-in English.
 * `groupName` defaults to the group's name. Throws on an unknown group (a programming error).
 */
export function autoMessage(
  config: RoutingConfig,
  groupId: string,
  kind: AutoMessageKind | TextKey,
  locale: string | undefined,
  vars: TemplateVars,
): AutoMessage {
  const group = groupById(config, groupId);
  if (!group) throw new Error(`unknown group "${groupId}"`);
  const key: TextKey = kind in TEXT_OF_KIND ? TEXT_OF_KIND[kind as AutoMessageKind] : (kind as TextKey);
  const found = fallbackLocale(Object.keys(group.texts), locale, [config.defaultLocale, 'en']);
  const texts = (found !== undefined ? group.texts[found] : undefined) ?? DEFAULT_TEXTS.en!;
  const text = renderTemplate(texts[key] ?? DEFAULT_TEXTS.en![key], {
    groupName: group.name,
    ...withoutEmpty(vars),
  });
  const author: AutoMessage['author'] = { name: group.voice.name, as: group.voice.as };
  if (group.voice.avatarUrl) author.avatarUrl = group.voice.avatarUrl;
  return { text, author };
}

const withoutEmpty = (vars: TemplateVars): TemplateVars =>
  Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined && v !== null));
