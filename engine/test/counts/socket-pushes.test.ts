import { Socket as NetSocket } from 'node:net';
import { expect } from 'chai';
import type { Server } from 'socket.io';
import { Adapter } from 'socket.io-adapter';
import type { MessageView } from '@hotline/protocol';
import { call, clientId, connectVisitor, eventually, next } from '../support/clients';
import { countedEngine, startAssigned } from './counted-engine';

const OPERATORS = 10;
const MEASURED_DIALOGS = 3;
/** A gap longer than the longest debounce of a push (the dashboard's 500 ms). */
const QUIET_MS = 800;
/**
 * Payloads the engine encodes per routed dialog (room broadcasts, direct emits, acks): each is a
 * JSON.stringify and, for a broadcast, a pre-built WebSocket frame. It was 24, of which 7 (every
 * dialog:updated and message:new) to the supervisors' room with no supervisor in it. A start stored
 * assigned in one commit sends its first messages to the new holder as message:new too (as a transfer
 * note is, docs/protocol.md), where the queued start sent them to nobody and one more dialog:state: 18.
 */
const ENCODE_BUDGET = 18;
/** Frames written to sockets per routed dialog (one write each): acks and the pushes that reach someone. */
const WRITE_BUDGET = 18;
/**
 * Write calls on the engine's side of its clients' connections per routed dialog (each a write or
 * writev syscall, the costliest item of the engine's CPU profile on loopback). It was 21: one per frame
 * (ws writes each on its own), the visitor's 101 and open packet, his connect and his close. Frames
 * queued to one socket in one tick now leave together (realtime/coalesced-writes.ts): 9, one per
 * socket and change (start, message, close to the visitor and to the operator) and the handshake's 3.
 */
const SYSCALL_BUDGET = 9;

interface Tally {
  encodes: number;
  writes: number;
  /** write/writev calls on the engine's side of its clients' connections. */
  syscalls: number;
  byEvent: Record<string, number>;
}

type WriteFn = NetSocket['_write'];
type WritevFn = NonNullable<NetSocket['_writev']>;

/**
 * Counts, in this process (the engine runs in it), what socket.io encodes and writes: the adapter's
 * broadcast encoding, a socket's own packet encoding (acks, direct emits) and each frame handed to a
 * connection. The engine's acks are counted too: they answer the client's calls.
 */
class SocketCounter {
  private tally: Tally = { encodes: 0, writes: 0, syscalls: 0, byEvent: {} };
  private restore: (() => void) | null = null;
  lastAt = 0;

  start(io: Server, port: number) {
    // Patched on the prototypes: every namespace's adapter and every engine-side client.
    const adapter = Adapter.prototype as unknown as {
      _encode(packet: { data?: unknown[] }, opts: object): unknown;
    };
    const encode = adapter._encode;
    const counter = this;
    adapter._encode = function (this: unknown, packet, opts) {
      counter.count(packet);
      return encode.call(this, packet, opts);
    };
    const client = clientPrototype(io);
    const packet = client._packet;
    const write = client.writeToEngine;
    client._packet = function (this: unknown, p, opts) {
      if (!opts?.preEncoded) counter.count(p);
      return packet.call(this, p, opts);
    };
    client.writeToEngine = function (this: unknown, encoded, opts) {
      counter.tally.writes += Array.isArray(encoded) ? encoded.length : 1;
      counter.lastAt = Date.now();
      return write.call(this, encoded, opts);
    };
    // The engine's end of a client connection is a socket whose local port is the engine's.
    const net = NetSocket.prototype;
    const writeOne: WriteFn = net._write;
    const writeMany = net._writev as WritevFn;
    net._write = function (this: NetSocket, chunk, encoding, callback) {
      if (this.localPort === port) counter.tally.syscalls += 1;
      return writeOne.call(this, chunk, encoding, callback);
    };
    net._writev = function (this: NetSocket, chunks, callback) {
      if (this.localPort === port) counter.tally.syscalls += 1;
      return writeMany.call(this, chunks, callback);
    };
    this.restore = () => {
      adapter._encode = encode;
      client._packet = packet;
      client.writeToEngine = write;
      net._write = writeOne;
      net._writev = writeMany;
    };
  }

