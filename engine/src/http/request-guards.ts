import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError, badRequest } from '../errors';
import { plainString } from '@hotline/protocol';

const UUID = z.uuid();
const CONFIG_ITEM_ID = plainString().min(1).max(64);
const VERSION = z.string().regex(/^[1-9][0-9]{0,8}$/);

/** A path id that must be a UUID: anything else is a 400 naming it, before Postgres sees it (a cast error there is a 500). */
export function uuidParam(req: Request, name = 'id'): string {
  const value = String(req.params[name]);
  if (!UUID.safeParse(value).success) throw badRequest(`${name}: must be an id (UUID)`, name);
  return value;
}

/** A routing-config item id in the path (a group, topic, region, site, rule id or an operator's e-mail). */
export function configItemParam(req: Request, name = 'id'): string {
  const value = String(req.params[name]);
  if (!CONFIG_ITEM_ID.safeParse(value).success)
    throw badRequest(`${name}: 1–64 characters, no control characters`, name);
  return value;
}

/** A config version number in the path. */
export function versionParam(req: Request, name = 'version'): number {
  const value = String(req.params[name]);
  if (!VERSION.safeParse(value).success) throw badRequest(`${name}: must be a positive whole number`, name);
  return Number(value);
}

/**
 * Where the first NUL byte of a parsed JSON body is (in a key or a string), as a dotted path; null
 * when there is none. Postgres refuses U+0000 in text and jsonb, so one would fail deep in a write.
 * Iterative: a body nested thousands of levels deep must not overflow the stack.
 */
export function nulBytePath(value: unknown): string | null {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path || 'body';
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        if (key.includes('\u0000')) return join(path, key.replaceAll('\u0000', '\\0'));
        stack.push({ value: child, path: join(path, key) });
      }
    }
  }
  return null;
}

/** Refuses a JSON body holding a NUL byte anywhere with 400 `bad_request` naming the field. */
export function refuseNulBytes(req: Request, _res: Response, next: NextFunction) {
  const path = nulBytePath(req.body);
  next(path === null ? undefined : badRequest(`${path}: must not contain NUL bytes`, path));
}

/**
 * Refusals express makes before a route runs, as the client's mistakes they are, never a 500: the
 * body parser's (too large: 413, malformed JSON: 400, unknown charset or encoding: 415; field
 * `body`) and the router's for a path segment that is not valid percent-encoding (400, field
 * `path`). Null for any other error.
 */
export function requestParsingError(error: unknown): { appError: AppError; status: number } | null {
  if (error instanceof AppError || error === null || typeof error !== 'object') return null;
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (error instanceof URIError)
    return {
      appError: new AppError('bad_request', 'malformed percent-encoding in the path', 'path'),
      status: 400,
    };
  if (typeof type !== 'string') return null;
  const message =
    status === 413
      ? 'request body too large'
      : status === 415
        ? 'unsupported body charset or encoding'
        : 'malformed JSON body';
  return { appError: new AppError('bad_request', message, 'body'), status };
}
