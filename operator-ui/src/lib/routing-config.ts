/**
 * The parts of the routing config the console edits. The authoritative schema is routing-rules'
 * (`RoutingConfig`); these structural types read it tolerantly and the editors keep every field they
 * do not know, so a newer schema is never truncated by an older console.
 */
import type {
  EntryMenu,
  LocalizedText,
  RoutingConfig,
  RoutingStrategy,
  TimeRange,
} from '@hotline/routing-rules';
import { localizedText } from '@hotline/routing-rules/localized-text';
import { renderTemplate, type TemplateVars, TEXT_KEYS, type TextKey } from '@hotline/routing-rules/templates';
import { STRATEGIES as RULE_STRATEGIES } from '@hotline/routing-rules/vocabulary';

/** Templates render by routing-rules' rule (the engine's): the preview of a draft is what visitors will read. */
export { renderTemplate, TEXT_KEYS, type TextKey, type TimeRange };

/** The entry menu's types are routing-rules' own (the widget renders the same ones). */
export type { BotNode, EntryMenu, LocalizedText, RouteTarget } from '@hotline/routing-rules';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const WEEKDAY_LABELS: Record<Weekday, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

export interface GroupConfig {
  id: string;
  name: string;
  description?: string;
  timeZone?: string;
  /** Absent: always open. A weekday absent from it: closed that day. */
  workingHours?: Partial<Record<Weekday, TimeRange[]>>;
  holidays?: string[];
  limits?: { default: number };
  strategy?: RoutingStrategy;
  offerMode?: { enabled: boolean; timeoutSeconds?: number };
  takesCalls?: boolean;
  thresholds?: {
    offlineReplyDelaySeconds?: number;
    unansweredSeconds?: number;
    unansweredRepeat?: boolean;
    rerouteOnUnanswered?: boolean;
    unansweredGraceSeconds?: number;
    queueWait?: { afterSeconds: number; action: string }[];
    secondaryTierAfterSeconds?: number;
    offerTimeoutSeconds?: number;
    maxQueueLength?: number;
  };
  texts?: Record<string, Partial<Record<TextKey, string>>>;
  voice?: { name: string; avatarUrl?: string; as?: 'operator' | 'team' };
  fallbackGroupId?: string;
  [key: string]: unknown;
}

export interface OperatorProfile {
  operatorEmail: string;
  groups: { groupId: string; tier: 'primary' | 'secondary' }[];
  limit?: number;
  [key: string]: unknown;
}

export interface WidgetLook {
  primaryColor?: string;
  textColor?: string;
  position?: 'left' | 'right';
  greeting?: LocalizedText;
  greetingDelaySeconds?: number;
  title?: LocalizedText;
  logoUrl?: string;
  [key: string]: unknown;
}

export interface SiteConfig {
  id: string;
  name: string;
  locale?: string;
  look?: WidgetLook;
  entryMenu?: EntryMenu | null;
  [key: string]: unknown;
}

export interface NamedPart {
  id: string;
  name: LocalizedText;
  groupId?: string;
  [key: string]: unknown;
}

export interface RoutingConfigShape {
  groups: GroupConfig[];
  operators: OperatorProfile[];
  locales?: string[];
  defaultLocale?: string;
  topics?: NamedPart[];
  regions?: NamedPart[];
  sites?: SiteConfig[];
  rules?: { id: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

export interface ConfigVersion {
  version: number;
  config: RoutingConfigShape;
  createdAt: string;
  authorId: string | null;
  source: string;
  comment: string | null;
}

const STRATEGY_LABELS: Record<RoutingStrategy, string> = {
  'least-loaded': 'Least loaded first',
  'round-robin': 'Round robin',
  'longest-idle': 'Longest idle first',
};
/** routing-rules' strategies with the editor's labels. */
export const STRATEGIES = RULE_STRATEGIES.map((value) => ({ value, label: STRATEGY_LABELS[value] }));

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

/** Threshold names and their labels, in the order the editor shows them. Values are seconds. */
export const THRESHOLD_FIELDS = [
  {
    key: 'unansweredSeconds',
    label: 'Unanswered after (s)',
    hint: 'Auto-reply, and the operator sees the wait turn red',
  },
  {
    key: 'unansweredGraceSeconds',
    label: 'Reroute grace (s)',
    hint: 'With reroute: not taken while the operator typed or wrote this recently',
  },
  {
    key: 'offlineReplyDelaySeconds',
    label: 'Offline reply delay (s)',
    hint: 'After the first message when closed',
  },
  {
    key: 'secondaryTierAfterSeconds',
    label: 'Secondary tier after (s)',
    hint: 'Bullseye: widen to secondary operators',
  },
  { key: 'offerTimeoutSeconds', label: 'Offer timeout (s)', hint: 'Offer mode: time to accept' },
  { key: 'maxQueueLength', label: 'Max queue length', hint: 'Empty: unlimited' },
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

type Fits<T extends true> = T;
/**
 * A saved config (routing-rules' parsed `RoutingConfig`) must fit the editors' types: a schema change
 * that the console cannot hold fails the typecheck here rather than in a supervisor's browser.
 */
export type SavedConfigFits = Fits<RoutingConfig extends RoutingConfigShape ? true : false>;
export type SavedGroupFits = Fits<RoutingConfig['groups'][number] extends GroupConfig ? true : false>;
export type SavedSiteFits = Fits<RoutingConfig['sites'][number] extends SiteConfig ? true : false>;
export type SavedProfileFits = Fits<
  RoutingConfig['operators'][number] extends OperatorProfile ? true : false
>;
