import { z } from 'zod';
import { DEFAULT_PHONE_COUNTRY, isPhoneCountry } from './contact';
import { fillTexts, withDefaults } from './defaults';
import { ALLOWED_VARIABLES, TEXT_KEYS, type TextKey, templateVariables } from './templates';
import { isValidDate, isValidTimeZone, parseClock, WEEKDAYS } from './time';
import { RENAMED_KEYS, renameKey } from './renamed-keys';
import { STRATEGIES } from './vocabulary';

/**
 * The supervisors' routing model. Objects are strict: an unknown key (a typo such as `workinghours`)
 * is an error rather than a silently ignored setting. Defaults are filled so a minimal group validates.
 */

export const SlugSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a slug (a-z, 0-9, - and _)');

/** A text given once or per locale: `'Sales'` or `{ en: 'Sales', ru: 'Продажи' }`. */
export const LocalizedTextSchema = z.union([z.string(), z.record(z.string(), z.string())]);
export type LocalizedText = z.infer<typeof LocalizedTextSchema>;

export const ClockSchema = z
  .string()
  .refine((v) => parseClock(v) !== null, 'must be a time HH:MM (00:00-24:00)');
export const TimeZoneSchema = z
  .string()
  .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Moscow');

export const TimeRangeSchema = z.strictObject({ from: ClockSchema, to: ClockSchema });
export type TimeRange = z.infer<typeof TimeRangeSchema>;

/** One weekday's ranges: each from < to (no overnight span: end at 24:00, continue at 00:00), no overlaps. */
const DayRangesSchema = z.array(TimeRangeSchema).superRefine((ranges, ctx) => {
  const parsed = ranges.map((r) => ({ from: parseClock(r.from), to: parseClock(r.to) }));
  parsed.forEach((range, i) => {
    if (range.from === null || range.to === null) return;
    if (range.from >= range.to) {
      ctx.addIssue({
        code: 'custom',
        path: [i],
        message: 'from must be before to (split an overnight span at 24:00)',
      });
      return;
    }
    parsed.forEach((other, j) => {
      if (j >= i || other.from === null || other.to === null || other.from >= other.to) return;
      if (range.from! < other.to && other.from < range.to!) {
        ctx.addIssue({ code: 'custom', path: [i], message: `overlaps range [${j}]` });
      }
    });
  });
});

export const WorkingHoursSchema = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((day) => [day, DayRangesSchema.optional()])) as Record<
    (typeof WEEKDAYS)[number],
    z.ZodOptional<typeof DayRangesSchema>
  >,
);
export type WorkingHours = z.infer<typeof WorkingHoursSchema>;

export const QueueWaitStepSchema = z.strictObject({
  afterSeconds: z.number().min(0),
  action: z.enum(['announce-position', 'offer-contact', 'overflow', 'widen']),
});
export type QueueWaitStep = z.infer<typeof QueueWaitStepSchema>;

export const ThresholdsSchema = z.strictObject({
  /** Delay before the offline auto-reply to the first visitor message. */
  offlineReplyDelaySeconds: z.number().min(0).default(3),
  /** No operator reply this long after the visitor's last message → unanswered auto-message. */
  unansweredSeconds: z.number().positive().default(30),
  /** false: the unanswered auto-message at most once per dialog. */
  unansweredRepeat: z.boolean().default(false),
  /** Move an unanswered assigned dialog back to the queue / fallback group. */
  rerouteOnUnanswered: z.boolean().default(false),
  /**
   * The unanswered threshold of a dialog whose operator typed or wrote in it within this many seconds
   * waits until this long after his last sign of work (no auto-message, and no reroute, meanwhile).
   */
  unansweredGraceSeconds: z.number().nonnegative().default(15),
  queueWait: z.array(QueueWaitStepSchema).default([
    { afterSeconds: 60, action: 'offer-contact' },
    { afterSeconds: 180, action: 'overflow' },
  ]),
  /** Bullseye: secondary-tier operators become eligible after the dialog waited this long. */
  secondaryTierAfterSeconds: z.number().min(0).default(60),
  offerTimeoutSeconds: z.number().positive().default(20),
  /**
   * An exclusion (declined or expired offer, unanswered reroute) holds at most this long, and only
   * while someone else may take the dialog.
   */
  exclusionSeconds: z.number().positive().default(120),
  /** An operator gone offline keeps his dialogs this long (he may return); 0 = back to the queue at once. */
  keepDialogsOnOfflineSeconds: z.number().min(0).default(0),
  maxQueueLength: z.number().int().min(1).optional(),
});
export type Thresholds = z.infer<typeof ThresholdsSchema>;

