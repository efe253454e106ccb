import { randomUUID } from 'node:crypto';
import type { OperatorSessionView, SessionRevokeReason } from '@hotline/protocol';
import type { Database } from '../storage/database';
import { type Operator, type OperatorRow, toOperator } from './operator-repository';

interface SessionRow {
  id: string;
  operator_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
}

/** A live session with its operator as the database has him now (role, active). */
export interface LiveSession {
  sessionId: string;
  lastSeenAt: Date;
  expiresAt: Date;
  operator: Operator;
}

// Kept short in the table: a user agent is display text, not something to store unbounded.
const MAX_USER_AGENT = 300;
// Ended sessions stay this long (who was signed in from where), then go with his next login.
const KEEP_ENDED_MS = 30 * 24 * 3600 * 1000;

/** Rows of `operator_sessions`: one per login, revoked by a reason or expired, never reused. */
export class SessionRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  async create(input: {
    operatorId: string;
    expiresAt: Date;
    userAgent?: string;
    ip?: string;
  }): Promise<string> {
    const id = randomUUID();
    const now = new Date(this.clock());
    await this.db('operator_sessions').insert({
      id,
      operator_id: input.operatorId,
      created_at: now,
      last_seen_at: now,
      expires_at: input.expiresAt,
      user_agent: input.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
      ip: input.ip ?? null,
    });
    await this.db('operator_sessions')
      .where({ operator_id: input.operatorId })
      .where('expires_at', '<', new Date(now.getTime() - KEEP_ENDED_MS))
      .delete();
    return id;
  }

  /**
   * The session when it is neither revoked nor expired and its operator is active: one read by
   * primary key joined to the operator's row, cheap enough for every REST call and socket event.
   */
  async findLive(sessionId: string, operatorId: string): Promise<LiveSession | null> {
    const row = await this.db('operator_sessions as s')
      .join('operators as o', 'o.id', 's.operator_id')
      .where({ 's.id': sessionId, 's.operator_id': operatorId, 'o.active': true })
      .whereNull('s.revoked_at')
      .where('s.expires_at', '>', new Date(this.clock()))
      .first<
        | (OperatorRow & { session_id: string; session_last_seen_at: Date; session_expires_at: Date })
        | undefined
      >(
        'o.*',
        's.id as session_id',
        's.last_seen_at as session_last_seen_at',
        's.expires_at as session_expires_at',
      );
    if (!row) return null;
    return {
      sessionId: row.session_id,
      lastSeenAt: new Date(row.session_last_seen_at),
      expiresAt: new Date(row.session_expires_at),
      operator: toOperator(row),
    };
  }

  async touch(sessionId: string): Promise<void> {
    await this.db('operator_sessions')
      .where({ id: sessionId })
      .update({ last_seen_at: new Date(this.clock()) });
  }

  /** His sessions not revoked and not expired, the most recently used first. */
  async listLive(operatorId: string, currentSessionId: string): Promise<OperatorSessionView[]> {
    const rows = await this.db<SessionRow>('operator_sessions')
      .where({ operator_id: operatorId })
      .whereNull('revoked_at')
      .where('expires_at', '>', new Date(this.clock()))
      .orderBy('last_seen_at', 'desc');
    return rows.map((row) => ({
      id: row.id,
      createdAt: new Date(row.created_at).toISOString(),
      lastSeenAt: new Date(row.last_seen_at).toISOString(),
      expiresAt: new Date(row.expires_at).toISOString(),
      userAgent: row.user_agent,
      ip: row.ip,
      current: row.id === currentSessionId,
    }));
  }

  /**
   * Revokes his live sessions (all of them, or the one named by `only`), except `keep`; returns the
   * ids it revoked, so their sockets can be disconnected.
   */
  async revoke(
    operatorId: string,
    reason: SessionRevokeReason,
    scope: { only?: string; keep?: string } = {},
  ): Promise<string[]> {
    const query = this.db('operator_sessions')
      .where({ operator_id: operatorId })
      .whereNull('revoked_at')
      .where('expires_at', '>', new Date(this.clock()));
    if (scope.only) query.andWhere({ id: scope.only });
    if (scope.keep) query.andWhereNot({ id: scope.keep });
    const rows: { id: string }[] = await query.update(
      { revoked_at: new Date(this.clock()), revoked_reason: reason },
      ['id'],
    );
    return rows.map((r) => r.id);
  }
}
