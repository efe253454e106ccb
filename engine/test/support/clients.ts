import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { DEMO_PASSWORD } from '../../src/accounts/seed';
import type {
  Ack,
  DialogDetail,
  OperatorClientToServer,
  OperatorServerToClient,
  VisitorClientToServer,
  VisitorServerToClient,
} from '@hotline/protocol';

export type VisitorSocket = Socket<VisitorServerToClient, VisitorClientToServer>;
export type OperatorSocket = Socket<OperatorServerToClient, OperatorClientToServer>;

const sockets: Socket[] = [];

/** Closes every socket a test opened. */
export function closeAllSockets() {
  for (const socket of sockets.splice(0)) socket.close();
}

export async function connectVisitor(
  url: string,
  auth: { siteId?: string; visitorToken?: string } = {},
): Promise<VisitorSocket> {
  const socket: VisitorSocket = io(`${url}/visitor`, {
    auth: { siteId: 'demo', ...auth },
    transports: ['websocket'],
    forceNew: true,
  });
  sockets.push(socket);
  await connected(socket);
  return socket;
}

export async function login(url: string, email: string, password = DEMO_PASSWORD): Promise<string> {
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`login ${email} failed: ${response.status}`);
  return ((await response.json()) as { data: { token: string } }).data.token;
}

export async function connectOperator(
  url: string,
  email: string,
  password = DEMO_PASSWORD,
): Promise<OperatorSocket> {
  const token = await login(url, email, password);
  const socket: OperatorSocket = io(`${url}/operator`, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
  });
  sockets.push(socket);
  await connected(socket);
  return socket;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/** Emits and resolves with the ack's data; rejects with the ack's error. */
export function call<T>(socket: Socket, event: string, payload: unknown = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.timeout(15_000).emit(event, payload, (err: Error | null, response: Ack<T>) => {
      if (err) return reject(err);
      if ('error' in response)
        return reject(Object.assign(new Error(response.error.message), response.error));
      resolve(response.data);
    });
  });
}

/** Emits and resolves with the raw ack (to assert on errors). */
export function callRaw<T>(socket: Socket, event: string, payload: unknown = {}): Promise<Ack<T>> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(15_000)
      .emit(event, payload, (err: Error | null, response: Ack<T>) => (err ? reject(err) : resolve(response)));
  });
}

/** Waits for the next push of `event` that satisfies `match`. */
export function next<T>(
  socket: Socket,
  event: string,
  match: (payload: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

export const clientId = () => randomUUID();

export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'condition',
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every push of `event` the socket receives from now on, in order. */
export function collect<T>(socket: Socket, event: string): T[] {
  const received: T[] = [];
  socket.on(event, (payload: T) => received.push(payload));
  return received;
}

/** A `dialog:start` payload: a chat to `groupId` with a first message. */
export const chatStart = (groupId: string, body = 'Hello, I need help') => ({
  choice: { groupId },
  page: { url: 'http://shop.test/' },
  message: { clientMessageId: clientId(), body },
});

/**
 * The operator online on `url` and holding `count` new dialogs of `groupId` (at his limit, the next
 * dialogs of the group queue); `held` keeps receiving his later assignments.
 */
export async function fillOperator(url: string, email: string, groupId: string, count: number) {
  const operator = await connectOperator(url, email);
  await call(operator, 'presence:set', { status: 'online' });
  const held: DialogDetail[] = [];
  operator.on('dialog:assigned', (d) => held.push(d));
  for (let i = 0; i < count; i++) await call(await connectVisitor(url), 'dialog:start', chatStart(groupId));
  await eventually(() => held.length === count, 10_000, `${email} to hold ${count} dialogs`);
  return { operator, held };
}
