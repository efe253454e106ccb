import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

const root = (relative: string) => fileURLToPath(new URL(`../../../${relative}`, import.meta.url));

/** The built widget, its demo shop and the operator console, served by the engine itself. */
export function staticRoutes(): Router {
  const router = Router();
  // The widget and its phone rule (loaded by the widget when a phone field shows).
  for (const name of ['widget.js', 'widget-phone.js']) {
    const file = root(`widget/dist/${name}`);
    router.get(`/${name}`, (_req, res) => {
      if (!existsSync(file)) {
        res.status(503).type('text/plain').send('widget is not built: run npm run build');
        return;
      }
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.sendFile(file);
    });
  }
  router.use('/demo', express.static(root('widget/demo'), { extensions: ['html'] }));
  const consoleDir = root('operator-ui/dist');
  router.use('/console', express.static(consoleDir, { index: 'index.html' }));
  // The console is a single-page app: unknown paths under /console get its index.
  router.get(/^\/console(\/.*)?$/, (_req, res) => {
    const index = `${consoleDir}/index.html`;
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('console is not built: run npm run build');
      return;
    }
    res.sendFile(index);
  });
  // Browsers ask for /favicon.ico on every page (console included): the demo shop's logo, served locally.
  router.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').sendFile(root('widget/demo/img/favicon.svg'));
  });
  router.get('/', (_req, res) => res.redirect('/demo'));
  return router;
}
