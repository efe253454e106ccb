import type { Knex } from 'knex';
import { parseSnapshot } from '../../src/dialog/dialog-snapshot';
import type { RoutingStore } from '../../src/routing-store/routing-store';
import type { OpenDialogRow } from '../multinode/liveness';

const ROUTED = ['queued', 'offered', 'assigned', 'active'];

export interface SafetyCheck {
  /** Broken at this instant, whatever happens next: over a limit, held twice. */
  immediate: string[];
  /** Postgres and the store disagree; the reconciler may still repair it (key → detail). */
  mismatches: Map<string, string>;
}

/**
 * The safety invariants over any RoutingStore and the dialogs in Postgres: nobody over his limit
 * (in the store, and in Postgres for every operator, online or not), no dialog held by two
 * operators, and each open dialog where Postgres says it is (queued in its group, held or offered
 * by its operator), nothing in the store that Postgres does not know.
 */
export async function checkSafety(
  db: Knex,
  store: RoutingStore,
  open?: OpenDialogRow[],
): Promise<SafetyCheck> {
  const immediate: string[] = [];
  const mismatches = new Map<string, string>();
  const operators = await store.listOperators();
  const holderOf = new Map<string, string>();
  for (const operator of operators) {
    const dialogs = await store.operatorDialogs(operator.operatorId);
    if (operator.load > operator.limit)
      immediate.push(`store: ${operator.operatorId} load ${operator.load} > limit ${operator.limit}`);
    if (dialogs.length !== operator.load)
      immediate.push(`store: ${operator.operatorId} load ${operator.load} but holds ${dialogs.length}`);
    for (const dialogId of dialogs) {
      const other = holderOf.get(dialogId);
      if (other) immediate.push(`store: ${dialogId} held by ${other} and ${operator.operatorId}`);
      holderOf.set(dialogId, operator.operatorId);
    }
  }
  // The open dialogs the caller read for the liveness check too, or a read of our own.
  const rows = open
    ? open.filter((r) => ROUTED.includes(r.state))
    : await db('dialogs')
        .whereIn('state', ROUTED)
        .select<{ id: string; state: string; operator_id: string | null; snapshot: unknown }[]>(
          'id',
          'state',
          'operator_id',
          'snapshot',
        );
  const limitOf = new Map(operators.map((o) => [o.operatorId, o.limit]));
  const heldInDb = new Map<string, number>();
  const known = new Map(rows.map((r) => [r.id, r]));
  for (const row of rows) {
    const context = parseSnapshot(row.snapshot).context;
    if (row.state === 'assigned' || row.state === 'active') {
      const operatorId = row.operator_id ?? '';
      heldInDb.set(operatorId, (heldInDb.get(operatorId) ?? 0) + 1);
      const holder = await store.holder(row.id);
      if (holder?.operatorId !== operatorId || holder.offered)
        mismatches.set(
          `held:${row.id}`,
          `${row.id} ${row.state} by ${operatorId} in Postgres, store: ${holder ? `${holder.offered ? 'offered to' : 'held by'} ${holder.operatorId}` : 'not held'}`,
        );
    } else if (row.state === 'queued') {
      const position = await store.position(row.id);
      if (position?.groupId !== context.groupId)
        mismatches.set(
          `queued:${row.id}`,
          `${row.id} queued in ${context.groupId} in Postgres, store: ${position ? `in ${position.groupId}` : 'in no queue'}`,
        );
    } else {
      const holder = await store.holder(row.id);
      if (holder?.operatorId !== context.operatorId || !holder.offered)
        mismatches.set(
          `offered:${row.id}`,
          `${row.id} offered to ${context.operatorId} in Postgres, store: ${holder ? holder.operatorId : 'nothing'}`,
        );
    }
  }
  for (const [operatorId, held] of heldInDb) {
    const limit = limitOf.get(operatorId) ?? 0;
    if (held > limit) immediate.push(`Postgres: ${operatorId} holds ${held} > limit ${limit}`);
  }
  for (const [dialogId, operatorId] of holderOf) {
    const row = known.get(dialogId);
    if (!row || row.state === 'queued' || (row.state !== 'offered' && row.operator_id !== operatorId))
      mismatches.set(
        `stray-hold:${dialogId}`,
        `${dialogId} held by ${operatorId} in the store, ${row ? `${row.state} by ${row.operator_id}` : 'not open'} in Postgres`,
      );
  }
  for (const groupId of await store.queuedGroups()) {
    for (const entry of await store.queue(groupId)) {
      if (known.get(entry.dialogId)?.state !== 'queued')
        mismatches.set(
          `stray-queue:${entry.dialogId}`,
          `${entry.dialogId} in queue ${groupId}, ${known.get(entry.dialogId)?.state ?? 'not open'} in Postgres`,
        );
    }
  }
  return { immediate, mismatches };
}

/** Mismatches count once they outlive a bound (the reconciler's two confirming runs plus T). */
export class SafetyMonitor {
  private since = new Map<string, number>();

  judge(check: SafetyCheck, now: number, boundMs: number): string[] {
    const seen = new Map<string, number>();
    const violations = [...check.immediate];
    for (const [key, detail] of check.mismatches) {
      const first = this.since.get(key) ?? now;
      seen.set(key, first);
      if (now - first > boundMs) violations.push(`mismatch for ${now - first} ms: ${detail}`);
    }
    this.since = seen;
    return violations;
  }
}
