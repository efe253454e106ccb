import { create as contentDisposition } from 'content-disposition';
import { type Request, type Response, Router } from 'express';
import type { AttachmentService } from '../attachments/attachment-service';
import { AppError } from '../errors';
import type { OriginPolicy } from './origins';
import { uuidParam } from './request-guards';

/** Bytes of a refused upload still read (and dropped) so the client gets the answer; past this the connection is cut. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

const forbiddenOrigin = () => new AppError('forbidden', 'this origin may not use this endpoint', 'origin');

/**
 * Reads and drops the rest of a request body the engine will not use, up to a bound, so the client
 * (still sending) reads the answer rather than a reset; the connection stays usable.
 */
function drain(req: Request) {
  req.unpipe();
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.resume();
}

/**
 * Uploads and downloads of attachments (docs/protocol.md "Attachments"). Mounted before the JSON body
 * parser: an upload's body is the file, streamed, whatever its Content-Type. The widget calls them
 * from the customer's page, so they answer CORS for the sites' origins; each is authorized by its
 * signed token or link, never by a cookie.
 */
export function attachmentRoutes(attachments: AttachmentService, origins: OriginPolicy): Router {
  const router = Router();

  const allowOrigin = (req: Request, res: Response, siteId?: string) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (!origin) return;
    const accepted = siteId
      ? origins.siteAccepts(siteId, origin, req.headers.host)
      : origins.acceptsWidget(origin, req.headers.host);
    if (!accepted) throw forbiddenOrigin();
    res.setHeader('Access-Control-Allow-Origin', origin);
  };

  router.options('/api/attachments/:id/upload', (req, res) => {
    allowOrigin(req, res);
    res.setHeader('Access-Control-Allow-Methods', 'PUT, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  });

  router.put('/api/attachments/:id/upload', async (req, res) => {
    try {
      const id = uuidParam(req);
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      allowOrigin(req, res, await attachments.uploadSite(id, token));
      const view = await attachments.upload(id, token, req);
      res.status(201).json({ data: view });
    } catch (error) {
      drain(req);
      throw error;
    }
  });

  for (const variant of ['content', 'thumbnail'] as const) {
    router.get(`/api/attachments/:id/${variant}`, async (req, res) => {
      allowOrigin(req, res);
      const id = uuidParam(req);
      const exp = typeof req.query.exp === 'string' ? req.query.exp : '';
      const sig = typeof req.query.sig === 'string' ? req.query.sig : '';
      const download = await attachments.download(id, variant, exp, sig);
      if ('redirect' in download) {
        res.redirect(302, download.redirect);
        return;
      }
      res.setHeader('Content-Type', download.type);
      res.setHeader('Content-Length', String(download.size));
      res.setHeader(
        'Content-Disposition',
        contentDisposition(download.name, { type: download.inline ? 'inline' : 'attachment' }),
      );
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'private, max-age=300');
      // Nothing a file contains may run, even when opened on its own (an SVG, an HTML file).
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
      );
      download.body.on('error', () => res.destroy());
      download.body.pipe(res);
    });
  }

  return router;
}
