import type { GroupLiveStats } from '@hotline/protocol';

export interface AssignCandidate {
  operatorId: string;
  name: string;
  load: number;
  limit: number;
  /** He is in the dialog's group (listed first). */
  inGroup: boolean;
}

/**
 * Who a supervisor may hand a queued dialog to: operators online with room (the engine refuses anyone
 * else), each once, those of the dialog's group first, then the least loaded (by share of his limit).
 */
export function assignCandidates(stats: GroupLiveStats[], groupId: string | null): AssignCandidate[] {
  const byId = new Map<string, AssignCandidate>();
  for (const group of stats) {
    for (const o of group.operators) {
      if (o.status !== 'online' || o.load >= o.limit) continue;
      const seen = byId.get(o.operatorId);
      const inGroup = group.groupId === groupId || (seen?.inGroup ?? false);
      byId.set(o.operatorId, {
        operatorId: o.operatorId,
        name: o.name,
        load: o.load,
        limit: o.limit,
        inGroup,
      });
    }
  }
  return [...byId.values()].sort(
    (a, b) =>
      Number(b.inGroup) - Number(a.inGroup) ||
      a.load / a.limit - b.load / b.limit ||
      a.name.localeCompare(b.name),
  );
}
