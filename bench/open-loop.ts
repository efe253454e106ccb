/**
 * The open-loop driver the e2e bench runs against the engine and against the minimal server alike:
 * dialogs arrive at a fixed rate whatever the server's answers (a late server is not slowed down by
 * its own lateness, unlike a closed loop). Each dialog: a visitor starts it with a first message; once
 * it is assigned the visitor sends one more message; when the holder's socket has it, the operator
 * answers with one message and closes the dialog, and the visitor is free again.
 * Measured: start (the `dialog:start` emit) → the operator's `dialog:assigned`, and the visitor's
 * second message (its `message:send` emit) → the holder's `message:new` for it.
 */
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';

export interface DriverTarget {
  /** An operator socket, connected, with room for dialogs (online). */
  connectOperator(index: number): Promise<Socket>;
  /** A visitor socket, connected. */
  connectVisitor(): Promise<Socket>;
  groupId: string;
}

export interface StepResult {
  rate: number;
  seconds: number;
  arrivals: number;
  /** Dialogs assigned within the step and its drain. */
  assigned: number;
  errors: number;
  /** First error messages, for the log. */
  errorSamples: string[];
  p50: number;
  p99: number;
  /** Visitor messages that reached the holder within the step and its drain. */
  delivered: number;
  /** Visitor message → the holder's `message:new`, ms. */
  messageP50: number;
  messageP99: number;
}

const ACK_TIMEOUT_MS = 10_000;

