import { hash, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { z } from 'zod';

/**
 * argon2id (the package's default algorithm) with OWASP's baseline cost: 19 MiB, 2 passes, 1 lane.
 * The native addon hashes on libuv's thread pool, so a login never blocks the event loop.
 */
const ARGON2_COST = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2_COST.memoryCost},t=${ARGON2_COST.timeCost},p=${ARGON2_COST.parallelism}$`;

/**
 * argon2 hashes the whole password (bcrypt silently ignored everything past 72 bytes); the cap only
 * bounds the work one request can ask for.
 */
export const MAX_PASSWORD_BYTES = 1024;

/** A password field at the HTTP edge: `min` characters, at most MAX_PASSWORD_BYTES of UTF-8. */
export const passwordSchema = (min: number) =>
  z
    .string()
    .min(min, min > 1 ? `must be at least ${min} characters` : 'required')
    .refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES, {
      message: `must be at most ${MAX_PASSWORD_BYTES} bytes`,
    });

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2_COST);

/** Hashes written before argon2id (bcryptjs, `$2a$`/`$2b$`): still accepted, replaced at the next login. */
const isLegacyBcrypt = (stored: string) => /^\$2[aby]\$/.test(stored);

/**
 * Whether the password matches, and whether the stored hash should be replaced by a fresh argon2id one
 * (a legacy bcrypt hash, or argon2 with other costs than today's).
 */
export async function verifyPassword(
  password: string,
  stored: string,
): Promise<{ ok: boolean; rehash: boolean }> {
  if (isLegacyBcrypt(stored)) {
    // bcrypt only ever saw the first 72 bytes; the argon2id hash that replaces it takes all of them.
    const ok = await bcrypt.compare(password, stored);
    return { ok, rehash: ok };
  }
  const ok = await verify(stored, password).catch(() => false);
  return { ok, rehash: ok && !stored.startsWith(CURRENT_PREFIX) };
}

/** A hash to verify against when the account does not exist, so timing does not reveal which part was wrong. */
export const DUMMY_HASH = await hashPassword('not-a-real-password');
