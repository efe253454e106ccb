/**
 * The parts of the routing config the console edits, typed by routing-rules' schema itself: what the
 * engine returns is the parsed `RoutingConfig`, what the editors hold and send is the schema's input
 * (defaults not applied). The editors clone whole items and change only their own fields, so a field
 * this console does not know survives an edit.
 */
import type {
  GroupInput,
  LocalizedText,
  OperatorProfileInput,
  RoutingConfig,
  SiteInput,
  TimeRange,
  TopicInput,
} from '@hotline/routing-rules';
import { localizedText } from '@hotline/routing-rules/localized-text';
import { renderTemplate, type TemplateVars, TEXT_KEYS, type TextKey } from '@hotline/routing-rules/templates';
import { STRATEGIES as RULE_STRATEGIES, type Weekday, WEEKDAYS } from '@hotline/routing-rules/vocabulary';

/** Templates render by routing-rules' rule (the engine's): the preview of a draft is what visitors will read. */
export { renderTemplate, TEXT_KEYS, type TextKey, type TimeRange, type Weekday, WEEKDAYS };

/** The entry menu's types are routing-rules' own (the widget renders the same ones). */
export type { BotNode, EntryMenu, LocalizedText, RouteTarget } from '@hotline/routing-rules';

export type GroupConfig = GroupInput;
export type OperatorProfile = OperatorProfileInput;
export type SiteConfig = SiteInput;
export type WidgetLook = NonNullable<SiteInput['look']>;
/** A topic or a region: the two share one shape. */
export type NamedPart = TopicInput;
export type RoutingConfigShape = RoutingConfig;

export interface ConfigVersion {
  version: number;
  config: RoutingConfig;
  createdAt: string;
  authorId: string | null;
  source: string;
  comment: string | null;
}

/** routing-rules' strategies; their labels are the i18n catalogs' `groups.strategies.<value>`. */
export const STRATEGIES = RULE_STRATEGIES;

/** The engine's preview kinds for the texts it can render (POST /api/routing-config/preview). */
export const PREVIEW_KIND: Partial<Record<TextKey, string>> = {
  offlineReply: 'offline-reply',
  contactThanks: 'contact-thanks',
  unansweredReply: 'unanswered',
  queuePosition: 'queue-position',
  queueOfferContact: 'queue-offer-contact',
};
export const SAMPLE_VARS: TemplateVars = {
  visitorName: 'Maria',
  operatorName: 'Anna',
  position: '3',
  etaMinutes: '4',
  groupName: 'Sales',
};

/** A localized text in one locale: the string itself, or the locale's entry, else the first one. */
/** What a visitor with `locale` reads (the widget's own rule, from routing-rules). */
export function localized(text: LocalizedText | undefined | null, locale = 'en'): string {
  return localizedText(text, locale);
}

/** The numeric thresholds the editor shows, in its order (seconds; labels: `groups.thresholdFields.<key>`). */
export const THRESHOLD_FIELDS = [
  'unansweredSeconds',
  'unansweredGraceSeconds',
  'offlineReplyDelaySeconds',
  'secondaryTierAfterSeconds',
  'offerTimeoutSeconds',
  'maxQueueLength',
] as const;

/** The group's unanswered threshold in seconds, or null when the config does not say. */
export function unansweredThreshold(group: GroupConfig | undefined): number | null {
  const value = group?.thresholds?.unansweredSeconds;
  return typeof value === 'number' && value > 0 ? value : null;
}

export function deepClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Sets a localized text in one locale, keeping a plain string plain and a per-locale record per locale. */
export function setLocalized(text: LocalizedText | undefined, locale: string, value: string): LocalizedText {
  if (text === undefined || typeof text === 'string') return value;
  return { ...text, [locale]: value };
}
