import { expect } from 'chai';
import { io } from 'socket.io-client';
import type { Ack, DialogSummary, VisitorDialogView, VisitorSession } from '@hotline/protocol';
import {
  call,
  chatStart,
  clientId,
  closeAllSockets,
  connectOperator,
  connectVisitor,
  eventually,
  fillOperator,
  login,
  type OperatorSocket,
} from '../support/clients';
import {
  type Backends,
  resetDialogs,
  TEST_ROUTING,
  type TestServer,
  withTestServer,
} from '../support/engine';

/**
 * The authorization matrix of docs/protocol.md, run: every operator event and REST route that
 * touches a dialog, a visitor or a lead, by every kind of caller. With routing-test.yaml: the lead
 * waits in `night` (dina's and anna's group), the held dialog is carl's in `support` (anna is in the
 * group, boris is not), the queued one waits in `sales` (anna's and boris's group) behind boris.
 */

type Target = 'lead' | 'held' | 'queued';
type Column =
  | 'visitor'
  | 'group'
  | 'outside'
  | 'holder'
  | 'supervisor'
  | 'deactivated'
  | 'demoted'
  | 'logged-out';
type Outcome = 'allow' | 'deny';
/** Expected per column; '—' where the column does not exist for the target (a lead has no holder). */
type Expected = Record<Column, Outcome | '—'>;

const COLUMNS: Column[] = [
  'visitor',
  'group',
  'outside',
  'holder',
  'supervisor',
  'deactivated',
  'demoted',
  'logged-out',
];
/** Who plays each column, per target (see the header comment). */
const PLAYERS: Record<Target, Partial<Record<Column, string>>> = {
  lead: { group: 'dina@example.com', outside: 'boris@example.com' },
  held: { group: 'anna@example.com', outside: 'boris@example.com', holder: 'carl@example.com' },
  queued: { group: 'anna@example.com', outside: 'dina@example.com' },
};
const SUPERVISOR = 'admin@example.com';
const DEACTIVATED = 'zed@example.com';
const DEMOTED = 'sue@example.com';
const PASSWORD = 'matrix-password';

interface Fixture {
  dialogId: string;
  visitorId: string;
}

interface Row {
  name: string;
  target: Target;
  /** Changes the dialog when allowed: the next cell gets a fresh one. */
  mutates: boolean;
  expected: Expected;
  /** 'allow' when the caller got what he asked for (or a refusal after the check: `conflict`). */
  run: (caller: Caller, fixture: Fixture) => Promise<Outcome>;
}

/** A REST token and (lazily) an operator socket; null socket when the handshake is refused. */
interface Caller {
  token: string;
  socket(): Promise<OperatorSocket | null>;
}

const rowOf = (codes: string, target: Target) => {
  const [visitor, group, outside, holder, supervisor, deactivated, demoted, loggedOut] = codes.split(' ') as (
    | Outcome
    | '—'
  )[];
  const expected = {
    visitor,
    group,
    outside,
    holder,
    supervisor,
    deactivated,
    demoted,
    'logged-out': loggedOut,
  } as Expected;
  if (!PLAYERS[target].holder) expect(holder, 'no holder column for this target').to.equal('—');
  return expected;
};

