import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  DialogDetail,
  DialogSummary,
  OperatorSelf,
  VisitorDialogView,
  VisitorSession,
} from '@hotline/protocol';
import type { OperatorSocket, VisitorSocket } from '../support/clients';
import { LOAD_PASSWORD, type LoadSetup, prepareLoad, random } from '../multinode/load-driver';

export type FaultSetup = LoadSetup;

/** Multinode's prepareLoad with groups nobody serves, so offline replies are due during the chaos. */
export function prepareFaultLoad(options: {
  dir: string;
  databaseUrl: string;
  schema: string;
  operators: number;
  staffedGroups: number;
  unstaffedGroups: number;
  seed: number;
}): Promise<FaultSetup> {
  const { staffedGroups, ...rest } = options;
  return prepareLoad({ ...rest, groups: staffedGroups });
}

/** Emits with an ack timeout; resolves the data, rejects with `{ code }` (an ack error, 'timeout' or 'disconnected'). */
export function callWithin<T>(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, response: Ack<T>) => {
      if (err)
        return reject(
          Object.assign(new Error(`${event}: no ack within ${timeoutMs} ms`), { code: 'timeout' }),
        );
      if ('error' in response)
        return reject(Object.assign(new Error(response.error.message), response.error));
      resolve(response.data);
    });
  });
}

export const errorCode = (error: unknown) =>
  String((error as { code?: unknown })?.code ?? (error as Error)?.message ?? 'unknown');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AckedDialog {
  dialogId: string;
  groupId: string;
  visitorToken: string;
  ackedAt: number;
  attempts: number;
}

interface OperatorClient {
  email: string;
  socket: OperatorSocket;
  held: Set<string>;
  reconnects: number;
}

/**
 * Visitors and operators through one URL (the proxy), tolerant of the chaos windows: a visitor's start
 * is retried with the same visitor token and clientMessageId (so a retry finds the dialog the first try
 * may have created, never a second one), operators reconnect and resync what they hold. Every failed
 * ack is counted under the chaos window it happened in.
 */
