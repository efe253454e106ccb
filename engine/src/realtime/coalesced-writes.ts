import type { IncomingMessage } from 'node:http';
import { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';

/** The parts of an engine.io connection this module uses: its (private) flush and its transport. */
interface Connection {
  flush(): void;
  readyState: string;
  transport: { name: string; socket?: { _socket?: unknown } };
}

/**
 * Sends what the engine writes to one connection within one tick in one write syscall.
 *
 * engine.io flushes each packet as it is queued, and ws writes each frame on its own (one writev per
 * frame); on loopback a write syscall also runs the receiver's TCP path, the largest single item of the
 * engine's CPU profile (docs/capacity.md). Here an open connection's flush waits for
 * process.nextTick (after the synchronous code that queued it; a frame queued after an await may
 * leave in a write of its own), then sends the whole buffer with the TCP socket corked, so its frames
 * leave in one writev. Frames keep their order and acks theirs (one buffer per connection);
 * backpressure is engine.io's. A connection no longer open flushes at once: engine.io closes the
 * transport right after its flush (an upgrade arriving while a disconnect waits), and a deferred
 * flush would then write to a closed websocket and lose the last frames (test:
 * engine/test/realtime/coalesced-writes.test.ts).
 */
export function coalesceWritesPerTick(io: Server) {
  // A websocket handshake accepted: its 101 and engine.io's open packet leave together when they are
  // written in one tick, as they are behind a middleware (the CORS one the engine always installs).
  io.engine.on('initial_headers', (_headers: unknown, request: IncomingMessage) => {
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') return;
    request.socket.cork();
    process.nextTick(() => request.socket.uncork());
  });
  io.engine.on('connection', (conn: Connection) => {
    const flush = conn.flush.bind(conn);
    let scheduled = false;
    conn.flush = () => {
      if (conn.readyState !== 'open') return flush();
      if (scheduled) return;
      scheduled = true;
      process.nextTick(() => {
        scheduled = false;
        const wire = tcpSocket(conn.transport);
        wire?.cork();
        try {
          flush();
        } finally {
          wire?.uncork();
        }
      });
    };
  });
}

/** The TCP socket under a websocket transport (ws keeps it as `_socket`); polling has none of its own. */
function tcpSocket(transport: Connection['transport']): NetSocket | null {
  const wire = transport.name === 'websocket' ? transport.socket?._socket : undefined;
  return wire instanceof NetSocket ? wire : null;
}
