/**
 * The parts of the routing config the console edits. The authoritative schema is routing-rules'
 * (`RoutingConfig`); these structural types read it tolerantly and the editors keep every field they
 * do not know, so a newer schema is never truncated by an older console.
 */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const WEEKDAY_LABELS: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

export interface TimeRange {
  from: string;
  to: string;
}

export interface GroupConfig {
  id: string;
  name: string;
  workingHours?: { timezone?: string; days?: Partial<Record<Weekday, TimeRange[]>>; [key: string]: unknown };
  strategy?: string;
  limits?: { default?: number; [key: string]: unknown };
  thresholds?: Record<string, number | undefined>;
  texts?: Record<string, Record<string, string | undefined> | undefined>;
  fallbackGroupId?: string | null;
  offerMode?: unknown;
  [key: string]: unknown;
}

export interface OperatorProfile {
  operatorId: string;
  groups: { groupId: string; tier: 'primary' | 'secondary' }[];
  limit?: number | null;
  [key: string]: unknown;
}

export interface RouteTarget {
  groupId?: string;
  topicId?: string;
  regionId?: string;
}

export interface BotNode {
  question: string;
  buttons: { label: string; next?: BotNode; target?: RouteTarget }[];
}

export type EntryMenu = { kind: 'choice'; prompt?: string; options: { label: string; target: RouteTarget }[] } | { kind: 'bot'; root: BotNode };

export interface WidgetLook {
  primaryColor?: string;
  textColor?: string;
  position?: 'left' | 'right';
  greeting?: string | null;
  greetingDelaySeconds?: number;
  title?: string;
  logoUrl?: string | null;
  [key: string]: unknown;
}

export interface SiteConfig {
  id: string;
  name?: string;
  look?: WidgetLook;
  entryMenu?: EntryMenu | null;
  [key: string]: unknown;
}

export interface NamedPart {
  id: string;
  name?: string;
  [key: string]: unknown;
}

export interface RoutingConfigShape {
  groups: GroupConfig[];
  operators: OperatorProfile[];
  topics?: NamedPart[];
  regions?: NamedPart[];
  sites?: SiteConfig[];
  rules?: NamedPart[];
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

export const STRATEGIES = ['least-busy', 'round-robin', 'longest-idle', 'sticky'] as const;
export const AUTO_MESSAGE_KINDS = ['offline-reply', 'unanswered', 'queue-position', 'queue-offer-contact', 'contact-thanks'] as const;

/** Threshold names and their labels, in the order the editor shows them. Values are seconds. */
export const THRESHOLD_FIELDS: { key: string; label: string; hint: string }[] = [
  { key: 'unansweredSeconds', label: 'Unanswered after', hint: 'Auto-message and highlight when the visitor waits this long' },
  { key: 'offlineReplySeconds', label: 'Offline reply after', hint: 'When nobody is online' },
  { key: 'queueOfferContactSeconds', label: 'Offer contact after', hint: 'Queue wait before asking for a contact' },
  { key: 'offerTimeoutSeconds', label: 'Offer expires after', hint: 'Offer mode: time to accept' },
  { key: 'overflowSeconds', label: 'Overflow after', hint: 'Move to the fallback group' },
];

/** The group's unanswered threshold in seconds, or null when the config does not say. */
export function unansweredThreshold(group: GroupConfig | undefined): number | null {
  const value = group?.thresholds?.unansweredSeconds;
  return typeof value === 'number' && value > 0 ? value : null;
}

export function deepClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
