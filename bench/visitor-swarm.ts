/**
 * Many waiting visitors in a process of their own (bench/fanout.ts starts it with IPC), so the
 * engine's process pays only the server's side of their sockets. Each socket follows its position
 * as the widget does (exact `queue:position`, then `queue:moved` via applyQueueMove). It tells the
 * parent when all are connected, when all show an exact position, and, per queue revision, when
 * the last of them applied the move (`at`: ms on performance.timeOrigin's clock, shared by the
 * processes of a machine).
 *
 * argv: engine url, a JSON file of `{ token, dialogId }[]`, connection concurrency.
 */
import { readFileSync } from 'node:fs';
import { applyQueueMove } from '@hotline/client/queue-position';
import type { Socket } from 'socket.io-client';
import type { QueueMove, QueuePositionView } from '@hotline/protocol';
import { socketTo } from './open-loop';

const [url = '', file = '', concurrencyArg = '100'] = process.argv.slice(2);
const visitors = JSON.parse(readFileSync(file, 'utf8')) as { token: string; dialogId: string }[];
const send = (message: unknown) => process.send?.(message);
const now = () => performance.timeOrigin + performance.now();

const shown = new Map<string, QueuePositionView>();
const applied = new Map<number, number>();
const sockets: Socket[] = [];
let synced = 0;

function follow(socket: Socket, dialogId: string) {
  socket.on('queue:position', (position: QueuePositionView) => {
    if (position.dialogId !== dialogId) return;
    const first = !shown.get(dialogId)?.sync;
    shown.set(dialogId, position);
    if (first && position.sync && ++synced === visitors.length) send({ type: 'synced' });
  });
  socket.on('queue:moved', (move: QueueMove) => {
    const next = applyQueueMove(shown.get(dialogId) ?? null, move);
    if (!next) return;
    shown.set(dialogId, next);
    const count = (applied.get(move.rev) ?? 0) + 1;
    applied.set(move.rev, count);
    if (count === visitors.length) send({ type: 'applied', rev: move.rev, at: now() });
  });
}

/** One visitor's socket, connected; a refused or reset handshake (a busy engine) is tried again. */
async function connect(token: string, dialogId: string): Promise<Socket> {
  for (let attempt = 1; ; attempt++) {
    try {
      const socket = await socketTo(url, 'visitor', { siteId: 'demo', visitorToken: token });
      follow(socket, dialogId);
      return socket;
    } catch (error) {
      if (attempt === 5) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

let next = 0;
await Promise.all(
  Array.from({ length: Number(concurrencyArg) }, async () => {
    while (next < visitors.length) {
      const { token, dialogId } = visitors[next++]!;
      sockets.push(await connect(token, dialogId));
    }
  }),
);
send({ type: 'connected' });

process.on('message', (message: { type: string }) => {
  if (message.type === 'positions')
    send({ type: 'positions', positions: Object.fromEntries([...shown].map(([id, p]) => [id, p.position])) });
  if (message.type === 'close') {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
});