const PartialTextsSchema = z
  .strictObject(
    Object.fromEntries(TEXT_KEYS.map((key) => [key, z.string().optional()])) as Record<
      TextKey,
      z.ZodOptional<z.ZodString>
    >,
  )
  .superRefine((texts, ctx) => {
    for (const key of TEXT_KEYS) {
      const text = texts[key];
      if (text === undefined) continue;
      const allowed = ALLOWED_VARIABLES[key];
      for (const name of templateVariables(text)) {
        if (!(allowed as readonly string[]).includes(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown variable {${name}} (allowed: ${allowed.map((v) => `{${v}}`).join(', ')})`,
          });
        }
      }
    }
  });

export const VoiceSchema = z.strictObject({
  name: z.string().min(1),
  avatarUrl: z.string().optional(),
  as: z.enum(['operator', 'team']).default('team'),
});
export type Voice = z.infer<typeof VoiceSchema>;

const GroupInputSchema = z.strictObject({
  id: SlugSchema,
  name: z.string().min(1),
  description: z.string().optional(),
  timeZone: TimeZoneSchema.default('UTC'),
  /** Absent = always open (except holidays). A weekday absent from it = closed that day. */
  workingHours: WorkingHoursSchema.optional(),
  holidays: z.array(z.string().refine(isValidDate, 'must be a date YYYY-MM-DD')).default([]),
  limits: z.strictObject({ default: z.number().int().min(1) }).prefault({ default: 3 }),
  strategy: z.enum(STRATEGIES).default('least-loaded'),
  offerMode: z
    .strictObject({ enabled: z.boolean().default(false), timeoutSeconds: z.number().positive().optional() })
    .prefault({}),
  takesCalls: z.boolean().default(false),
  thresholds: ThresholdsSchema.prefault({}),
  texts: z.record(z.string(), PartialTextsSchema).default({}),
  voice: VoiceSchema.optional(),
  fallbackGroupId: z.string().optional(),
});

/** A queue of operators with its own hours, limits, strategy, thresholds and texts. */
export const GroupSchema = GroupInputSchema.transform((group) => ({
  ...group,
  offerMode: {
    enabled: group.offerMode.enabled,
    timeoutSeconds: group.offerMode.timeoutSeconds ?? group.thresholds.offerTimeoutSeconds,
  },
  texts: fillTexts(group.texts, []),
  voice: group.voice ?? { name: group.name, as: 'team' as const },
}));
export type Group = z.infer<typeof GroupSchema>;
/** A group as a supervisor enters it (defaults not applied): the console's editors edit this. */
export type GroupInput = z.input<typeof GroupInputSchema>;

/** A menu choice mapped to a group, and an operator skill: topics and regions share this shape. */
const NamedPartSchema = z.strictObject({
  id: SlugSchema,
  name: LocalizedTextSchema,
  groupId: z.string().optional(),
});
export const TopicSchema = NamedPartSchema;
export type Topic = z.infer<typeof TopicSchema>;
export type TopicInput = z.input<typeof TopicSchema>;
export const RegionSchema = NamedPartSchema;
export type Region = z.infer<typeof RegionSchema>;

const OperatorProfileFieldsSchema = z.strictObject({
  /** The operator's e-mail (stored lowercase); `operatorId` is its deprecated name. */
  operatorEmail: z
    .string()
    .regex(/^[^\s@]+@[^\s@]+$/, 'must be the operator e-mail')
    .transform((v) => v.toLowerCase()),
  groups: z.array(
    z.strictObject({ groupId: z.string(), tier: z.enum(['primary', 'secondary']).default('primary') }),
  ),
  /** Personal concurrent-dialog limit; overrides the groups' default. */
  limit: z.number().int().min(1).optional(),
  skills: z
    .strictObject({
      topics: z.array(z.string()).default([]),
      regions: z.array(z.string()).default([]),
      languages: z.array(z.string().transform((v) => v.toLowerCase())).default([]),
    })
    .prefault({}),
  takesCalls: z.boolean().optional(),
});
/** A profile; the deprecated `operatorId` key is read as `operatorEmail`. */
export type OperatorProfileInput = z.input<typeof OperatorProfileFieldsSchema>;
/** A profile as written before the rename. */
type LegacyOperatorProfileInput = Omit<OperatorProfileInput, 'operatorEmail'> & {
  /** @deprecated the operator's e-mail: write `operatorEmail`. */
  operatorId: string;
};
export const OperatorProfileSchema = z.preprocess<
  unknown,
  typeof OperatorProfileFieldsSchema,
  OperatorProfileInput | LegacyOperatorProfileInput
>(renameKey(RENAMED_KEYS[0]), OperatorProfileFieldsSchema);
export type OperatorProfile = z.infer<typeof OperatorProfileSchema>;

export const RouteTargetSchema = z.strictObject({
  groupId: z.string().optional(),
  topicId: z.string().optional(),
  regionId: z.string().optional(),
});
export type RouteTarget = z.infer<typeof RouteTargetSchema>;

export interface BotButton {
  label: LocalizedText;
  next?: BotNode | undefined;
  target?: RouteTarget | undefined;
}
export interface BotNode {
  question: LocalizedText;
  buttons: BotButton[];
}

export const BotButtonSchema: z.ZodType<BotButton, BotButton> = z.lazy(() =>
  z
    .strictObject({
      label: LocalizedTextSchema,
      next: BotNodeSchema.optional(),
      target: RouteTargetSchema.optional(),
    })
    .superRefine((button, ctx) => {
      if (!button.next && !button.target)
        ctx.addIssue({ code: 'custom', message: 'button needs next or target (dead end)' });
      if (button.next && button.target)
        ctx.addIssue({ code: 'custom', message: 'button has both next and target' });
    }),
);
export const BotNodeSchema: z.ZodType<BotNode, BotNode> = z.lazy(() =>
  z.strictObject({
    question: LocalizedTextSchema,
    buttons: z.array(BotButtonSchema).min(1, 'must have at least one button (empty menu leaf)'),
  }),
);

export const EntryMenuSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('choice'),
    prompt: LocalizedTextSchema.optional(),
    options: z
      .array(z.strictObject({ label: LocalizedTextSchema, target: RouteTargetSchema }))
      .min(1, 'must have at least one option'),
  }),
  z.strictObject({ kind: z.literal('bot'), root: BotNodeSchema }),
]);
export type EntryMenu = z.infer<typeof EntryMenuSchema>;

export const SiteLookSchema = z.strictObject({
  primaryColor: z
    .string()
    .regex(/^#[0-9a-fA-F]{3,8}$/, 'must be a hex colour like #2563eb')
    .default('#2563eb'),
  textColor: z
    .string()
    .regex(/^#[0-9a-fA-F]{3,8}$/, 'must be a hex colour like #ffffff')
    .default('#ffffff'),
  position: z.enum(['left', 'right']).default('right'),
  greeting: LocalizedTextSchema.optional(),
  greetingDelaySeconds: z.number().min(0).default(0),
  logoUrl: z.string().optional(),
  title: LocalizedTextSchema.default(''),
});

/** A web origin as browsers send it: scheme, host and port, nothing after (`https://shop.example`). */
const OriginSchema = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
    } catch {
      return false;
    }
  },
  { message: 'must be an origin such as https://shop.example (scheme, host and port only)' },
);

/** MIME types a site accepts by default: pictures, PDFs and plain text. */
export const DEFAULT_ATTACHMENT_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
];

/** Files in a site's dialogs (docs/attachments.md): which types, how large per file and per dialog. */
export const SiteAttachmentsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  allowedTypes: z
    .array(z.string().regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/, 'must be a MIME type such as image/png'))
    .default(DEFAULT_ATTACHMENT_TYPES),
  maxFileMb: z.number().positive().max(1024).default(10),
  maxDialogMb: z.number().positive().max(10_240).default(50),
});
export type SiteAttachments = z.infer<typeof SiteAttachmentsSchema>;

