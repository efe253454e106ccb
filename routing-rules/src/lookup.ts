import type { Group, RoutingConfig } from './schema';

/** The group with that id, or undefined. */
export function groupById(config: Pick<RoutingConfig, 'groups'>, groupId: string): Group | undefined {
  return config.groups.find((g) => g.id === groupId);
}

/** The groups an operator (e-mail, any case) belongs to, with the tier; [] for an unknown operator. */
export function operatorGroups(
  config: Pick<RoutingConfig, 'operators'>,
  operatorEmail: string,
): { groupId: string; tier: 'primary' | 'secondary' }[] {
  const profile = config.operators.find((p) => p.operatorEmail === operatorEmail.toLowerCase());
  return profile ? profile.groups.map((m) => ({ groupId: m.groupId, tier: m.tier })) : [];
}

/**
 * The operator's concurrent-dialog limit in a group: the personal limit when the profile has one,
 * else the group's default; null when the group does not exist.
 */
export function effectiveLimit(
  config: Pick<RoutingConfig, 'operators' | 'groups'>,
  operatorEmail: string,
  groupId: string,
): number | null {
  const group = groupById(config, groupId);
  if (!group) return null;
  const profile = config.operators.find((p) => p.operatorEmail === operatorEmail.toLowerCase());
  return profile?.limit ?? group.limits.default;
}

/** Group ids reached by following fallbackGroupId from `groupId` (itself excluded), stopping at unknown ids and cycles. */
export function fallbackChain(config: Pick<RoutingConfig, 'groups'>, groupId: string): string[] {
  const chain: string[] = [];
  const seen = new Set([groupId]);
  let next = groupById(config, groupId)?.fallbackGroupId;
  while (next !== undefined && !seen.has(next) && groupById(config, next)) {
    chain.push(next);
    seen.add(next);
    next = groupById(config, next)?.fallbackGroupId;
  }
  return chain;
}