/** A socket of a namespace, connected (websocket only, no reconnection: a bench counts, not heals). */
export function socketTo(
  url: string,
  namespace: string,
  auth: Record<string, unknown>,
  /** Listeners to attach before any event can arrive. */
  listen?: (socket: Socket) => void,
): Promise<Socket> {
  const socket = io(`${url}/${namespace}`, {
    auth,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  listen?.(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Visitor {
  socket: Socket;
  dialogId: string | null;
}

/** A visitor message on its way to the holder. */
interface InFlight {
  dialogId: string;
  holder: Socket;
  sentAt: number;
}

const EXTRA_MESSAGE = 'One more thing: the parcel number is 4711';

/** Operators and a pool of visitors against one target; `step` runs one arrival rate. */
export class OpenLoopDriver {
  private readonly operators: Socket[] = [];
  /** Free visitors, the longest free first. */
  private readonly idle: Visitor[] = [];
  private readonly visitors: Visitor[] = [];
  private readonly startedAt = new Map<string, number>();
  private readonly assignedAt = new Map<string, number>();
  /** Who holds an assigned dialog, until its visitor's message is sent. */
  private readonly holderOf = new Map<string, Socket>();
  private readonly visitorOf = new Map<string, Visitor>();
  /** By the visitor message's clientMessageId. */
  private readonly inFlight = new Map<string, InFlight>();
  private readonly deliveredIn = new Map<string, number>();
  /** Errors seen outside `step`'s own callbacks (a refused visitor message), taken by the running step. */
  private lateErrors: string[] = [];

  constructor(private readonly target: DriverTarget) {}

  async connect(operators: number, visitors: number): Promise<void> {
    for (let i = 0; i < operators; i++) {
      const socket = await this.target.connectOperator(i);
      socket.on('dialog:assigned', (dialog: { id: string }) => this.onAssigned(socket, dialog.id));
      socket.on('message:new', (message: { clientMessageId?: string | null }) =>
        this.onMessage(socket, message.clientMessageId ?? null),
      );
      this.operators.push(socket);
    }
    for (let i = 0; i < visitors; i++) await this.addVisitor();
  }

  private async addVisitor() {
    const visitor: Visitor = { socket: await this.target.connectVisitor(), dialogId: null };
    visitor.socket.on('dialog:state', (update: { dialogId: string; state: string }) => {
      if (update.dialogId !== visitor.dialogId || update.state !== 'closed') return;
      this.visitorOf.delete(update.dialogId);
      visitor.dialogId = null;
      this.idle.push(visitor);
    });
    this.visitors.push(visitor);
    this.idle.push(visitor);
  }

  private onAssigned(operator: Socket, dialogId: string) {
    if (this.assignedAt.has(dialogId)) return; // a repeated push: the first one counts, one message
    this.assignedAt.set(dialogId, performance.now());
    this.holderOf.set(dialogId, operator);
    // The start's ack may come after the assignment: then the ack sends the message.
    if (this.visitorOf.has(dialogId)) this.sendVisitorMessage(dialogId);
  }

  /** The visitor's second message, once his dialog is assigned and his start acknowledged. */
  private sendVisitorMessage(dialogId: string) {
    const visitor = this.visitorOf.get(dialogId);
    const holder = this.holderOf.get(dialogId);
    if (!visitor || !holder) return;
    this.holderOf.delete(dialogId);
    const clientMessageId = randomUUID();
    this.inFlight.set(clientMessageId, { dialogId, holder, sentAt: performance.now() });
    visitor.socket
      .timeout(ACK_TIMEOUT_MS)
      .emit(
        'message:send',
        { clientMessageId, body: EXTRA_MESSAGE },
        (err: Error | null, reply: { error?: { code: string; message: string } }) => {
          if (err || reply.error)
            this.lateErrors.push(
              `message:send: ${err ? err.message : `${reply.error?.code}: ${reply.error?.message}`}`,
            );
        },
      );
  }

  private onMessage(operator: Socket, clientMessageId: string | null) {
    const sent = clientMessageId === null ? undefined : this.inFlight.get(clientMessageId);
    // Only the holder's copy counts (a supervisor or another tab would see it too).
    if (!clientMessageId || !sent || sent.holder !== operator) return;
    this.inFlight.delete(clientMessageId);
    const { dialogId } = sent;
    this.deliveredIn.set(dialogId, performance.now() - sent.sentAt);
    // The operator's answer, then the close that frees the visitor (acks not awaited: open loop).
    operator.emit(
      'message:send',
      { dialogId, clientMessageId: randomUUID(), body: 'Hello, how can I help?' },
      () => {
        operator.emit('dialog:close', { dialogId }, () => undefined);
      },
    );
  }

  /** `rate` arrivals per second for `seconds`, then up to `drainMs` for the last assignments. */
  async step(rate: number, seconds: number, drainMs = 3_000): Promise<StepResult> {
    const arrivals = Math.max(1, Math.round(rate * seconds));
    const ids: string[] = [];
    const errorSamples: string[] = [];
    let errors = 0;
    let acked = 0;
    let emitted = 0;
    const error = (message: string) => {
      errors += 1;
      if (errorSamples.length < 3) errorSamples.push(message);
    };
    const arrive = () => {
      // The longest free visitor starts: each comes back only after all others did, as returning
      // visitors do, not one visitor starting every dialog (his operator's detail then reads up to
      // ten earlier dialogs of his, three reads each: docs/bench.md).
      const visitor = this.idle.shift();
      if (!visitor) return error('no idle visitor (the server is behind)');
      const t0 = performance.now();
      emitted += 1;
      visitor.dialogId = 'starting';
      visitor.socket.timeout(ACK_TIMEOUT_MS).emit(
        'dialog:start',
        {
          choice: { groupId: this.target.groupId },
          page: { url: 'http://shop.test/bench' },
          message: { clientMessageId: randomUUID(), body: 'Hello, I need help with my order' },
        },
        (err: Error | null, reply: { data?: { id: string }; error?: { code: string; message: string } }) => {
          acked += 1;
          if (err || !reply.data) {
            error(err ? err.message : `${reply.error?.code}: ${reply.error?.message}`);
            visitor.dialogId = null;
            this.idle.push(visitor);
            return;
          }
          visitor.dialogId = reply.data.id;
          this.visitorOf.set(reply.data.id, visitor);
          this.startedAt.set(reply.data.id, t0);
          ids.push(reply.data.id);
          if (this.assignedAt.has(reply.data.id)) this.sendVisitorMessage(reply.data.id);
        },
      );
    };
    const begin = performance.now();
    const interval = 1000 / rate;
    for (let sent = 0; sent < arrivals; ) {
      const due = Math.min(arrivals, Math.floor((performance.now() - begin) / interval) + 1);
      while (sent < due) {
        arrive();
        sent += 1;
      }
      if (sent < arrivals)
        await new Promise((r) => setTimeout(r, Math.max(0, begin + sent * interval - performance.now())));
    }
    const deadline = performance.now() + drainMs;
    while (performance.now() < deadline) {
      const done = acked >= emitted && ids.every((id) => this.deliveredIn.has(id));
      if (done) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const latencies: number[] = [];
    const messageLatencies: number[] = [];
    for (const id of ids) {
      const at = this.assignedAt.get(id);
      const delivered = this.deliveredIn.get(id);
      if (at === undefined) error('not assigned within the drain');
      else latencies.push(at - this.startedAt.get(id)!);
      if (delivered !== undefined) messageLatencies.push(delivered);
      else if (at !== undefined) error("the visitor's message did not reach the holder within the drain");
    }
    if (emitted > acked) error(`${emitted - acked} starts not acknowledged within the drain`);
    for (const late of this.lateErrors.splice(0)) error(late);
    latencies.sort((a, b) => a - b);
    messageLatencies.sort((a, b) => a - b);
    // Let the closes of this step settle before the next one starts.
    const settle = performance.now() + drainMs;
    while (this.idle.length < this.visitors.length && performance.now() < settle)
      await new Promise((r) => setTimeout(r, 20));
    return {
      rate,
      seconds,
      arrivals,
      assigned: latencies.length,
      errors,
      errorSamples,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      delivered: messageLatencies.length,
      messageP50: percentile(messageLatencies, 50),
      messageP99: percentile(messageLatencies, 99),
    };
  }

  close() {
    for (const socket of [...this.operators, ...this.visitors.map((v) => v.socket)]) socket.close();
  }
}
