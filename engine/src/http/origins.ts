import type { IncomingHttpHeaders } from 'node:http';
import type { Site } from '@hotline/routing-rules';
import type { RequestHandler } from 'express';
import type { ServerOptions, Socket } from 'socket.io';
import { SESSION_COOKIE } from '../accounts/sessions';
import { AppError } from '../errors';

/** The origin a browser names (`Origin`, or for a write without it the `Referer`'s origin). */
function originOf(headers: IncomingHttpHeaders, orReferer = false): string | undefined {
  const origin = headers.origin;
  if (origin) return origin;
  if (!orReferer || !headers.referer) return undefined;
  try {
    return new URL(headers.referer).origin;
  } catch {
    return 'null';
  }
}

const hostOf = (origin: string): string | null => {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
};

/**
 * Which pages may talk to the engine. The console and `/operator` belong to the engine's own origin:
 * `PUBLIC_URL`'s, or, when it is unset (development), the host the request was sent to (a same-origin
 * check). The widget (`/visitor`, the site endpoint) is used from a site's `origins`; an empty or
 * absent list accepts any origin, and the engine's own origin (its demo page) is always accepted.
 * A request without `Origin` is not a cross-site browser request (non-browser clients, same-origin
 * GETs) and is let through, except a cookie-authenticated write (see guardConsoleApi).
 */
export class OriginPolicy {
  private readonly publicOrigin: string | null;

  constructor(
    publicUrl: string | undefined,
    private readonly sites: () => readonly Site[],
  ) {
    this.publicOrigin = publicUrl ? new URL(publicUrl).origin : null;
  }

  isOwn(origin: string, host: string | undefined): boolean {
    if (this.publicOrigin) return origin === this.publicOrigin;
    return host !== undefined && hostOf(origin) === host;
  }

  /** Whether a page at `origin` may run site `siteId`'s widget; an unknown site is left to the site checks. */
  siteAccepts(siteId: string, origin: string, host: string | undefined): boolean {
    if (this.isOwn(origin, host)) return true;
    const site = this.sites().find((s) => s.id === siteId);
    return !site?.origins?.length || site.origins.includes(origin);
  }

  /** Whether a page at `origin` may use the widget of some site (or is the engine's own). */
  acceptsWidget(origin: string, host: string | undefined): boolean {
    return this.isOwn(origin, host) || this.sites().some((s) => this.siteAccepts(s.id, origin, host));
  }

  /** Sites that take the widget from anywhere, warned about at start. */
  openSites(): string[] {
    return this.sites()
      .filter((s) => !s.origins?.length)
      .map((s) => s.id);
  }

  /**
   * CORS for socket.io's HTTP transport, where the namespace is not known yet: the own origin with
   * credentials, an origin some site accepts without them (the widget sends none), nobody else.
   */
  socketCors(): ServerOptions['cors'] {
    return (req, callback) => {
      const origin = req.headers.origin;
      let options: { origin: boolean; credentials?: boolean } = { origin: false };
      if (origin && this.isOwn(origin, req.headers.host)) options = { origin: true, credentials: true };
      else if (origin && this.acceptsWidget(origin, req.headers.host)) options = { origin: true };
      callback(null, options);
    };
  }
}

const forbiddenOrigin = () => new AppError('forbidden', 'this origin may not use this endpoint', 'origin');

/** The handshake error socket.io clients see as `connect_error` with `data`. */
const socketRefusal = () =>
  Object.assign(new Error('origin not allowed'), { data: { code: 'forbidden', field: 'origin' } });

const SITE_WIDGET_PATH = /^\/api\/sites\/([^/]+)\/widget$/;

/**
 * REST: the site endpoint only from the site's origins (with CORS for them, as the widget runs on
 * their pages); the rest of /api only from the engine's own origin. A write authenticated by the
 * session cookie must name the own origin in `Origin` or `Referer` (CSRF: the cookie travels with
 * requests other sites make); a Bearer token is never sent by the browser on its own, so it needs none.
 */
export function guardOrigins(policy: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    if (!req.path.startsWith('/api/')) return next();
    const host = req.headers.host;
    const site = SITE_WIDGET_PATH.exec(req.path);
    if (site) {
      const origin = req.headers.origin;
      res.vary('Origin');
      if (!origin) return next();
      if (!policy.siteAccepts(decodeURIComponent(site[1]!), origin, host)) return next(forbiddenOrigin());
      res.setHeader('Access-Control-Allow-Origin', origin);
      return next();
    }
    const origin = originOf(req.headers);
    if (origin && !policy.isOwn(origin, host)) return next(forbiddenOrigin());
    if (isCookieAuthenticatedWrite(req.method, req.headers)) {
      const claimed = originOf(req.headers, true);
      if (!claimed || !policy.isOwn(claimed, host)) return next(forbiddenOrigin());
    }
    next();
  };
}

function isCookieAuthenticatedWrite(method: string, headers: IncomingHttpHeaders): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (headers.authorization?.startsWith('Bearer ')) return false;
  return headers.cookie?.split(';').some((part) => part.trim().startsWith(`${SESSION_COOKIE}=`)) ?? false;
}

/** `/visitor` handshakes only from the site's origins (siteId from the handshake auth). */
export function visitorOriginCheck(policy: OriginPolicy) {
  return (socket: Socket, next: (error?: Error) => void) => {
    const origin = socket.handshake.headers.origin;
    const siteId = (socket.handshake.auth as { siteId?: unknown } | undefined)?.siteId;
    // Without a siteId the namespace's own check answers bad_request.
    if (!origin || typeof siteId !== 'string') return next();
    next(policy.siteAccepts(siteId, origin, socket.handshake.headers.host) ? undefined : socketRefusal());
  };
}

/** `/operator` handshakes only from the engine's own origin. */
export function operatorOriginCheck(policy: OriginPolicy) {
  return (socket: Socket, next: (error?: Error) => void) => {
    const origin = socket.handshake.headers.origin;
    next(!origin || policy.isOwn(origin, socket.handshake.headers.host) ? undefined : socketRefusal());
  };
}