export class FaultLoad {
  window = 'warmup';
  readonly errors = new Map<string, Map<string, number>>();
  readonly acked = new Map<string, AckedDialog>();
  readonly stats = {
    requested: 0,
    givenUp: 0,
    retried: 0,
    closes: 0,
    transfers: 0,
    presenceFlips: 0,
    operatorReconnects: 0,
  };
  private readonly operators: OperatorClient[] = [];
  private readonly rng;
  private stopping = false;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: {
      url: string;
      setup: FaultSetup;
      seed: number;
      /** Share of dialogs sent to unstaffed groups. */
      unstaffedShare: number;
      ackTimeoutMs: number;
      /** A visitor keeps retrying his start this long before giving up (counted). */
      giveUpAfterMs: number;
    },
  ) {
    this.rng = random(options.seed + 7);
  }

  count(kind: string, error?: unknown) {
    const key = error === undefined ? kind : `${kind}:${errorCode(error)}`;
    const byWindow = this.errors.get(this.window) ?? new Map<string, number>();
    byWindow.set(key, (byWindow.get(key) ?? 0) + 1);
    this.errors.set(this.window, byWindow);
  }

  async login(email: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${this.options.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: LOAD_PASSWORD }),
      }).catch((error) => ({ ok: false, status: String(error) }) as const);
      if (response.ok)
        return ((await (response as Response).json()) as { data: { token: string } }).data.token;
      if (attempt > 20) throw new Error(`login ${email}: ${response.status}`);
      await sleep(500);
    }
  }

  /** Operators with a live socket right now (L4's "driver's connected operators"), by e-mail. */
  connectedEmails(): Set<string> {
    return new Set(this.operators.filter((o) => o.socket.connected).map((o) => o.email));
  }

  async connectOperators(onlineShare = 0.75) {
    for (const operator of this.options.setup.operators) {
      const token = await this.login(operator.email);
      const socket: OperatorSocket = io(`${this.options.url}/operator`, {
        auth: { token },
        query: { hl_sticky: operator.email },
        transports: ['websocket'],
        forceNew: true,
        reconnectionDelay: 200,
        reconnectionDelayMax: 1000,
      });
      const client: OperatorClient = { email: operator.email, socket, held: new Set(), reconnects: 0 };
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      socket.on('dialog:assigned', (dialog: DialogDetail) => client.held.add(dialog.id));
      socket.on('dialog:removed', ({ dialogId }) => client.held.delete(dialogId));
      socket.on('connect', () => {
        // A reconnect (the node behind the proxy died): what he holds may have changed meanwhile.
        client.reconnects += 1;
        this.stats.operatorReconnects += 1;
        void this.resync(client);
      });
      socket.on('connect_error', () => {
        // A refusal by the server's middleware is not retried by socket.io-client itself.
        if (!socket.active && !this.stopping) setTimeout(() => !this.stopping && socket.connect(), 500);
      });
      this.operators.push(client);
      if (this.rng.next() < onlineShare)
        await callWithin<OperatorSelf>(socket, 'presence:set', { status: 'online' }, 10_000);
    }
  }

  private async resync(client: OperatorClient) {
    try {
      const lists = await callWithin<{ mine: DialogSummary[] }>(
        client.socket,
        'dialogs:list',
        {},
        this.options.ackTimeoutMs,
      );
      client.held = new Set(
        lists.mine.filter((d) => d.state === 'assigned' || d.state === 'active').map((d) => d.id),
      );
    } catch (error) {
      this.count('operator:dialogs:list', error);
    }
  }

  /** One visitor: connect, learn his token, start; on failure retry as the same visitor. */
  async visitor(): Promise<void> {
    const { url, setup, ackTimeoutMs, giveUpAfterMs } = this.options;
    const groupId =
      this.rng.next() < this.options.unstaffedShare
        ? this.rng.pick(setup.unstaffed)
        : this.rng.pick(setup.staffed);
    const clientMessageId = crypto.randomUUID();
    const sid = crypto.randomUUID();
    let visitorToken: string | undefined;
    const began = Date.now();
    this.stats.requested += 1;
    for (let attempt = 1; ; attempt++) {
      const socket: VisitorSocket = io(`${url}/visitor`, {
        auth: { siteId: 'demo', ...(visitorToken ? { visitorToken } : {}) },
        query: { hl_sticky: sid },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: ackTimeoutMs,
      });
      try {
        // A node dying mid-handshake closes the transport without connect_error: bounded either way.
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(Object.assign(new Error('no connect'), { code: 'connect(timeout)' })),
            ackTimeoutMs,
          );
          const fail = (code: string) => {
            clearTimeout(timer);
            reject(Object.assign(new Error(code), { code }));
          };
          socket.once('connect', () => {
            clearTimeout(timer);
            resolve();
          });
          socket.once('connect_error', (error) => fail(`connect(${error.message})`));
          // On a middleware refusal the client closes ('forced close') just before connect_error: let that win.
          socket.io.once('close', (reason) => setImmediate(() => fail(`connect(${reason})`)));
        });
        if (!visitorToken)
          visitorToken = (await callWithin<VisitorSession>(socket, 'session:resume', {}, ackTimeoutMs))
            .visitorToken;
        const view = await callWithin<VisitorDialogView>(
          socket,
          'dialog:start',
          {
            choice: { groupId },
            page: { url: 'http://fault.test/' },
            message: { clientMessageId, body: 'hello' },
          },
          ackTimeoutMs,
        );
        this.acked.set(view.id, {
          dialogId: view.id,
          groupId,
          visitorToken,
          ackedAt: Date.now(),
          attempts: attempt,
        });
        if (attempt > 1) this.stats.retried += 1;
        return;
      } catch (error) {
        this.count('visitor', error);
        if (Date.now() - began > giveUpAfterMs || this.stopping) {
          this.stats.givenUp += 1;
          return;
        }
        await sleep(300 + this.rng.int(0, 500));
      } finally {
        socket.close();
      }
    }
  }

  /** One operator action: close or transfer something he holds, or change his presence. */
  async operatorAction(): Promise<void> {
    const busy = this.operators.filter((o) => o.held.size > 0 && o.socket.connected);
    const roll = this.rng.next();
    const { ackTimeoutMs } = this.options;
    if (roll < 0.75 && busy.length > 0) {
      const operator = this.rng.pick(busy);
      const dialogId = this.rng.pick([...operator.held]);
      operator.held.delete(dialogId);
      const transfer = roll > 0.62;
      try {
        if (transfer) {
          await callWithin(
            operator.socket,
            'dialog:transfer',
            { dialogId, toGroupId: this.rng.pick(this.options.setup.staffed) },
            ackTimeoutMs,
          );
          this.stats.transfers += 1;
        } else {
          await callWithin(operator.socket, 'dialog:close', { dialogId, outcome: 'resolved' }, ackTimeoutMs);
          this.stats.closes += 1;
        }
      } catch (error) {
        this.count(transfer ? 'operator:transfer' : 'operator:close', error);
      }
    } else if (roll >= 0.75) {
      const operator = this.rng.pick(this.operators);
      const status = this.rng.pick(['online', 'online', 'online', 'away', 'offline'] as const);
      try {
        await callWithin<OperatorSelf>(operator.socket, 'presence:set', { status }, ackTimeoutMs);
        this.stats.presenceFlips += 1;
      } catch (error) {
        this.count('operator:presence', error);
      }
    }
  }

  /**
   * Runs until `dialogs` visitors were started (at `arrivalsPerSecond`) and `keepGoing()` says stop;
   * operators act meanwhile.
   */
  async run(options: {
    dialogs: number;
    arrivalsPerSecond: number;
    operatorWorkers: number;
    keepGoing: () => boolean;
  }) {
    const arrivals = (async () => {
      const gap = 1000 / options.arrivalsPerSecond;
      let next = Date.now();
      while (this.stats.requested < options.dialogs || options.keepGoing()) {
        if (this.inFlight.size < 200) {
          const flow: Promise<void> = this.visitor().finally(() => this.inFlight.delete(flow));
          this.inFlight.add(flow);
        }
        next += gap;
        await sleep(Math.max(0, next - Date.now()));
      }
      await Promise.all(this.inFlight);
    })();
    let arrivalsDone = false;
    void arrivals.then(() => {
      arrivalsDone = true;
    });
    await Promise.all(
      Array.from({ length: options.operatorWorkers }, async () => {
        while (!arrivalsDone) {
          await this.operatorAction();
          await sleep(40);
        }
      }),
    );
    await arrivals;
  }

  /** Every operator's own view of what he holds, after the load (through the engine's dialogs:list). */
  async holdings(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const client of this.operators) {
      const lists = await callWithin<{ mine: DialogSummary[] }>(client.socket, 'dialogs:list', {}, 15_000);
      out.set(
        client.email,
        lists.mine.filter((d) => d.state === 'assigned' || d.state === 'active').map((d) => d.id),
      );
    }
    return out;
  }

  /** Puts every operator online, so that queues drain while settling. */
  async allOnline() {
    for (const client of this.operators)
      await callWithin(client.socket, 'presence:set', { status: 'online' }, 15_000).catch(() => undefined);
  }

  close() {
    this.stopping = true;
    for (const client of this.operators) client.socket.close();
  }
}
