import { AppError, RateLimitedError } from '../errors';
import type { LoginThrottle } from './login-throttle';
import type { Operator, OperatorRepository } from './operator-repository';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords';
import type { SessionClaims, SessionSigner } from './sessions';

/** `failed` and `succeeded` reached the password check; `rate_limited` did not. */
export type LoginOutcome = 'rate_limited' | 'failed' | 'succeeded';

/** Login and session checks for operators and supervisors. */
export class AuthService {
  constructor(
    private readonly operators: OperatorRepository,
    private readonly sessions: SessionSigner,
    private readonly throttle: LoginThrottle,
    /** Told every login attempt's outcome (the login metric; tests count password checks with it). */
    private readonly observe: (outcome: LoginOutcome) => void = () => {},
  ) {}

  /**
   * Wrong e-mail and wrong password answer the same 401 (same timing too). The attempt is counted
   * before the password is checked (LoginThrottle): one over a limit is answered 429 with retryAfter
   * without touching the database. A legacy bcrypt hash is replaced by argon2id on success.
   */
  async login(email: string, password: string, clientAddress: string): Promise<{ token: string; operator: Operator }> {
    const attempt = { email: email.toLowerCase(), address: clientAddress };
    const verdict = await this.throttle.begin(attempt);
    if (!verdict.allowed) {
      this.observe('rate_limited');
      throw new RateLimitedError(`too many login attempts, retry in ${verdict.retryAfterSeconds} s`, verdict.retryAfterSeconds);
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
    if (rehash) await hashPassword(password).then((hash) => this.operators.replacePasswordHash(found.id, hash)).catch(() => undefined);
    const { passwordHash: _hash, ...operator } = found;
    return { token: await this.sessions.sign({ operatorId: operator.id, role: operator.role }), operator };
  }

  /** The session's operator, or null when the token is invalid, expired or the account was deactivated. */
  async authenticate(token: string | undefined): Promise<(SessionClaims & { operator: Operator }) | null> {
    if (!token) return null;
    const claims = await this.sessions.verify(token);
    if (!claims) return null;
    const operator = await this.operators.findById(claims.operatorId);
    if (!operator?.active) return null;
    return { operatorId: operator.id, role: operator.role, operator };
  }
}
