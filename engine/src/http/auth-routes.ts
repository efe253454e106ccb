import { Router } from 'express';
import { z } from 'zod';
import type { AuthService } from '../accounts/auth-service';
import { SESSION_COOKIE } from '../accounts/sessions';
import { plainString } from '../protocol/events';
import { parse, requireOperator } from './middleware';

const LoginSchema = z.object({ email: plainString().trim().min(1, 'required').max(254), password: z.string().min(1, 'required').max(200) });

export function authRoutes(auth: AuthService, sessionTtlSeconds: number): Router {
  const router = Router();

  router.post('/api/auth/login', async (req, res) => {
    const { email, password } = parse(LoginSchema, req.body);
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
