import { AppError } from '../errors';
import type { LoginThrottle } from './login-throttle';
import type { Operator, OperatorRepository } from './operator-repository';
import { DUMMY_HASH, verifyPassword } from './passwords';
import type { SessionClaims, SessionSigner } from './sessions';

/** Login and session checks for operators and supervisors. */
export class AuthService {
  constructor(
    private readonly operators: OperatorRepository,
    private readonly sessions: SessionSigner,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * Wrong e-mail and wrong password answer the same 401 (same timing too); repeated failures per
   * e-mail and per client address are answered 429 until the window passes.
   */
  async login(email: string, password: string, clientAddress: string): Promise<{ token: string; operator: Operator }> {
    const keys = [`email:${email.toLowerCase()}`, `ip:${clientAddress}`];
    for (const key of keys) {
      const { blocked, retryAfterSeconds } = await this.throttle.check(key);
      if (blocked) throw new AppError('rate_limited', `too many failed logins, retry in ${retryAfterSeconds} s`);
    }
    const found = await this.operators.findByEmailWithHash(email);
    const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH);
    if (!found || !ok || !found.active) {
      await Promise.all(keys.map((key) => this.throttle.recordFailure(key)));
      throw new AppError('unauthorized', 'invalid e-mail or password');
    }
    await this.throttle.reset(keys[0]!);
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
