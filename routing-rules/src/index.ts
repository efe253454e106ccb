/**
 * @hotline/routing-rules: the supervisors' routing model (zod schemas) and every pure routing
 * decision. No I/O, no clock of its own: callers pass `now`.
 */
export { type AutoMessage, type AutoMessageKind, autoMessage } from './auto-message';
export {
  type ContactResult,
  DEFAULT_PHONE_COUNTRY,
  isPhoneCountry,
  normalizeContact,
} from './contact';
export { type AutoMessageTexts, DEFAULT_TEXTS } from './default-texts';
export { choiceLabel } from './entry-menu';
export { isGroupOpen, type OpenState } from './hours';
export { effectiveLimit, fallbackChain, groupById, operatorGroups } from './lookup';
export {
  activeExclusions,
  isEligible,
  type OperatorCandidate,
  type OperatorStatus,
  pickOperator,
  type RankInput,
  type RoutingStrategy,
  rankOperators,
} from './operators';
export { acceptLanguages, fallbackLocale, pickLocale, primaryLanguage } from './locale';
export { localizedText } from './localized-text';
export { fillTexts, withDefaults, withoutDefaultTexts } from './defaults';
export { parseRoutingYaml, readRoutingYaml } from './parse-yaml';
export { deprecatedKeys, RENAMED_KEYS, withCurrentKeys } from './renamed-keys';
export { type Route, resolveRoute, ruleMatches, type VisitorContext } from './route';
export * from './schema';
export {
  ALLOWED_VARIABLES,
  renderTemplate,
  TEMPLATE_VARIABLES,
  TEXT_KEYS,
  type TemplateVariable,
  type TemplateVars,
  type TextKey,
  templateVariables,
} from './templates';
export {
  type DialogTiming,
  isQueueFull,
  nextThreshold,
  type QueueWaitAction,
  type Threshold,
  type ThresholdKind,
} from './thresholds';
export { type ConfigError, formatPath, type ValidationResult, validateRoutingConfig } from './validate';
export { globMatches, type MatchMeter, pageUrlMatches, regexPatternProblem } from './url-pattern';
export { DIALOG_KINDS, type DialogKind, PRESENCES, type Presence, STRATEGIES } from './vocabulary';
export {
  estimateWait,
  estimateWaitFrom,
  type WaitBasis,
  type WaitEstimate,
  type WaitInput,
  waitBasis,
} from './wait';
export { EXACT_HEAD, QUEUE_BOUNDS, queueBound, type ShownPosition, shownPosition } from './queue-bounds';
export { attachmentPolicy, isRasterImage, sizeRefusal, typeAllowed } from './attachments';
