import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OperatorClientToServer, OperatorRequests, OperatorServerToClient } from '@hotline/protocol';
import { expect } from 'chai';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { requester } from '../src/request';

// A real socket.io server on port 0 answering like the engine: data, an error, or (for one event) never.
describe('client typed request', () => {
  let server: Server<OperatorClientToServer, OperatorServerToClient>;
  let url = '';
  let socket: Socket<OperatorServerToClient, OperatorClientToServer> | null = null;
  const received: string[] = [];

  before(async () => {
    const http = createServer();
    server = new Server<OperatorClientToServer, OperatorServerToClient>(http);
    server.on('connection', (s) => {
      s.on('presence:set', (payload, ack) => {
        received.push(`presence:set ${payload.status}`);
        ack({
          data: {
            operatorId: 'o1',
            name: 'Anna',
            email: 'a@x',
            role: 'operator',
            status: payload.status,
            load: 0,
            limit: 3,
          },
        });
      });
      s.on('dialog:open', (payload, ack) => {
        received.push(`dialog:open ${payload.dialogId}`);
        ack({ error: { code: 'not_found', message: 'no such dialog', field: 'dialogId' } });
      });
      s.on('offer:decline', () => received.push('offer:decline (never answered)'));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  after(async () => {
    socket?.disconnect();
    await server.close();
  });

  const connect = async () => {
    const s: Socket<OperatorServerToClient, OperatorClientToServer> = io(url, { transports: ['websocket'] });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('connect_error', reject);
    });
    socket = s;
  };

  it('when not connected, then the request is not sent and is retryable', async () => {
    const ask = requester<OperatorRequests>(() => socket);
    const result = await ask('presence:set', { status: 'online' });
    expect(result).to.deep.include({ ok: false, retryable: true });
    expect(received).to.deep.equal([]);
  });

  it('when the engine acks data, then the data comes typed by the event name', async () => {
    await connect();
    const ask = requester<OperatorRequests>(() => socket);
    const result = await ask('presence:set', { status: 'away' });
    expect(result.ok).to.equal(true);
    if (result.ok) expect(result.data.status).to.equal('away');
    expect(received).to.deep.equal(['presence:set away']);
  });

  it('when the engine acks an error, then it is the engine’s answer (not retryable), field included', async () => {
    const ask = requester<OperatorRequests>(() => socket);
    const result = await ask('dialog:open', { dialogId: '00000000-0000-4000-8000-000000000000' });
    expect(result).to.deep.equal({
      ok: false,
      retryable: false,
      error: { code: 'not_found', message: 'no such dialog', field: 'dialogId' },
    });
  });

  it('when no ack comes in time, then the request is retryable', async () => {
    const ask = requester<OperatorRequests>(() => socket, 200);
    const result = await ask('offer:decline', { dialogId: '00000000-0000-4000-8000-000000000000' });
    expect(result).to.deep.include({ ok: false, retryable: true });
    expect(received).to.include('offer:decline (never answered)');
  });
});
