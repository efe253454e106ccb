import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { SettingsRepository } from '../storage/settings-repository';

export const SESSION_COOKIE = 'hl_session';

/** What a session token names: its row in `operator_sessions` and the operator it belongs to. */
export interface SessionClaims {
  sessionId: string;
  operatorId: string;
}

// Any UUID form Postgres accepts as `uuid`; anything else is refused before it reaches a query.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * Signs and verifies operator session tokens (HS256 JWT: `sub` operator, `sid` session, always
 * `exp`), carried by the httpOnly cookie or a bearer token. The token only names the session: whether
 * it still holds (revoked, expired, operator deactivated) and the role come from the database.
 */
export class SessionSigner {
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: SessionClaims, expiresAt: Date): Promise<string> {
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.operatorId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
  }

  /** The claims, or null for anything not signed by us, expired, without `exp`, or with a malformed `sub`/`sid`. */
  async verify(token: string): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub', 'sid'],
      });
      if (!isUuid(payload.sub) || !isUuid(payload.sid)) return null;
      return { operatorId: payload.sub, sessionId: payload.sid };
    } catch {
      return null;
    }
  }
}

/**
 * The signing secret: SESSION_SECRET when given, otherwise one generated once and kept in the
 * database, so every replica on the same database and every restart agree.
 */
export async function sessionSecret(
  settings: SettingsRepository,
  configured: string | undefined,
): Promise<string> {
  if (configured) return configured;
  return settings.keepFirst('session_secret', randomBytes(32).toString('base64url'));
}
