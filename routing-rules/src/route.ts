import { primaryLanguage } from './locale';
import { fallbackChain, groupById } from './lookup';
import type { Group, RouteTarget, RoutingConfig, Rule } from './schema';
import { localTime, parseClock } from './time';
import { pageUrlMatches } from './url-pattern';
import type { DialogKind } from './vocabulary';

export interface VisitorContext {
  /** What the visitor picked in the entry menu. */
  choice?: RouteTarget | undefined;
  pageUrl?: string | undefined;
  /** BCP 47 tag; only the primary subtag is compared (`ru-RU` → `ru`). */
  language?: string | undefined;
  /** Detected region (e.g. by geo-IP), matched by `when.region`. */
  regionId?: string | undefined;
  returningVisitor?: boolean | undefined;
  kind?: DialogKind | undefined;
}

export interface Route {
  groupId: string;
  topicId?: string;
  regionId?: string;
  /** 0..9, higher = served sooner. */
  priority: number;
  /** Groups to try next, in order, without the route's own group and without cycles. */
  fallbackChain: string[];
  reason: string;
}

/**
 * Where a new dialog goes. Rules are tried in order and the first whose every `when` condition
 * holds wins; else the visitor's menu choice (a group, or a topic/region mapped to a group); else
 * `defaultRoute`. A callback request then moves to the first group of the fallback chain (else any
 * group) that takes calls, when the chosen one does not. Pure: the clock is `now`.
 * For a valid config the returned group always exists.
 */
export function resolveRoute(config: RoutingConfig, context: VisitorContext, now: Date): Route {
  // A stale widget's ids are dropped here, so no unknown topic or region reaches the dialog.
  const topicId = known(config.topics, context.choice?.topicId);
  const regionId = known(config.regions, context.choice?.regionId) ?? context.regionId;
  let base = fromRules(config, context, now) ?? fromChoice(config, context);
  if (!base || !groupById(config, base.groupId)) {
    const fallback = config.defaultRoute;
    const known = groupById(config, fallback.groupId) ? fallback.groupId : config.groups[0]!.id;
    base = {
      groupId: known,
      topicId: fallback.topicId,
      priority: fallback.priority ?? 0,
      reason: base
        ? `unknown group "${base.groupId}": default route`
        : `${unknownChoice(config, context.choice)}no rule or choice matched: default route`,
    };
  }
  let { groupId, reason } = base;
  if (context.kind === 'callback') {
    const group = groupById(config, groupId)!;
    if (!group.takesCalls) {
      const taker =
        fallbackChain(config, groupId)
          .map((id) => groupById(config, id)!)
          .find((g) => g.takesCalls) ?? config.groups.find((g) => g.takesCalls);
      if (taker) {
        reason += `; callback: "${groupId}" takes no calls, routed to "${taker.id}"`;
        groupId = taker.id;
      }
    }
  }
  const route: Route = {
    groupId,
    priority: base.priority,
    fallbackChain: fallbackChain(config, groupId),
    reason,
  };
  const topic = base.topicId ?? topicId;
  if (topic !== undefined) route.topicId = topic;
  if (regionId !== undefined) route.regionId = regionId;
  return route;
}

/** The id when the config declares it, else undefined. */
function known(items: readonly { id: string }[], id: string | undefined): string | undefined {
  return id !== undefined && items.some((item) => item.id === id) ? id : undefined;
}

/** Names the chosen ids the config does not know (a stale widget), for the route's reason. */
function unknownChoice(config: RoutingConfig, choice: RouteTarget | undefined): string {
  if (!choice) return '';
  const unknown = [
    choice.groupId !== undefined && !groupById(config, choice.groupId) ? `group "${choice.groupId}"` : null,
    choice.topicId !== undefined && !known(config.topics, choice.topicId)
      ? `topic "${choice.topicId}"`
      : null,
    choice.regionId !== undefined && !known(config.regions, choice.regionId)
      ? `region "${choice.regionId}"`
      : null,
  ].filter((u) => u !== null);
  return unknown.length > 0 ? `unknown ${unknown.join(', ')}; ` : '';
}

interface BaseRoute {
  groupId: string;
  topicId?: string | undefined;
  priority: number;
  reason: string;
}

function fromRules(config: RoutingConfig, context: VisitorContext, now: Date): BaseRoute | null {
  for (const rule of config.rules) {
    const matched = ruleMatches(rule, context, now);
    if (matched) {
      return {
        groupId: rule.then.groupId,
        topicId: rule.then.topicId,
        priority: rule.then.priority ?? 0,
        reason: `rule "${rule.id}" matched: ${matched.join(', ') || 'always'}`,
      };
    }
  }
  return null;
}

/** The matched conditions described, or null when any condition fails. */
export function ruleMatches(rule: Rule, context: VisitorContext, now: Date): string[] | null {
  const { when } = rule;
  const why: string[] = [];
  if (when.choice) {
    for (const key of ['groupId', 'topicId', 'regionId'] as const) {
      const wanted = when.choice[key];
      if (wanted !== undefined && context.choice?.[key] !== wanted) return null;
      if (wanted !== undefined) why.push(`choice ${key}=${wanted}`);
    }
  }
  if (when.pageUrl !== undefined) {
    if (!context.pageUrl || !pageUrlMatches(when.pageUrl, context.pageUrl)) return null;
    why.push(`pageUrl ${when.pageUrl}`);
  }
  if (when.language) {
    const language = primaryLanguage(context.language);
    if (!language || !when.language.includes(language)) return null;
    why.push(`language ${language}`);
  }
  if (when.region) {
    const region = context.regionId ?? context.choice?.regionId;
    if (!region || !when.region.includes(region)) return null;
    why.push(`region ${region}`);
  }
  if (when.timeOfDay) {
    const { from, to, timeZone } = when.timeOfDay;
    const minutes = localTime(now.getTime(), timeZone).minutes;
    const start = parseClock(from) ?? 0;
    const end = parseClock(to) ?? 0;
    const inside = start < end ? start <= minutes && minutes < end : minutes >= start || minutes < end;
    if (!inside) return null;
    why.push(`timeOfDay ${from}-${to} ${timeZone}`);
  }
  if (when.returningVisitor !== undefined) {
    if ((context.returningVisitor ?? false) !== when.returningVisitor) return null;
    why.push(when.returningVisitor ? 'returning visitor' : 'new visitor');
  }
  return why;
}

function fromChoice(config: RoutingConfig, context: VisitorContext): BaseRoute | null {
  const choice = context.choice;
  if (!choice) return null;
  const exists = (id: string | undefined): Group | undefined =>
    id === undefined ? undefined : groupById(config, id);
  const chosen = exists(choice.groupId);
  if (chosen) return { groupId: chosen.id, priority: 0, reason: `visitor chose group "${chosen.id}"` };
  const topic = config.topics.find((t) => t.id === choice.topicId);
  if (topic && exists(topic.groupId)) {
    return {
      groupId: topic.groupId!,
      topicId: topic.id,
      priority: 0,
      reason: `visitor chose topic "${topic.id}" → group "${topic.groupId}"`,
    };
  }
  const region = config.regions.find((r) => r.id === choice.regionId);
  if (region && exists(region.groupId)) {
    return {
      groupId: region.groupId!,
      priority: 0,
      reason: `visitor chose region "${region.id}" → group "${region.groupId}"`,
    };
  }
  return null;
}
