import {
  autoMessage,
  choiceLabel,
  DEFAULT_PHONE_COUNTRY,
  estimateWait,
  fallbackLocale,
  isGroupOpen,
  nextThreshold,
  rankOperators,
  resolveRoute,
  type RoutingConfig,
} from '@hotline/routing-rules';
import type { DialogPolicy, ThresholdPlan } from '../dialog/dialog-policy';
import type { RoutingDecisions } from './routing-decisions';

/** routing-rules' kinds → the machine's; queue-wait steps carry their configured action. */
function planKind(threshold: { kind: string; action?: string }): ThresholdPlan['kind'] | null {
  switch (threshold.kind) {
    case 'offline-reply':
    case 'unanswered':
    case 'overflow':
    case 'widen':
      return threshold.kind;
    case 'queue-wait':
      switch (threshold.action) {
        case 'announce-position':
          return 'queue-position';
        case 'offer-contact':
          return 'queue-offer-contact';
        case 'overflow':
          return 'overflow';
        case 'widen':
          return 'widen';
        default:
          return 'queue-position';
      }
    default:
      return null;
  }
}

/** Binds routing-rules' pure decisions to one config version for the engine. */
export function decisionsFor(version: number, config: RoutingConfig): RoutingDecisions {
  const groups = new Map(config.groups.map((g) => [g.id, g]));
  const group = (id: string) => {
    const found = groups.get(id);
    if (!found) throw new Error(`unknown group ${id}`);
    return found;
  };

  const policy: DialogPolicy = {
    groupOpen: (groupId, now) => groups.has(groupId) && isGroupOpen(group(groupId), new Date(now)).open,
    nextThreshold(groupId, timing, now) {
      if (!groups.has(groupId)) return null;
      // Queue-wait keys are per queue entry (an overflow or transfer starts the clock again), so they
      // carry the enqueue time. While queued, the queue-wait steps speak to the visitor; the
      // unanswered budget is kept for the operator.
      const queued = timing.phase === 'queued';
      const prefix = queued ? `@${timing.queuedAt}/` : '';
      const fired = timing.fired.flatMap((key) => {
        if (!key.startsWith('@')) return [key];
        return queued && key.startsWith(prefix) ? [key.slice(prefix.length)] : [];
      });
      const next = nextThreshold(
        group(groupId),
        { ...timing, fired, ...(queued ? { lastVisitorMessageAt: undefined } : {}) },
        now,
      );
      if (!next) return null;
      const kind = planKind(next);
      return kind ? { key: prefix + next.key, kind, dueAt: next.dueAt } : null;
    },
    unansweredRepeat: (groupId) => groups.get(groupId)?.thresholds.unansweredRepeat ?? false,
    rerouteOnUnanswered: (groupId) => groups.get(groupId)?.thresholds.rerouteOnUnanswered ?? false,
    unansweredGraceMs: (groupId) => (groups.get(groupId)?.thresholds.unansweredGraceSeconds ?? 15) * 1000,
    fallbackGroup: (groupId) => groups.get(groupId)?.fallbackGroupId ?? null,
  };

  const profiles = new Map(
    config.operators.map((profile) => {
      const memberships = profile.groups.map((m) => ({ groupId: m.groupId, tier: m.tier }));
      const groupLimits = memberships.map((m) => groups.get(m.groupId)?.limits.default ?? 1);
      return [
        profile.operatorEmail.toLowerCase(),
        {
          limit: profile.limit ?? (groupLimits.length ? Math.max(...groupLimits) : 1),
          groups: memberships,
          skills: profile.skills,
          takesCalls: profile.takesCalls,
        },
      ];
    }),
  );

  return {
    version,
    policy,
    resolveRoute(context, now) {
      const route = resolveRoute(config, context, new Date(now));
      return {
        groupId: route.groupId,
        topicId: route.topicId ?? null,
        regionId: route.regionId ?? null,
        priority: route.priority,
        fallbackChain: route.fallbackChain,
        reason: route.reason,
      };
    },
    groupIds: () => [...groups.keys()],
    groupName: (groupId) => groups.get(groupId)?.name ?? groupId,
    hasGroup: (groupId) => groups.has(groupId),
    offerTimeoutMs(groupId) {
      const g = groups.get(groupId);
      return g?.offerMode.enabled ? g.offerMode.timeoutSeconds * 1000 : null;
    },
    secondaryTierAfterMs: (groupId) =>
      (groups.get(groupId)?.thresholds.secondaryTierAfterSeconds ?? 60) * 1000,
    keepDialogsOnOfflineMs: (groupId) =>
      (groups.get(groupId)?.thresholds.keepDialogsOnOfflineSeconds ?? 0) * 1000,
    rankOperators(groupId, operators, dialog, now, emailOf) {
      const g = group(groupId);
      const candidates = operators.map((o) => {
        const profile = profiles.get(emailOf?.(o.operatorId)?.toLowerCase() ?? '');
        return {
          operatorId: o.operatorId,
          status: o.status,
          load: o.load,
          limit: o.limit,
          tier: o.groups.find((m) => m.groupId === groupId)?.tier ?? ('secondary' as const),
          lastAssignedAt: o.lastAssignedAt,
          onlineSince: o.onlineSince,
          skills: profile?.skills,
          takesCalls: profile?.takesCalls,
        };
      });
      const lastAssigned = candidates
        .filter((c) => c.lastAssignedAt !== null)
        .sort((a, b) => (b.lastAssignedAt ?? 0) - (a.lastAssignedAt ?? 0))[0];
      return rankOperators({
        strategy: g.strategy,
        candidates,
        now,
        waitedMs: dialog.widened ? Number.MAX_SAFE_INTEGER : dialog.waitedMs,
        secondaryTierAfterMs: g.thresholds.secondaryTierAfterSeconds * 1000,
        lastAssignedOperatorId: lastAssigned?.operatorId,
        excludeOperatorIds: dialog.excludedOperatorIds,
        excludedAt: dialog.excludedAt,
        exclusionMs: g.thresholds.exclusionSeconds * 1000,
        callback: dialog.kind === 'callback',
        requiredSkills: {
          topicId: dialog.topicId ?? undefined,
          regionId: dialog.regionId ?? undefined,
          language: dialog.language ?? undefined,
        },
      }).map((c) => c.operatorId);
    },
    autoMessage(groupId, kind, locale, vars) {
      const rendered = autoMessage(config, groupId, kind, locale, {
        visitorName: vars.visitorName ?? undefined,
        operatorName: vars.operatorName ?? undefined,
        position: vars.position ?? undefined,
        etaMinutes: vars.etaMinutes ?? undefined,
        groupName: groups.get(groupId)?.name,
      });
      return {
        text: rendered.text,
        authorName: rendered.author.name,
        authorAvatarUrl: rendered.author.avatarUrl ?? null,
      };
    },
    estimateWait: (position, freeableCapacity, recentHandleTimesMs) =>
      estimateWait({ position, freeableCapacity, recentHandleTimesMs }),
    operatorProfiles: () => profiles,
    // The one fallback rule (routing-rules' fallbackLocale) among the config's locales.
    locale: (requested) =>
      fallbackLocale(config.locales, requested, [config.defaultLocale]) ?? config.defaultLocale,
    choiceLabel: (siteId, choice, locale) =>
      choiceLabel(config.sites.find((s) => s.id === siteId)?.entryMenu, choice, locale),
    phoneCountry: (siteId) =>
      config.sites.find((s) => s.id === siteId)?.defaultCountry ?? DEFAULT_PHONE_COUNTRY,
    site(siteId) {
      const site = config.sites.find((s) => s.id === siteId);
      if (!site) return null;
      return {
        siteId: site.id,
        name: site.name,
        locale: site.locale ?? config.defaultLocale,
        locales: config.locales,
        defaultCountry: site.defaultCountry,
        look: site.look,
        entryMenu: site.entryMenu,
        groups: config.groups.map((g) => ({ id: g.id, name: g.name })),
        topics: config.topics,
        regions: config.regions,
      };
    },
  };
}
