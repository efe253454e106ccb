/**
 * Many waiting visitors in a process of their own (bench/fanout.ts starts it with IPC), so the
 * engine's process pays only the server's side of their sockets. Each socket keeps what the widget
 * shows: the last `queue:position` pushed to it. It tells the parent when all are connected and when
 * all have been told a value; per move (between `mark` and the `expect`ed number of visitors whose
 * shown value changed) when the last of them changed (`at`: ms on performance.timeOrigin's clock,
 * shared by the processes of a machine), and how many pushes came, changed or not.
 *
 * argv: engine url, a JSON file of `{ token, dialogId }[]`, connection concurrency.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'socket.io-client';
import type { QueuePositionView } from '@hotline/protocol';
import { socketTo } from './open-loop';

const [url = '', file = '', concurrencyArg = '100'] = process.argv.slice(2);
const visitors = JSON.parse(readFileSync(file, 'utf8')) as { token: string; dialogId: string }[];
const send = (message: unknown) => process.send?.(message);
const now = () => performance.timeOrigin + performance.now();

const shown = new Map<string, QueuePositionView>();
const sockets: Socket[] = [];
let counts = { pushes: 0, changed: 0, expected: Number.POSITIVE_INFINITY };

function follow(socket: Socket, dialogId: string) {
  socket.on('queue:position', (position: QueuePositionView) => {
    if (position.dialogId !== dialogId) return;
    const before = shown.get(dialogId);
    shown.set(dialogId, position);
    counts.pushes += 1;
    if (!before) {
      if (shown.size === visitors.length) send({ type: 'synced' });
      return;
    }
    if (before.position === position.position && before.exact === position.exact) return;
    counts.changed += 1;
    if (counts.changed === counts.expected) send({ type: 'applied', at: now() });
  });
}

/** One visitor's socket, connected; a refused or reset handshake (a busy engine) is tried again. */
async function connect(token: string, dialogId: string): Promise<Socket> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Followed before the connect resolves: a push read with the handshake's reply would be lost.
      const socket = await socketTo(url, 'visitor', { siteId: 'demo', visitorToken: token }, (s) =>
        follow(s, dialogId),
      );
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

process.on('message', (message: { type: string; expected?: number }) => {
  if (message.type === 'mark') {
    counts = { pushes: 0, changed: 0, expected: message.expected ?? Number.POSITIVE_INFINITY };
    send({ type: 'marked' });
  }
  if (message.type === 'counts') send({ type: 'counts', pushes: counts.pushes, changed: counts.changed });
  if (message.type === 'positions')
    send({
      type: 'positions',
      positions: Object.fromEntries(
        [...shown].map(([id, p]) => [id, { position: p.position, exact: p.exact }]),
      ),
    });
  if (message.type === 'close') {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
});