/** Settings that are neither a group's nor a site's. */
export const SettingsSchema = z.strictObject({
  /** Files of dialogs closed longer ago than this are deleted; 0 keeps them forever. */
  fileRetentionDays: z.number().int().min(0).default(90),
});

export const SiteSchema = z.strictObject({
  id: SlugSchema,
  name: z.string().min(1),
  /** Origins allowed to embed the widget (`https://shop.example`); absent or empty = any. */
  origins: z.array(OriginSchema).optional(),
  locale: z.string().optional(),
  /** ISO 3166 alpha-2: the country a visitor's phone number without `+` is read in (docs/widget.md). */
  defaultCountry: z
    .string()
    .transform((code) => code.toUpperCase())
    .refine(isPhoneCountry, 'must be an ISO 3166 alpha-2 country code with phone numbering, like RU or GB')
    .default(DEFAULT_PHONE_COUNTRY),
  look: SiteLookSchema.prefault({}),
  entryMenu: EntryMenuSchema.optional(),
  callbackEnabled: z.boolean().optional(),
  attachments: SiteAttachmentsSchema.optional(),
});
export type Site = z.infer<typeof SiteSchema>;
export type SiteInput = z.input<typeof SiteSchema>;

export const RuleSchema = z.strictObject({
  id: SlugSchema,
  description: z.string().optional(),
  when: z.strictObject({
    choice: RouteTargetSchema.optional(),
    /** Glob (`*` any characters, `?` one) on the page path when it starts with `/`, else on the whole URL; `re:<regex>` for a regular expression on the whole URL. */
    pageUrl: z.string().min(1).optional(),
    language: z.array(z.string().transform((v) => v.toLowerCase())).optional(),
    region: z.array(z.string()).optional(),
    timeOfDay: z
      .strictObject({ from: ClockSchema, to: ClockSchema, timeZone: TimeZoneSchema })
      .refine((t) => t.from !== t.to, { message: 'from and to must differ', path: ['to'] })
      .optional(),
    returningVisitor: z.boolean().optional(),
  }),
  // biome-ignore lint/suspicious/noThenProperty: `then` is the rule's public YAML key, never awaited
  then: z.strictObject({
    groupId: z.string(),
    topicId: z.string().optional(),
    priority: z.number().int().min(0).max(9).optional(),
  }),
});
export type Rule = z.infer<typeof RuleSchema>;

