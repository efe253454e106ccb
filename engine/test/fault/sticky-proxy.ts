import { createHash, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A small sticky reverse proxy for the fault test, as a k8s Service/Ingress with session affinity:
 * HTTP requests and WebSocket upgrades go to the backend chosen by the client's sticky key (query
 * `hl_sticky` (not `sid`: engine.io reads that as its session id), else the `hl_sticky` cookie, else one is issued as a cookie), by rendezvous hashing over the
 * live backends, so a dead backend moves only its own clients. A backend that refuses a connection is
 * marked down and the request fails over to the next live one; down backends are probed again.
 */
export interface StickyProxy {
  url: string;
  port: number;
  /** Replaces the backend list (`http://host:port`), e.g. after a node was replaced. */
  setBackends(urls: string[]): void;
  backends(): { url: string; up: boolean }[];
  stats: {
    requests: number;
    upgrades: number;
    failovers: number;
    noBackend: number;
    closedByBackend: number;
  };
  close(): Promise<void>;
}

interface Backend {
  url: string;
  host: string;
  port: number;
  up: boolean;
}

const STICKY_COOKIE = 'hl_sticky';

const toBackend = (url: string): Backend => {
  const u = new URL(url);
  return { url, host: u.hostname, port: Number(u.port), up: true };
};

function stickyKey(req: IncomingMessage): string | null {
  const query = new URL(req.url ?? '/', 'http://proxy').searchParams.get(STICKY_COOKIE);
  if (query) return query;
  const cookie = req.headers.cookie ?? '';
  const match = new RegExp(`(?:^|;\\s*)${STICKY_COOKIE}=([^;]+)`).exec(cookie);
  return match?.[1] ?? null;
}

const weight = (key: string, backend: Backend) =>
  createHash('sha1').update(`${key}|${backend.url}`).digest().readUInt32BE(0);

export async function startStickyProxy(
  initial: string[],
  options: { probeMs?: number } = {},
): Promise<StickyProxy> {
  let backends = initial.map(toBackend);
  const stats = { requests: 0, upgrades: 0, failovers: 0, noBackend: 0, closedByBackend: 0 };
  const open = new Set<Duplex>();

  /** Live backends in the client's preference order (rendezvous hashing). */
  const ranked = (key: string): Backend[] =>
    [...backends.filter((b) => b.up)].sort((a, b) => weight(key, b) - weight(key, a));

  const markDown = (backend: Backend) => {
    backend.up = false;
  };

  // Down backends come back when they accept a TCP connection again.
  const probe = setInterval(() => {
    for (const backend of backends) {
      if (backend.up) continue;
      const socket = connect(backend.port, backend.host);
      socket.once('connect', () => {
        backend.up = true;
        socket.destroy();
      });
      socket.once('error', () => socket.destroy());
    }
  }, options.probeMs ?? 500);
  probe.unref();

  const connectTo = (backend: Backend): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect(backend.port, backend.host);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', reject);
    });

  const handleHttp = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests += 1;
    let key = stickyKey(req);
    const issued = key === null;
    if (key === null) key = randomUUID();
    // Bodies are small JSON: buffered, so a refused request can be replayed on another backend.
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const candidates = ranked(key);
    for (const [i, backend] of candidates.entries()) {
      if (i > 0) stats.failovers += 1;
      const outcome = await new Promise<'done' | 'refused'>((resolve) => {
        const upstream = httpRequest(
          {
            host: backend.host,
            port: backend.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '' },
          },
          (response) => {
            const headers = { ...response.headers };
            if (issued) {
              const cookies = headers['set-cookie'] ?? [];
              headers['set-cookie'] = [...cookies, `${STICKY_COOKIE}=${key}; Path=/; HttpOnly`];
            }
            res.writeHead(response.statusCode ?? 502, headers);
            response.pipe(res);
            response.once('end', () => resolve('done'));
            response.once('error', () => resolve('done'));
          },
        );
        upstream.once('error', (error: NodeJS.ErrnoException) => {
          if (!res.headersSent && (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET')) {
            markDown(backend);
            resolve('refused');
          } else {
            res.destroy();
            resolve('done');
          }
        });
        upstream.end(body);
      });
      if (outcome === 'done') return;
    }
    stats.noBackend += 1;
    res.writeHead(502, { 'content-type': 'text/plain' }).end('no live backend');
  };

  const handleUpgrade = async (req: IncomingMessage, client: Duplex, head: Buffer) => {
    stats.upgrades += 1;
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    const key = stickyKey(req) ?? `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    for (const [i, backend] of ranked(key).entries()) {
      if (i > 0) stats.failovers += 1;
      let upstream: Socket;
      try {
        upstream = await connectTo(backend);
      } catch {
        markDown(backend);
        continue;
      }
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      open.add(upstream);
      upstream.once('close', () => open.delete(upstream));
      // The original request line and headers, then whatever the client already sent.
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let h = 0; h < req.rawHeaders.length; h += 2)
        lines.push(`${req.rawHeaders[h]}: ${req.rawHeaders[h + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.on('error', () => upstream.destroy());
      upstream.once('close', () => {
        stats.closedByBackend += 1;
        client.destroy();
      });
      client.once('close', () => upstream.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
      return;
    }
    stats.noBackend += 1;
    client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  };

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch(() => res.destroy());
  });
  server.on('upgrade', (req, socket, head) => {
    handleUpgrade(req, socket, head).catch(() => socket.destroy());
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    setBackends(urls) {
      const known = new Map(backends.map((b) => [b.url, b]));
      backends = urls.map((u) => known.get(u) ?? toBackend(u));
    },
    backends: () => backends.map((b) => ({ url: b.url, up: b.up })),
    async close() {
      clearInterval(probe);
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
