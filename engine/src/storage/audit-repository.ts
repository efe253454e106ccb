import type { Database } from './database';

/** One line of the audit trail: who did what to which target. */
export interface AuditEntry {
  actorId: string | null;
  action: string;
  target: string;
  details: unknown;
}

/** `audit_log`: append-only; `executor` lets an entry commit with the change it records. */
export class AuditRepository {
  constructor(private readonly db: Database) {}

  async record(entry: AuditEntry, executor: Database = this.db): Promise<void> {
    await executor('audit_log').insert({
      actor_id: entry.actorId,
      action: entry.action,
      target: entry.target,
      details: JSON.stringify(entry.details),
    });
  }
}
