import type { RequestHandler } from 'express';
import helmet, { contentSecurityPolicy } from 'helmet';

/** What every page of ours may do: its own scripts only, nothing inline, no plugins, not framed. */
const pageDirectives = (connectSrc: string[]) => ({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'https:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': connectSrc,
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
});

/**
 * Helmet's headers on every response (nosniff, Referrer-Policy strict-origin-when-cross-origin,
 * X-Frame-Options DENY, HSTS, COOP...) and a Content-Security-Policy per kind of response:
 * - the console: its own scripts and styles only; it talks to its own origin (REST and the socket,
 *   `ws(s)` of `PUBLIC_URL` named as well); it may not be framed (clickjacking);
 * - the demo shop: the same (the widget's stylesheet is a constructed one, which style-src does not
 *   block, so customers' pages with a strict policy can run it too);
 * - everything else (the API, redirects): `default-src 'none'`.
 * `/widget.js`, `/widget-phone.js` and the site endpoint are read by customers' pages, so their
 * Cross-Origin-Resource-Policy is cross-origin; the widget embeds no frame, so nothing of ours needs
 * `frame-ancestors` beyond 'none'.
 */
export function securityHeaders(publicUrl: string | undefined): RequestHandler {
  const socketOrigins = publicUrl
    ? [new URL(publicUrl)].map((u) => `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}`)
    : [];
  const base = helmet({
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xFrameOptions: { action: 'deny' },
  });
  const consolePolicy = contentSecurityPolicy({
    useDefaults: false,
    directives: pageDirectives(["'self'", ...socketOrigins]),
  });
  const demoPolicy = contentSecurityPolicy({ useDefaults: false, directives: pageDirectives(["'self'"]) });
  const nonePolicy = contentSecurityPolicy({
    useDefaults: false,
    directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
  });
  const isFor = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

  return (req, res, next) => {
    base(req, res, (error?: unknown) => {
      if (error) return next(error);
      const shared =
        /^\/widget(-phone)?\.js$/.test(req.path) || /^\/api\/sites\/[^/]+\/widget$/.test(req.path);
      res.setHeader('Cross-Origin-Resource-Policy', shared ? 'cross-origin' : 'same-origin');
      const policy = isFor(req.path, '/console')
        ? consolePolicy
        : isFor(req.path, '/demo')
          ? demoPolicy
          : nonePolicy;
      policy(req, res, next);
    });
  };
}
