import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { z } from 'zod';
import type { AuthService, OperatorSession } from '../accounts/auth-service';
import type { Operator } from '../accounts/operator-repository';
import { SESSION_COOKIE } from '../accounts/sessions';
import { AppError, forbidden, fromZodIssues, RateLimitedError, toAppError } from '../errors';
import { type Logger, whileHandling } from '../logger';
import { requestParsingError } from './request-guards';

declare module 'express-serve-static-core' {
  interface Request {
    operator?: Operator;
    /** The session that authenticated this request (its id names the `operator_sessions` row). */
    operatorSession?: OperatorSession;
  }
}

/** Parses with a zod schema at the edge; a failure becomes a 400 naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodIssues(result.error.issues);
  return result.data;
}

export function bearerOrCookie(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const cookies = (req as Request & { cookies?: Record<string, string> }).cookies;
  return cookies?.[SESSION_COOKIE];
}

export function requireOperator(auth: AuthService, role?: 'supervisor'): RequestHandler {
  return async (req, _res, next) => {
    try {
      const session = await auth.authenticate(bearerOrCookie(req));
      if (!session) throw new AppError('unauthorized', 'log in first');
      if (role === 'supervisor' && session.role !== 'supervisor') throw forbidden('supervisor role required');
      req.operator = session.operator;
      req.operatorSession = session;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** A request id on every request: a client's `X-Request-Id` (if short and plain) or a new one, echoed back. */
function requestId(req: { headers: Record<string, string | string[] | undefined> }, res: Response): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * pino-http: `req.log` is a child logger carrying the request id (`reqId`), so every line logged while
 * handling a request names it; one line per response (debug when it succeeded, warn/error otherwise).
 */
export function requestLogging(logger: Logger): RequestHandler {
  const logging = pinoHttp({
    logger,
    genReqId: (req, res) => requestId(req, res as Response),
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug',
    // Cookies and tokens stay out of the logs.
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  // The rest of the request's handling runs with its id, so lines logged by services carry it too.
  return (req, res, next) => logging(req, res, () => whileHandling({ reqId: String(req.id) }, next));
}

export function errorMiddleware(fallback: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const logger = req.log ?? fallback;
    // express refuses bodies (too large: 413, malformed: 400) and broken path escapes with a status: the client's mistake.
    const parser = requestParsingError(error);
    const appError = parser?.appError ?? toAppError(error);
    if (appError.code === 'internal') logger.error({ err: error, path: req.path }, 'request failed');
    else if (appError.code === 'unavailable')
      logger.warn({ err: error, path: req.path }, 'storage unavailable');
    if (appError instanceof RateLimitedError)
      res.set('Retry-After', String(Math.ceil(appError.retryAfterMs / 1000)));
    res.status(parser?.status ?? appError.status).json({ error: appError.toBody() });
  };
}