  stop() {
    this.restore?.();
    this.restore = null;
  }

  take(): Tally {
    const taken = this.tally;
    this.tally = { encodes: 0, writes: 0, syscalls: 0, byEvent: {} };
    return taken;
  }

  private count(packet: { data?: unknown[] }) {
    this.tally.encodes += 1;
    this.lastAt = Date.now();
    const name = typeof packet.data?.[0] === 'string' ? packet.data[0] : '(ack)';
    this.tally.byEvent[name] = (this.tally.byEvent[name] ?? 0) + 1;
  }
}

interface ClientPrototype {
  _packet(packet: { data?: unknown[] }, opts?: { preEncoded?: boolean }): void;
  writeToEngine(encoded: unknown, opts: object): void;
}

/** socket.io does not export its Client class: the prototype of a connected socket's client. */
function clientPrototype(io: Server): ClientPrototype {
  const socket = io.of('/operator').sockets.values().next().value;
  if (!socket) throw new Error('no operator socket to find the client class from');
  return Object.getPrototypeOf(socket.client) as ClientPrototype;
}

describe(`socket.io pushes per routed dialog (one node, ${OPERATORS} operators online, no supervisor)`, function () {
  this.timeout(180_000);
  const sockets = new SocketCounter();
  const { engine } = countedEngine({ operators: OPERATORS, clocks: {} });

  after(() => sockets.stop());

  async function quiet() {
    await engine().server.engine.assignments.idle();
    await eventually(() => Date.now() - sockets.lastAt >= QUIET_MS, 30_000, 'no push for a while');
  }

  /** start with a first message → assigned → one message → closed, as the Redis count routes it. */
  async function routeOneDialog(): Promise<Tally> {
    const { server, setup, operators } = engine();
    await quiet();
    sockets.take();
    const visitor = await connectVisitor(server.url);
    const { operator, dialog } = await startAssigned(visitor, { setup, operators });
    const reply = next<MessageView>(visitor, 'message:new', (m) => m.authorKind === 'operator');
    await call(operator, 'message:send', { dialogId: dialog.id, clientMessageId: clientId(), body: 'Hi' });
    await reply;
    await call(operator, 'dialog:close', { dialogId: dialog.id, outcome: 'resolved' });
    await eventually(async () => (await server.engine.repo.findDialog(dialog.id))?.state === 'closed');
    await quiet();
    visitor.close();
    return sockets.take();
  }

  it(`when a dialog is routed end to end, then the engine encodes at most ${ENCODE_BUDGET} payloads and writes at most ${WRITE_BUDGET} frames in at most ${SYSCALL_BUDGET} socket writes`, async () => {
    // Past the first node count (2 s): a lone node pushes locally, as the bench's engine does.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    sockets.start(engine().server.io, Number(new URL(engine().server.url).port));
    await routeOneDialog(); // warm-up
    const tallies: Tally[] = [];
    for (let i = 0; i < MEASURED_DIALOGS; i += 1) {
      const tally = await routeOneDialog();
      tallies.push(tally);
      console.log(
        `    dialog ${i + 1}: ${tally.encodes} payloads encoded, ${tally.writes} frames written in ${tally.syscalls} socket writes  ${JSON.stringify(tally.byEvent)}`,
      );
    }
    expect(Math.max(...tallies.map((t) => t.encodes))).to.be.at.most(ENCODE_BUDGET);
    expect(Math.max(...tallies.map((t) => t.writes))).to.be.at.most(WRITE_BUDGET);
    expect(Math.max(...tallies.map((t) => t.syscalls))).to.be.at.most(SYSCALL_BUDGET);
  });
});
