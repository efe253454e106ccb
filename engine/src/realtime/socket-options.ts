import type { Server, ServerOptions } from 'socket.io';
import { SOCKET_FRAME_LIMIT_BYTES } from './ack-handler';

/**
 * The engine's socket.io server options, chosen for memory per idle socket (docs/capacity.md):
 * no per-message deflate (a zlib context per socket costs more than the small frames save), no
 * HTTP compression of polling frames, and frames up to the app's own limit (a larger payload is
 * read and answered with bad_request rather than cut; ws gets it as `maxPayload`, a bound, not a
 * buffer an idle socket holds). Connection-state recovery stays off (socket.io's default): it
 * would keep each closed socket's session and missed packets for minutes, and the Redis pub/sub
 * adapter does not support it.
 */
export function socketServerOptions(options: { cors: ServerOptions['cors'] }): Partial<ServerOptions> {
  return {
    cors: options.cors,
    serveClient: false,
    maxHttpBufferSize: SOCKET_FRAME_LIMIT_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
  };
}

/**
 * Lets go of each connection's upgrade request once socket.io has read it into `socket.handshake`
 * (headers, address, query: all the engine uses later): an idle socket then keeps no
 * IncomingMessage with its raw headers (socket.io's memory-usage advice, applied after the
 * middlewares so they still see the headers).
 */
export function releaseHandshakeRequests(io: Server) {
  for (const name of ['/visitor', '/operator']) {
    io.of(name).on('connection', (socket) => {
      const conn: { request: unknown } = socket.conn;
      conn.request = null;
    });
  }
}
