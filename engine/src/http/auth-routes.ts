import { Router } from 'express';
import { z } from 'zod';
import type { AuthService } from '../accounts/auth-service';
import { passwordSchema } from '../accounts/passwords';
import { SESSION_COOKIE } from '../accounts/sessions';
import { parse, requireOperator } from './middleware';

const LoginSchema = z.object({ email: z.string().trim().min(1, 'required').max(254), password: passwordSchema(1) });

export function authRoutes(auth: AuthService, sessionTtlSeconds: number): Router {
  const router = Router();

  router.post('/api/auth/login', async (req, res) => {
    const { email, password } = parse(LoginSchema, req.body);
    // req.ip honours TRUST_PROXY (express `trust proxy`), the same hops as http/client-address.ts.
    const { token, operator } = await auth.login(email, password, req.ip ?? 'unknown');
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: req.secure,
      maxAge: sessionTtlSeconds * 1000,
      path: '/',
    });
    res.json({ data: { token, operator } });
  });

  router.post('/api/auth/logout', (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.json({ data: null });
  });

  router.get('/api/auth/me', requireOperator(auth), (req, res) => {
    res.json({ data: req.operator });
  });

  return router;
}
