import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { coalesceWritesPerTick } from '../../src/realtime/coalesced-writes';
import { socketServerOptions } from '../../src/realtime/socket-options';

/** engine.io's connection as far as these tests watch it: the upgrade's probe transport. */
interface UpgradingConnection {
  once(event: 'upgrading', listener: (transport: PacketSource) => void): void;
}
interface PacketSource {
  prependListener(event: 'packet', listener: (packet: { type: string }) => void): void;
}

/**
 * Frames of one tick leave together (realtime/coalesced-writes.ts), and nothing the engine sends is
 * lost or reordered for it: the last event before a server-side disconnect arrives, on every transport
 * and while the client upgrades from polling to websocket.
 */
describe('socket writes coalesced per tick (real socket.io server and client)', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  const clients: ClientSocket[] = [];

  beforeEach(async () => {
    http = createServer();
    io = new Server(http, socketServerOptions({ cors: undefined }));
    coalesceWritesPerTick(io);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await io.close();
  });

  function client(transports: string[]) {
    const socket = connect(url, { transports, reconnection: false });
    clients.push(socket);
    const finals: string[] = [];
    socket.on('final', (text: string) => finals.push(text));
    const disconnected = new Promise<string>((resolve) => socket.on('disconnect', resolve));
    return { socket, finals, disconnected };
  }

  it('when the server emits a last event and disconnects while the client upgrades to websocket, then the event arrives and the client is told the server disconnected it', async () => {
    for (let run = 0; run < 3; run++) {
      io.removeAllListeners('connection');
      io.on('connection', (socket) => {
        // The client's upgrade packet: polling is paused, so the event waits in the buffer.
        const conn: UpgradingConnection = socket.conn;
        conn.once('upgrading', (probe) =>
          probe.prependListener('packet', (packet) => {
            if (packet.type !== 'upgrade') return;
            socket.emit('final', 'bye');
            socket.disconnect(true);
          }),
        );
      });
      const { finals, disconnected } = client(['polling', 'websocket']);
      expect(await disconnected).to.equal('io server disconnect');
      expect(finals).to.deep.equal(['bye']);
    }
  });

  for (const transports of [['websocket'], ['polling']]) {
    it(`when frames and acks are queued in one tick (${transports[0]}), then all arrive in order and all acks come back; a last event before disconnect(true) arrives`, async () => {
      let acked = 0;
      io.on('connection', (socket) => {
        socket.on('go', () => {
          for (let i = 0; i < 200; i++) socket.emit('n', i, () => acked++);
        });
        socket.on('kick', () => {
          socket.emit('final', 'bye');
          socket.disconnect(true);
        });
      });
      const { socket, finals, disconnected } = client(transports);
      const seen: number[] = [];
      const all = new Promise<void>((resolve) =>
        socket.on('n', (i: number, ack: () => void) => {
          seen.push(i);
          ack();
          if (seen.length === 200) resolve();
        }),
      );
      await new Promise<void>((resolve) => socket.on('connect', resolve));
      socket.emit('go');
      await all;
      expect(seen).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
      for (let wait = 0; acked < 200 && wait < 100; wait++) await new Promise((r) => setTimeout(r, 10));
      expect(acked).to.equal(200);
      socket.emit('kick');
      expect(await disconnected).to.equal('io server disconnect');
      expect(finals).to.deep.equal(['bye']);
    });
  }
});
