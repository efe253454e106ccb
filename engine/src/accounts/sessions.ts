import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Database } from '../storage/database';

export const SESSION_COOKIE = 'hl_session';
const SESSION_TTL_SECONDS = 12 * 60 * 60;

export interface SessionClaims {
  operatorId: string;
  role: 'operator' | 'supervisor';
}

/** Signs and verifies operator sessions (HS256 JWT) carried by an httpOnly cookie or a bearer token. */
export class SessionSigner {
  private readonly key: Uint8Array;
  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  readonly ttlSeconds = SESSION_TTL_SECONDS;

  sign(claims: SessionClaims): Promise<string> {
    return new SignJWT({ role: claims.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.operatorId)
      .setIssuedAt()
      .setExpirationTime(`${SESSION_TTL_SECONDS}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      const role = payload.role;
      if (!payload.sub || (role !== 'operator' && role !== 'supervisor')) return null;
      return { operatorId: payload.sub, role };
    } catch {
      return null;
    }
  }
}

/**
 * The signing secret: SESSION_SECRET when given, otherwise one generated once and kept in the
 * database, so every replica on the same database and every restart agree.
 */
export async function sessionSecret(db: Database, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const candidate = randomBytes(32).toString('base64url');
  await db('settings').insert({ key: 'session_secret', value: candidate }).onConflict('key').ignore();
  const row = await db('settings').where({ key: 'session_secret' }).first<{ value: string }>();
  return row!.value;
}
