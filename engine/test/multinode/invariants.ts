import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { RoutingStore } from '../../src/routing-store/routing-store';
import { routingKeys } from '../../src/routing-store/redis-keys';

export interface RoutingSnapshotCheck {
  violations: string[];
  queued: Map<string, string>;
  held: Map<string, string>;
  loads: Map<string, { load: number; limit: number }>;
}

/**
 * Reads the whole routing state in one MULTI (an atomic snapshot, so no read skew) and checks the
 * invariants: nobody over his limit, a dialog held by at most one operator, never queued and held at
 * once, each queued dialog in exactly the queue of its group, positions 1..n.
 */
export async function checkRoutingState(
  redis: Redis,
  prefix: string,
  groups: string[],
): Promise<RoutingSnapshotCheck> {
  const k = routingKeys(prefix, 'default');
  const multi = redis
    .multi()
    .hgetall(k.opLimit)
    .hgetall(k.held)
    .zrange(k.operatorDialogs, '0', '-1')
    .hgetall(k.queued);
  for (const g of groups) multi.zrange(k.queue(g), '0', '-1');
  const results = (await multi.exec()) ?? [];
  const value = <T>(i: number) => results[i]?.[1] as T;
  const limits = value<Record<string, string>>(0);
  const heldHash = value<Record<string, string>>(1);
  const operatorDialogs = value<string[]>(2);
  const queuedHash = value<Record<string, string>>(3);
  const violations: string[] = [];

  const loads = new Map<string, { load: number; limit: number }>();
  for (const [operatorId, limit] of Object.entries(limits))
    loads.set(operatorId, { load: 0, limit: Number(limit) });
  const holderOf = new Map<string, string>();
  for (const member of operatorDialogs) {
    const [operatorId = '', dialogId = ''] = member.split('|');
    if (holderOf.has(dialogId))
      violations.push(`dialog ${dialogId} held by ${holderOf.get(dialogId)} and ${operatorId}`);
    holderOf.set(dialogId, operatorId);
    const entry = loads.get(operatorId) ?? { load: 0, limit: 0 };
    entry.load += 1;
    loads.set(operatorId, entry);
  }
  for (const [operatorId, { load, limit }] of loads) {
    if (load > limit) violations.push(`operator ${operatorId} holds ${load} > limit ${limit}`);
  }
  const held = new Map<string, string>();
  for (const [dialogId, record] of Object.entries(heldHash)) {
    const operatorId = record.split('|')[0] ?? '';
    held.set(dialogId, operatorId);
    if (holderOf.get(dialogId) !== operatorId)
      violations.push(
        `dialog ${dialogId}: held record says ${operatorId}, index says ${holderOf.get(dialogId)}`,
      );
  }
  for (const dialogId of holderOf.keys())
    if (!held.has(dialogId)) violations.push(`dialog ${dialogId} in an operator's set without a held record`);

  const queued = new Map<string, string>();
  const seenInQueues = new Map<string, string>();
  groups.forEach((groupId, index) => {
    const members = value<string[]>(4 + index);
    for (const dialogId of members) {
      if (seenInQueues.has(dialogId))
        violations.push(`dialog ${dialogId} in queues ${seenInQueues.get(dialogId)} and ${groupId}`);
      seenInQueues.set(dialogId, groupId);
    }
  });
  for (const [dialogId, record] of Object.entries(queuedHash)) {
    const groupId = record.split('|')[0] ?? '';
    queued.set(dialogId, groupId);
    if (seenInQueues.get(dialogId) !== groupId)
      violations.push(`dialog ${dialogId} recorded in ${groupId} but sits in ${seenInQueues.get(dialogId)}`);
    if (held.has(dialogId)) violations.push(`dialog ${dialogId} is queued and held at once`);
  }
  for (const [dialogId, groupId] of seenInQueues)
    if (!queued.has(dialogId)) violations.push(`dialog ${dialogId} in queue ${groupId} without a record`);
  return { violations, queued, held, loads };
}

/** An operator whose routing-store load differs from what Postgres says he holds. */
export interface HoldingMismatch {
  operatorId: string;
  /** Dialogs in assigned/active/offered with his operator_id. */
  postgres: number;
  /** His load in the routing store (assigned plus offered). */
  store: number;
  status: string;
}

/**
 * Compares, per operator and whatever his presence (online, away, offline), the dialogs Postgres says
 * he holds with the routing store's load. A transfer or release that forgets a slot shows up here even
 * for an away operator, whom `checkRoutingState`'s limit check never sees over his limit until he comes
 * back. The two reads are not one snapshot: call it when the engines are quiet (after the load drains).
 */
export async function checkHoldings(
  db: Knex,
  store: Pick<RoutingStore, 'listOperators'>,
): Promise<{ violations: string[]; mismatches: HoldingMismatch[] }> {
  const rows = await db('dialogs')
    .whereIn('state', ['assigned', 'active', 'offered'])
    .whereNotNull('operator_id')
    .groupBy('operator_id')
    .select<{ operator_id: string; count: string | number }[]>('operator_id', db.raw('count(*) as count'));
  const postgres = new Map(rows.map((r) => [r.operator_id, Number(r.count)]));
  const operators = await store.listOperators();
  const mismatches: HoldingMismatch[] = [];
  for (const operator of operators) {
    const held = postgres.get(operator.operatorId) ?? 0;
    postgres.delete(operator.operatorId);
    if (held !== operator.load)
      mismatches.push({
        operatorId: operator.operatorId,
        postgres: held,
        store: operator.load,
        status: operator.status,
      });
  }
  for (const [operatorId, held] of postgres)
    mismatches.push({ operatorId, postgres: held, store: 0, status: 'unknown to the store' });
  const violations = mismatches.map(
    (m) => `operator ${m.operatorId} (${m.status}) holds ${m.postgres} in Postgres, store load ${m.store}`,
  );
  return { violations, mismatches };
}
