import { type CookieOptions, type Request, Router } from 'express';
import { z } from 'zod';
import type { AuthService } from '../accounts/auth-service';
import { OPERATOR_LOCALES, type OperatorRepository } from '../accounts/operator-repository';
import { passwordSchema } from '../accounts/passwords';
import { SESSION_COOKIE } from '../accounts/sessions';
import { notFound } from '../errors';
import { plainString } from '@hotline/protocol';
import { bearerOrCookie, parse, requireOperator } from './middleware';
import { uuidParam } from './request-guards';

const LoginSchema = z.object({
  email: plainString().trim().min(1, 'required').max(254),
  password: passwordSchema(1),
});
const MePatchSchema = z.strictObject({
  /** The console's language; null follows the browser's. */
  locale: z.enum(OPERATOR_LOCALES).nullable(),
});
const PasswordChangeSchema = z.object({
  currentPassword: passwordSchema(1),
  newPassword: passwordSchema(8),
  /** Keep the session that asks (the default); every other one is revoked either way. */
  keepThisSession: z.boolean().default(true),
});

/**
 * Login, logout, my sessions and my password. The session cookie is httpOnly and SameSite=Strict
 * (Secure on https), so the console keeps no token a script could read.
 */
export function authRoutes(
  auth: AuthService,
  operators: OperatorRepository,
  sessionTtlSeconds: number,
): Router {
  const router = Router();
  const signedIn = requireOperator(auth);
  const supervisor = requireOperator(auth, 'supervisor');
  const cookieOptions = (req: Request): CookieOptions => ({
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: '/',
  });

  router.post('/api/auth/login', async (req, res) => {
    const { email, password } = parse(LoginSchema, req.body);
    // req.ip honours TRUST_PROXY (express `trust proxy`), the same hops as http/client-address.ts.
    const { token, operator, sessionId, expiresAt } = await auth.login(
      email,
      password,
      req.ip ?? 'unknown',
      req.get('user-agent'),
    );
    res.cookie(SESSION_COOKIE, token, { ...cookieOptions(req), maxAge: sessionTtlSeconds * 1000 });
    // The token is for API clients (Bearer); the console uses the cookie alone.
    res.json({ data: { token, operator, sessionId, expiresAt: expiresAt.toISOString() } });
  });

  router.post('/api/auth/logout', async (req, res) => {
    const session = await auth.authenticate(bearerOrCookie(req));
    if (session) await auth.revokeOwn(session, session.sessionId, 'logout');
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.json({ data: null });
  });

  router.get('/api/auth/me', signedIn, (req, res) => {
    res.json({ data: req.operator });
  });

  router.patch('/api/auth/me', signedIn, async (req, res) => {
    const { locale } = parse(MePatchSchema, req.body);
    const updated = await operators.update(req.operator!.id, { locale });
    if (!updated) throw notFound('operator');
    res.json({ data: updated });
  });

  router.post('/api/auth/password', signedIn, async (req, res) => {
    const input = parse(PasswordChangeSchema, req.body);
    const revoked = await auth.changePassword(
      req.operatorSession!,
      input.currentPassword,
      input.newPassword,
      input.keepThisSession,
    );
    if (!input.keepThisSession) res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.json({ data: { revokedSessions: revoked } });
  });

  router.get('/api/auth/sessions', signedIn, async (req, res) => {
    res.json({ data: await auth.listSessions(req.operatorSession!) });
  });

  router.delete('/api/auth/sessions/:id', signedIn, async (req, res) => {
    const session = req.operatorSession!;
    const id = uuidParam(req, 'id');
    if (!(await auth.revokeOwn(session, id, 'revoked'))) throw notFound('session');
    if (id === session.sessionId) res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.json({ data: null });
  });

  // A supervisor signs another operator out everywhere (a lost laptop, a shared account).
  router.delete('/api/operators/:id/sessions', supervisor, async (req, res) => {
    const operatorId = uuidParam(req, 'id');
    if (!(await operators.findById(operatorId))) throw notFound('operator');
    const keep = operatorId === req.operatorSession!.operatorId ? req.operatorSession!.sessionId : undefined;
    res.json({ data: { revokedSessions: await auth.revokeAll(operatorId, 'revoked-by-supervisor', keep) } });
  });

  return router;
}
