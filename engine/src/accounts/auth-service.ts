import { AppError, badRequest, RateLimitedError } from '../errors';
import type { OperatorSessionView, SessionRevokeReason } from '@hotline/protocol';
import type { LoginThrottle } from './login-throttle';
import type { Operator, OperatorRepository, Role } from './operator-repository';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords';
import type { SessionRepository } from './session-repository';
import type { SessionSigner } from './sessions';

/** `failed` and `succeeded` reached the password check; `rate_limited` did not. */
export type LoginOutcome = 'rate_limited' | 'failed' | 'succeeded';

/** An authenticated request or socket: the session and its operator as the database has him now. */
export interface OperatorSession {
  sessionId: string;
  operatorId: string;
  role: Role;
  operator: Operator;
  expiresAt: Date;
}

/** Told which sessions were revoked, so every node disconnects their sockets. */
export type RevocationListener = (sessionIds: string[], reason: SessionRevokeReason) => void;

// last_seen_at is for the "My sessions" list, not security: one write a minute per session is enough.
const TOUCH_EVERY_MS = 60_000;

/** Login, server-side sessions and their revocation for operators and supervisors. */
export class AuthService {
  private readonly revocationListeners: RevocationListener[] = [];

  constructor(
    private readonly operators: OperatorRepository,
    private readonly signer: SessionSigner,
    private readonly throttle: LoginThrottle,
    private readonly sessions: SessionRepository,
    /** Told every login attempt's outcome (the login metric; tests count password checks with it). */
    private readonly observe: (outcome: LoginOutcome) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Wrong e-mail and wrong password answer the same 401 (same timing too). The attempt is counted
   * before the password is checked (LoginThrottle): one over a limit is answered 429 with retryAfterMs
   * without touching the database. A legacy bcrypt hash is replaced by argon2id on success. A success
   * opens a new session (its own row, revocable on its own) and signs a token naming it.
   */
  async login(
    email: string,
    password: string,
    clientAddress: string,
    userAgent?: string,
  ): Promise<{ token: string; operator: Operator; sessionId: string; expiresAt: Date }> {
    const attempt = { email: email.toLowerCase(), address: clientAddress };
    const verdict = await this.throttle.begin(attempt);
    if (!verdict.allowed) {
      this.observe('rate_limited');
      throw new RateLimitedError(
        verdict.retryAfterSeconds * 1000,
        `too many login attempts, retry in ${verdict.retryAfterSeconds} s`,
      );
    }
    // An unknown e-mail costs the same hash check. A storage failure is no guess: its attempt is given back.
    const { found, ok, rehash } = await (async () => {
      const account = await this.operators.findByEmailWithHash(email);
      return { found: account, ...(await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH)) };
    })().catch(async (error: unknown) => {
      await this.throttle.abandoned(attempt).catch(() => undefined);
      throw error;
    });
    if (!found || !ok || !found.active) {
      this.observe('failed');
      throw new AppError('unauthorized', 'invalid e-mail or password');
    }
    this.observe('succeeded');
    await this.throttle.succeeded(attempt);
    // Best effort: a failed upgrade is tried again at the next login; it does not fail this one.
    if (rehash)
      await hashPassword(password)
        .then((hash) => this.operators.replacePasswordHash(found.id, hash))
        .catch(() => undefined);
    const { passwordHash: _hash, ...operator } = found;
    return { ...(await this.openSession(operator.id, clientAddress, userAgent)), operator };
  }

  private async openSession(operatorId: string, ip: string, userAgent?: string) {
    const expiresAt = new Date(this.clock() + this.signer.ttlSeconds * 1000);
    const sessionId = await this.sessions.create({ operatorId, expiresAt, ip, userAgent });
    return { token: await this.signer.sign({ sessionId, operatorId }, expiresAt), sessionId, expiresAt };
  }

  /** The session and its operator, or null when the token is invalid or expired, the session revoked or the account deactivated. */
  async authenticate(token: string | undefined): Promise<OperatorSession | null> {
    if (!token) return null;
    const claims = await this.signer.verify(token);
    if (!claims) return null;
    const live = await this.live(claims.sessionId, claims.operatorId);
    if (!live) return null;
    const { sessionId, operator, expiresAt } = live;
    return { sessionId, operatorId: operator.id, role: operator.role, operator, expiresAt };
  }

  /** The operator as he is now when this session still holds; null once it was revoked or expired or he was deactivated. */
  async recheck(sessionId: string, operatorId: string): Promise<Operator | null> {
    return (await this.live(sessionId, operatorId))?.operator ?? null;
  }

  private async live(sessionId: string, operatorId: string) {
    const live = await this.sessions.findLive(sessionId, operatorId);
    if (live && this.clock() - live.lastSeenAt.getTime() > TOUCH_EVERY_MS)
      await this.sessions.touch(live.sessionId);
    return live;
  }

  listSessions(session: OperatorSession): Promise<OperatorSessionView[]> {
    return this.sessions.listLive(session.operatorId, session.sessionId);
  }

  /** Revokes one of his own sessions; another operator's id is simply not found. */
  async revokeOwn(
    session: OperatorSession,
    sessionId: string,
    reason: SessionRevokeReason,
  ): Promise<boolean> {
    return (await this.revoke(session.operatorId, reason, { only: sessionId })) > 0;
  }

  /** Revokes every live session of this operator (but `keep`, when given); returns how many. */
  async revokeAll(operatorId: string, reason: SessionRevokeReason, keep?: string): Promise<number> {
    return this.revoke(operatorId, reason, { keep });
  }

  /**
   * He changes his own password with the current one; every other session of his is revoked, and
   * this one too unless `keepCurrent`.
   */
  async changePassword(
    session: OperatorSession,
    currentPassword: string,
    newPassword: string,
    keepCurrent: boolean,
  ): Promise<number> {
    const found = await this.operators.findByEmailWithHash(session.operator.email);
    if (!found || !(await verifyPassword(currentPassword, found.passwordHash)).ok) {
      throw badRequest('the current password is wrong', 'currentPassword');
    }
    await this.operators.update(session.operatorId, { password: newPassword });
    return this.revokeAll(
      session.operatorId,
      'password-changed',
      keepCurrent ? session.sessionId : undefined,
    );
  }

  onRevoked(listener: RevocationListener) {
    this.revocationListeners.push(listener);
  }

  private async revoke(
    operatorId: string,
    reason: SessionRevokeReason,
    scope: { only?: string; keep?: string },
  ): Promise<number> {
    const revoked = await this.sessions.revoke(operatorId, reason, scope);
    if (revoked.length > 0) for (const listener of this.revocationListeners) listener(revoked, reason);
    return revoked.length;
  }
}
