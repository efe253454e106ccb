import { Router } from 'express';

export interface ReadinessCheck {
  name: 'database' | 'routingStore';
  backend: string;
  check(): Promise<void>;
}

/** Liveness and readiness (each backend named with its kind); metrics have their own port (metrics-server.ts). */
export function healthRoutes(checks: ReadinessCheck[], isShuttingDown: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, backend, check }) => {
        try {
          await withTimeout(check(), 2000);
          return [name, { backend, ok: true }] as const;
        } catch (error) {
          return [
            name,
            { backend, ok: false, error: error instanceof Error ? error.message : String(error) },
          ] as const;
        }
      }),
    );
    const ready = !isShuttingDown() && results.every(([, r]) => r.ok);
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not-ready', ...Object.fromEntries(results) });
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