export const DefaultRouteSchema = z.strictObject({
  groupId: z.string(),
  topicId: z.string().optional(),
  priority: z.number().int().min(0).max(9).optional(),
});

const RoutingConfigInputSchema = z.strictObject({
  version: z.number().int().optional(),
  locales: z.array(z.string().min(2)).min(1).default(['en', 'ru']),
  defaultLocale: z.string().default('en'),
  groups: z.array(GroupSchema).min(1, 'must have at least one group'),
  topics: z.array(TopicSchema).default([]),
  regions: z.array(RegionSchema).default([]),
  operators: z.array(OperatorProfileSchema).default([]),
  sites: z.array(SiteSchema).default([]),
  rules: z.array(RuleSchema).default([]),
  defaultRoute: DefaultRouteSchema,
  settings: SettingsSchema.prefault({}),
});

/**
 * The whole routing config in effect: parsing applies `withDefaults` (every group's texts for every
 * declared locale from the group's own texts, then the built-in ones). What is stored is the input. Cross-references are checked by
 * validateRoutingConfig, not by the schema alone.
 */
export const RoutingConfigSchema = RoutingConfigInputSchema.transform((config) => withDefaults(config));
export type RoutingConfig = z.infer<typeof RoutingConfigSchema>;
/** The whole config as entered (what is stored; the console edits and sends this). */
export type RoutingConfigInput = z.input<typeof RoutingConfigSchema>;
