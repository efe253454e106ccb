/**
 * The bench's baseline: the least a socket.io + Postgres server must do for the same durable work as
 * the engine, with the engine's event names and acknowledgement shape so one driver drives both.
 * - `dialog:start` picks the least-loaded operator with room (in memory), inserts the dialog and its
 *   first message in one transaction, acks, then emits `dialog:assigned` to the operator;
 * - the visitor's `message:send` inserts the message into his open dialog, acks, then emits it to the
 *   holder (`message:new`);
 * - the operator's `message:send` inserts the message and emits it to the visitor;
 * - the operator's `dialog:close` marks the dialog closed and tells the visitor (`dialog:state`).
 * No routing rules, no Redis, no state machine: a floor to measure the engine against.
 *
 * Run as its own process (its CPU is measured from /proc): `DATABASE_URL=… PORT=… node --import tsx
 * bench/minimal-server.ts`; it prints `ready <port>` once it listens.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import { Server, type Socket } from 'socket.io';
import { socketServerOptions } from '../engine/src/realtime/socket-options';

type Ack = (reply: { data: unknown } | { error: { code: string; message: string } }) => void;
interface Operator {
  id: string;
  limit: number;
  load: number;
}

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(`
  drop table if exists minimal_messages;
  drop table if exists minimal_dialogs;
  create table minimal_dialogs (
    id uuid primary key, visitor_id text not null, group_id text not null, operator_id text not null,
    state text not null, created_at timestamptz not null default now(), closed_at timestamptz);
  create table minimal_messages (
    id bigserial primary key, dialog_id uuid not null references minimal_dialogs(id),
    author text not null, body text not null, created_at timestamptz not null default now());
`);

const http = createServer();
const io = new Server(http, socketServerOptions({ cors: undefined }));
const operators = new Map<string, Operator>();
const visitorOf = new Map<string, string>();
const holderOf = new Map<string, Operator>();
/** A visitor's open dialog, by visitor id. */
const dialogOf = new Map<string, string>();

const insertMessage = (db: pg.Pool | pg.PoolClient, dialogId: string, author: string, body: string) =>
  db.query('insert into minimal_messages (dialog_id, author, body) values ($1, $2, $3)', [
    dialogId,
    author,
    body,
  ]);
const fail = (ack: Ack, code: string, message: string) => ack({ error: { code, message } });
const text = (value: unknown): string | null =>
  typeof value === 'string' && value.length > 0 ? value : null;

io.of('/operator').on('connection', (socket: Socket) => {
  const { operatorId, limit } = socket.handshake.auth as { operatorId?: unknown; limit?: unknown };
  const id = text(operatorId) ?? socket.id;
  const operator: Operator = { id, limit: typeof limit === 'number' ? limit : 5, load: 0 };
  operators.set(id, operator);
  void socket.join(`operator:${id}`);
  socket.on('disconnect', () => operators.delete(id));
  socket.on('message:send', async (payload: { dialogId?: unknown; body?: unknown }, ack: Ack) => {
    const dialogId = text(payload?.dialogId);
    const body = text(payload?.body);
    if (!dialogId || !body) return fail(ack, 'bad_request', 'dialogId and body');
    await insertMessage(pool, dialogId, 'operator', body);
    ack({ data: null });
    io.of('/visitor')
      .to(`visitor:${visitorOf.get(dialogId)}`)
      .emit('message:new', { dialogId, body });
  });
  socket.on('dialog:close', async (payload: { dialogId?: unknown }, ack: Ack) => {
    const dialogId = text(payload?.dialogId);
    if (!dialogId) return fail(ack, 'bad_request', 'dialogId');
    await pool.query("update minimal_dialogs set state = 'closed', closed_at = now() where id = $1", [
      dialogId,
    ]);
    const holder = holderOf.get(dialogId);
    if (holder) holder.load -= 1;
    holderOf.delete(dialogId);
    ack({ data: null });
    io.of('/visitor')
      .to(`visitor:${visitorOf.get(dialogId)}`)
      .emit('dialog:state', { dialogId, state: 'closed' });
    dialogOf.delete(visitorOf.get(dialogId) ?? '');
    visitorOf.delete(dialogId);
  });
});

io.of('/visitor').on('connection', (socket: Socket) => {
  const visitorId = randomUUID();
  void socket.join(`visitor:${visitorId}`);
  socket.on(
    'dialog:start',
    async (payload: { choice?: { groupId?: unknown }; message?: { body?: unknown } }, ack: Ack) => {
      const groupId = text(payload?.choice?.groupId);
      const body = text(payload?.message?.body);
      if (!groupId || !body) return fail(ack, 'bad_request', 'choice.groupId and message.body');
      let chosen: Operator | undefined;
      for (const o of operators.values())
        if (o.load < o.limit && (!chosen || o.load < chosen.load)) chosen = o;
      if (!chosen) return fail(ack, 'no_operator', 'nobody has room');
      chosen.load += 1;
      const id = randomUUID();
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(
          "insert into minimal_dialogs (id, visitor_id, group_id, operator_id, state) values ($1, $2, $3, $4, 'assigned')",
          [id, visitorId, groupId, chosen.id],
        );
        await insertMessage(client, id, 'visitor', body);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        chosen.load -= 1;
        return fail(ack, 'failed', (error as Error).message);
      } finally {
        client.release();
      }
      visitorOf.set(id, visitorId);
      holderOf.set(id, chosen);
      dialogOf.set(visitorId, id);
      ack({ data: { id, state: 'assigned' } });
      io.of('/operator').to(`operator:${chosen.id}`).emit('dialog:assigned', { id, groupId, body });
    },
  );
  socket.on('message:send', async (payload: { clientMessageId?: unknown; body?: unknown }, ack: Ack) => {
    const clientMessageId = text(payload?.clientMessageId);
    const body = text(payload?.body);
    if (!clientMessageId || !body) return fail(ack, 'bad_request', 'clientMessageId and body');
    const dialogId = dialogOf.get(visitorId);
    const holder = dialogId === undefined ? undefined : holderOf.get(dialogId);
    if (!dialogId || !holder) return fail(ack, 'no_dialog', 'no open dialog');
    await insertMessage(pool, dialogId, 'visitor', body);
    const message = { dialogId, clientMessageId, authorKind: 'visitor', body };
    ack({ data: message });
    io.of('/operator').to(`operator:${holder.id}`).emit('message:new', message);
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = http.address();
  console.log(`ready ${typeof address === 'object' && address ? address.port : 0}`);
});