/** Denied means forbidden, unauthorized (also a refused handshake) or not found; anything else passed the check. */
function outcomeOf(ack: Ack<unknown>): Outcome {
  if ('data' in ack) return 'allow';
  if (ack.error.code === 'conflict') return 'allow';
  if (['forbidden', 'unauthorized', 'not_found'].includes(ack.error.code)) return 'deny';
  throw new Error(`unexpected ${ack.error.code}: ${ack.error.message}`);
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`authorization matrix (${backends})`, function () {
    this.timeout(180_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING }, (s) => {
      server = s;
    });

    async function rest(token: string, method: string, path: string, body?: unknown) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as Ack<unknown> };
    }

    const restOutcome = async (caller: Caller, path: string): Promise<Outcome> => {
      const { status, body } = await rest(caller.token, 'GET', path);
      expect(status, `${path}: ${JSON.stringify(body)}`).to.be.oneOf([200, 401, 403, 404]);
      return outcomeOf(body);
    };

    const socketOutcome = async (caller: Caller, event: string, payload: unknown): Promise<Outcome> => {
      const socket = await caller.socket();
      if (!socket) return 'deny';
      const ack = await new Promise<Ack<unknown>>((resolve, reject) =>
        socket
          .timeout(15_000)
          .emit(
            event as 'dialog:open',
            payload as { dialogId: string },
            (err: Error | null, response: Ack<unknown>) => (err ? reject(err) : resolve(response)),
          ),
      );
      return outcomeOf(ack);
    };

    const opened: OperatorSocket[] = [];
    const callerFor = (token: string): Caller => {
      let socket: Promise<OperatorSocket | null> | null = null;
      return {
        token,
        socket: () =>
          (socket ??= new Promise((resolve) => {
            const s: OperatorSocket = io(`${server.url}/operator`, {
              auth: { token },
              transports: ['websocket'],
              forceNew: true,
            });
            opened.push(s);
            s.once('connect', () => resolve(s));
            s.once('connect_error', () => {
              s.close();
              resolve(null);
            });
          })),
      };
    };

    async function freshLead(): Promise<Fixture> {
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('night', 'Call me back'));
      await call(visitor, 'contact:leave', { contact: '+7 916 123-45-67' });
      expect((await server.engine.repo.findDialog(view.id))?.state).to.equal('lead');
      return {
        dialogId: view.id,
        visitorId: (await call<VisitorSession>(visitor, 'session:resume')).visitorId,
      };
    }

    let carl: OperatorSocket | null = null;
    async function freshHeld(): Promise<Fixture> {
      carl ??= await connectOperator(server.url, 'carl@example.com');
      await call(carl, 'presence:set', { status: 'online' });
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support'));
      await eventually(
        async () => (await server.engine.repo.findDialog(view.id))?.state === 'assigned',
        10_000,
        'carl to hold it',
      );
      return {
        dialogId: view.id,
        visitorId: (await call<VisitorSession>(visitor, 'session:resume')).visitorId,
      };
    }

    let borisFull = false;
    async function freshQueued(): Promise<Fixture> {
      if (!borisFull) await fillOperator(server.url, 'boris@example.com', 'sales', 1);
      borisFull = true;
      const visitor = await connectVisitor(server.url);
      const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('sales'));
      expect(view.state).to.equal('queued');
      return {
        dialogId: view.id,
        visitorId: (await call<VisitorSession>(visitor, 'session:resume')).visitorId,
      };
    }

    const fresh: Record<Target, () => Promise<Fixture>> = {
      lead: freshLead,
      held: freshHeld,
      queued: freshQueued,
    };

    const read = (target: Target, codes: string): Row[] => [
      {
        name: `GET /api/dialogs/:id (${target})`,
        target,
        mutates: false,
        expected: rowOf(codes, target),
        run: (c, f) => restOutcome(c, `/api/dialogs/${f.dialogId}`),
      },
      {
        name: `GET /api/visitors/:id (${target})`,
        target,
        mutates: false,
        expected: rowOf(codes, target),
        run: (c, f) => restOutcome(c, `/api/visitors/${f.visitorId}`),
      },
      {
        name: `dialog:open (${target})`,
        target,
        mutates: false,
        expected: rowOf(codes, target),
        run: (c, f) => socketOutcome(c, 'dialog:open', { dialogId: f.dialogId }),
      },
    ];
    const event = (
      name: string,
      target: Target,
      mutates: boolean,
      codes: string,
      payload: (f: Fixture) => unknown,
    ): Row => ({
      name: `${name} (${target})`,
      target,
      mutates,
      expected: rowOf(codes, target),
      run: (c, f) => socketOutcome(c, name, payload(f)),
    });

    //                                         visitor group outside holder supervisor deactivated demoted logged-out
    const rows = (): Row[] => [
      ...read('lead', /*                  */ 'deny allow deny — allow deny deny deny'),
      ...read('held', /*                  */ 'deny deny deny allow allow deny deny deny'),
      ...read('queued', /*                */ 'deny allow deny — allow deny deny deny'),
      {
        name: 'dialogs:list shows the lead',
        target: 'lead',
        mutates: false,
        expected: rowOf('deny allow deny — allow deny deny deny', 'lead'),
        run: async (c, f) => {
          const socket = await c.socket();
          if (!socket) return 'deny';
          const lists = await call<{ leads: DialogSummary[] }>(socket, 'dialogs:list');
          return lists.leads.some((d) => d.id === f.dialogId) ? 'allow' : 'deny';
        },
      },
      {
        name: 'GET /api/dialogs',
        target: 'held',
        mutates: false,
        expected: rowOf('deny deny deny deny allow deny deny deny', 'held'),
        run: (c) => restOutcome(c, '/api/dialogs'),
      },
      event('message:send', 'held', false, 'deny deny deny allow deny deny deny deny', (f) => ({
        dialogId: f.dialogId,
        clientMessageId: clientId(),
        body: 'hi',
      })),
      event('typing:set', 'held', false, 'deny deny deny allow deny deny deny deny', (f) => ({
        dialogId: f.dialogId,
        typing: true,
      })),
      event('dialog:transfer', 'held', true, 'deny deny deny allow deny deny deny deny', (f) => ({
        dialogId: f.dialogId,
        toGroupId: 'sales',
      })),
      event('dialog:takeover', 'held', true, 'deny deny deny deny allow deny deny deny', (f) => ({
        dialogId: f.dialogId,
      })),
      event('dialog:close', 'held', true, 'deny deny deny allow allow deny deny deny', (f) => ({
        dialogId: f.dialogId,
        outcome: 'resolved',
      })),
      event('visitor:block', 'held', true, 'deny deny deny allow allow deny deny deny', (f) => ({
        dialogId: f.dialogId,
        reason: 'spam',
      })),
      event('dialog:assign', 'queued', true, 'deny deny deny — allow deny deny deny', (f) => ({
        dialogId: f.dialogId,
        operatorId: f.dialogId,
      })),
      event('dialog:close', 'lead', true, 'deny allow deny — allow deny deny deny', (f) => ({
        dialogId: f.dialogId,
        outcome: 'spam',
      })),
      event('lead:pick', 'lead', true, 'deny allow deny — allow deny deny deny', (f) => ({
        dialogId: f.dialogId,
      })),
      event('visitor:block', 'lead', true, 'deny allow deny — allow deny deny deny', (f) => ({
        dialogId: f.dialogId,
        reason: 'spam',
      })),
    ];

    it('when every kind of caller tries every dialog, visitor and lead event and route, then only the documented ones pass', async () => {
      // Accounts whose rights changed after they logged in: their old tokens are used afresh.
      const adminToken = await login(server.url, SUPERVISOR);
      const created = await Promise.all(
        [
          { email: DEACTIVATED, role: 'operator' },
          { email: DEMOTED, role: 'supervisor' },
        ].map(async (account) => {
          const { body } = await rest(adminToken, 'POST', '/api/operators', {
            ...account,
            name: account.email,
            password: PASSWORD,
          });
          return (body as { data: { id: string } }).data.id;
        }),
      );
      // zed is in every group, so only his deactivation can refuse him.
      const everyGroup = {
        groups: ['night', 'support', 'sales'].map((groupId) => ({ groupId, tier: 'primary' })),
      };
      expect(
        (await rest(adminToken, 'PUT', `/api/routing-config/operators/${DEACTIVATED}`, everyGroup)).status,
      ).to.be.oneOf([200, 201]);
      const zedToken = await login(server.url, DEACTIVATED, PASSWORD);
      const sueToken = await login(server.url, DEMOTED, PASSWORD);
      expect(
        (await rest(adminToken, 'PATCH', `/api/operators/${created[0]}`, { active: false })).status,
      ).to.equal(200);
      expect(
        (await rest(adminToken, 'PATCH', `/api/operators/${created[1]}`, { role: 'operator' })).status,
      ).to.equal(200);

      const visitorSession = await call<VisitorSession>(await connectVisitor(server.url), 'session:resume');
      const byEmail = new Map<string, Caller>();
      const operatorCaller = async (email: string) => {
        if (!byEmail.has(email)) byEmail.set(email, callerFor(await login(server.url, email)));
        return byEmail.get(email)!;
      };
      // A supervisor's session that logged out: its token must be refused everywhere.
      const loggedOutToken = await login(server.url, SUPERVISOR);
      expect((await rest(loggedOutToken, 'POST', '/api/auth/logout')).status).to.equal(200);
      const fixed: Record<'visitor' | 'supervisor' | 'deactivated' | 'demoted' | 'logged-out', Caller> = {
        visitor: callerFor(visitorSession.visitorToken),
        supervisor: callerFor(adminToken),
        deactivated: callerFor(zedToken),
        demoted: callerFor(sueToken),
        'logged-out': callerFor(loggedOutToken),
      };

      const printed: string[][] = [];
      const mismatches: string[] = [];
      for (const row of rows()) {
        await resetDialogs(server);
        borisFull = false;
        let fixture = await fresh[row.target]();
        const line = [row.name];
        for (const column of COLUMNS) {
          const expected = row.expected[column];
          if (expected === '—') {
            line.push('—');
            continue;
          }
          const player = PLAYERS[row.target][column];
          const caller = player ? await operatorCaller(player) : fixed[column as keyof typeof fixed];
          const before = (await server.engine.repo.findDialog(fixture.dialogId))!;
          const actual = await row.run(caller, fixture).catch((error: Error) => {
            throw new Error(`${row.name} × ${column}: ${error.message}`);
          });
          line.push(actual);
          if (actual !== expected)
            mismatches.push(`${row.name} × ${column}: expected ${expected}, got ${actual}`);
          const after = (await server.engine.repo.findDialog(fixture.dialogId))!;
          if (actual === 'deny') {
            expect(after.version, `${row.name} × ${column} denied but changed the dialog`).to.equal(
              before.version,
            );
          }
          if (row.mutates && actual === 'allow') fixture = await fresh[row.target]();
        }
        printed.push(line);
      }
      for (const socket of opened.splice(0)) socket.close();
      closeAllSockets();
      carl = null;

      const header = ['event / route', ...COLUMNS];
      const widths = header.map((h, i) => Math.max(h.length, ...printed.map((l) => l[i]!.length)));
      const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
      console.log(
        [
          `\n  authorization matrix (${backends}), ${printed.length} rows × ${COLUMNS.length} callers:`,
          format(header),
          format(widths.map((w) => '-'.repeat(w))),
          ...printed.map(format),
        ].join('\n  '),
      );
      expect(mismatches).to.deep.equal([]);
    });
  });
}
