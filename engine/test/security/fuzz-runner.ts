import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { SESSION_COOKIE } from '../../src/accounts/sessions';
import { SOCKET_FRAME_LIMIT_BYTES } from '../../src/realtime/ack-handler';
import type { RunningServer } from '../../src/server';
import { call, chatStart, login } from '../support/clients';
import { nestedJson, type RawSocket, rawSocket } from './raw-frames';

/**
 * Random and malicious input against every REST route and both socket namespaces of a running
 * engine, counted: statuses, acks, 5xx, ack timeouts, unexpected disconnects, crashes, memory.
 * Cases come from fast-check with a seed (printed), so a run replays exactly.
 */

// ---------- what is sent ----------

const UUID_LIKE = '3f1c2a9e-0b7d-4c55-9e21-7a6b5c4d3e2f';
const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  'toString',
  'hasOwnProperty',
];

/** Strings an attacker would try: control characters, NUL, huge, SQL, paths, odd unicode, ids. */
const evilString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u0007\u001b[31m',
    '\u202e\u200b',
    "' or 1=1 --",
    '"; drop table dialogs; --',
    '../../etc/passwd',
    '%00',
    '%',
    'javascript:alert(1)',
    '<script>alert(1)</script>',
    'not-a-uuid',
    UUID_LIKE,
    '00000000-0000-0000-0000-000000000000',
    '1e309',
    'NaN',
    '\ud800',
    ...POLLUTION_KEYS,
  ),
  fc.integer({ min: 4_000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** Any JSON-ish value: wrong types, nesting, prototype-pollution keys. */
const evilValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    evilString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constantFrom(null, [], {}, -1, 0, 2 ** 53, Number.MAX_VALUE),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(evilString, fc.constantFrom(...POLLUTION_KEYS)), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A payload: a valid template, changed in one of the ways a client could get it wrong. */
function mutated(template: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(template);
  return fc.oneof(
    fc.constant(template),
    evilValue,
    keys.length > 0
      ? fc.tuple(fc.constantFrom(...keys), evilValue).map(([key, value]) => ({ ...template, [key]: value }))
      : evilValue,
    // Built as JSON text so `__proto__` is an own key, as it arrives from the wire.
    fc.tuple(fc.constantFrom(...POLLUTION_KEYS), evilValue).map(([key, value]) => {
      const rest = JSON.stringify(template).slice(1, -1);
      return JSON.parse(
        `{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}${rest ? `,${rest}` : ''}}`,
      ) as unknown;
    }),
    keys.length > 0
      ? fc.constantFrom(...keys).map((key) => ({ ...template, [key]: undefined }))
      : fc.constant({}),
  );
}

// ---------- REST ----------

type Auth =
  | 'none'
  | 'operator'
  | 'supervisor'
  | 'garbage'
  | 'no-exp'
  | 'odd-sub'
  | 'visitor'
  | 'expired'
  | 'cookie';

interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `:id`-style placeholders are filled with evil strings or ids. */
  path: string;
  body?: Record<string, unknown>;
}

const REST_ROUTES: RestRoute[] = [
  {
    method: 'POST',
    path: '/api/auth/login',
    body: { email: 'nobody@example.com', password: 'wrong-password' },
  },
  { method: 'POST', path: '/api/auth/logout' },
  { method: 'GET', path: '/api/auth/me' },
  { method: 'PATCH', path: '/api/auth/me', body: { locale: 'ru' } },
  { method: 'GET', path: '/api/auth/sessions' },
  { method: 'DELETE', path: '/api/auth/sessions/:id' },
  // A wrong current password: a mutation never turns it into the right one, so no session is revoked.
  {
    method: 'POST',
    path: '/api/auth/password',
    body: { currentPassword: 'not-the-password', newPassword: 'fuzz-password-1' },
  },
  { method: 'DELETE', path: '/api/operators/:id/sessions' },
  { method: 'GET', path: '/api/sites/:siteId/widget' },
  { method: 'GET', path: '/api/groups' },
  { method: 'GET', path: '/api/routing-config' },
  { method: 'PUT', path: '/api/routing-config', body: { config: { version: 1 }, comment: 'fuzz' } },
  { method: 'PUT', path: '/api/routing-config/:part/:id', body: { name: 'Fuzz' } },
  { method: 'DELETE', path: '/api/routing-config/:part/:id' },
  { method: 'GET', path: '/api/routing-config/versions' },
  { method: 'GET', path: '/api/routing-config/versions/:version' },
  {
    method: 'POST',
    path: '/api/routing-config/preview',
    body: { groupId: 'support', kind: 'offline-reply', locale: 'en' },
  },
  { method: 'GET', path: '/api/operators' },
  {
    method: 'POST',
    path: '/api/operators',
    body: { email: 'fuzz@example.com', name: 'Fuzz', password: 'short' },
  },
  { method: 'PATCH', path: '/api/operators/:id', body: { name: 'Fuzz' } },
  { method: 'GET', path: '/api/dialogs' },
  { method: 'GET', path: '/api/dialogs/:id' },
  { method: 'GET', path: '/api/visitors/:id' },
  { method: 'GET', path: '/api/dashboard' },
  { method: 'GET', path: '/api/quick-replies' },
  { method: 'POST', path: '/api/quick-replies', body: { shortcut: 'fz', title: 'Fuzz', body: 'Fuzz reply' } },
  { method: 'PUT', path: '/api/quick-replies/order', body: { ids: [] } },
  { method: 'DELETE', path: '/api/quick-replies/:id' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'PUT', path: '/api/attachments/:id/upload?token=1.x', body: { not: 'a file' } },
  { method: 'GET', path: '/api/attachments/:id/content?exp=1&sig=x' },
  { method: 'DELETE', path: '/api/visitors/:id' },
  { method: 'GET', path: '/api/no-such-route/:id' },
];

type BodyForm = { kind: 'json'; value: unknown } | { kind: 'text'; text: string; contentType: string };

const bodyForm = (route: RestRoute): fc.Arbitrary<BodyForm | null> =>
  fc.oneof(
    { weight: 6, arbitrary: mutated(route.body ?? {}).map((value): BodyForm => ({ kind: 'json', value })) },
    fc.constant(null),
    fc
      .tuple(
        fc.constantFrom(
          '{"email":',
          '{"a":1}}',
          '\u0000',
          'null',
          '"just a string"',
          nestedJson(50_000),
          `{"pad":"${'x'.repeat(1_100_000)}"}`,
          'email=a&password=b',
        ),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-16',
          'application/json; charset=klingon',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/vnd.api+json',
        ),
      )
      .map(([text, contentType]): BodyForm => ({ kind: 'text', text, contentType })),
  );

/** A path segment: an evil string percent-encoded, or raw escapes a browser would never send. */
const pathFill = fc.oneof(
  evilString.filter((s) => s.length < 3000).map(encodeSegment),
  fc.uuid(),
  fc.nat().map(String),
  fc.constantFrom(
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    '%C0%AF',
    '%ED%A0%80',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    'a%0d%0aSet-Cookie:%20x=1',
  ),
);

function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate has no UTF-8 form: send the bytes a broken client would.
    return '%ED%A0%80';
  }
}

const restCase = fc
  .record({
    route: fc.constantFrom(...REST_ROUTES),
    auth: fc.constantFrom<Auth>(
      'none',
      'operator',
      'supervisor',
      'garbage',
      'no-exp',
      'odd-sub',
      'visitor',
      'expired',
      'cookie',
    ),
    fills: fc.array(pathFill, { minLength: 3, maxLength: 3 }),
    body: fc.constant(null as BodyForm | null),
  })
  .chain((c) => bodyForm(c.route).map((body) => ({ ...c, body })));

// ---------- sockets ----------

interface SocketEvent {
  namespace: '/visitor' | '/operator';
  event: string;
  template: Record<string, unknown>;
}

const VISITOR_EVENTS: SocketEvent[] = [
  { event: 'session:resume', template: {} },
  { event: 'dialog:start', template: chatStart('support') },
  { event: 'message:send', template: { clientMessageId: 'c1', body: 'hello' } },
  { event: 'typing:set', template: { typing: true } },
  { event: 'contact:leave', template: { contact: '+7 916 123-45-67' } },
  { event: 'callback:request', template: { phone: '+7 916 123-45-67', page: { url: 'http://shop.test/' } } },
  { event: 'dialog:close', template: { rating: 5 } },
  { event: 'page:change', template: { url: 'http://shop.test/a', title: 'A' } },
  { event: 'attachment:prepare', template: { name: 'receipt.jpg', size: 1000, type: 'image/jpeg' } },
  { event: 'message:send', template: { clientMessageId: 'c2', body: '', attachmentIds: [UUID_LIKE] } },
  { event: 'no:such-event', template: {} },
].map((e) => ({ ...e, namespace: '/visitor' as const }));

const OPERATOR_EVENTS: SocketEvent[] = [
  { event: 'presence:set', template: { status: 'away' } },
  { event: 'dialogs:list', template: {} },
  { event: 'dialog:open', template: { dialogId: UUID_LIKE } },
  { event: 'offer:accept', template: { dialogId: UUID_LIKE } },
  { event: 'offer:decline', template: { dialogId: UUID_LIKE } },
  { event: 'message:send', template: { dialogId: UUID_LIKE, clientMessageId: 'c1', body: 'hi' } },
  { event: 'typing:set', template: { dialogId: UUID_LIKE, typing: true } },
  { event: 'dialog:transfer', template: { dialogId: UUID_LIKE, toGroupId: 'sales' } },
  { event: 'dialog:assign', template: { dialogId: UUID_LIKE, operatorId: UUID_LIKE } },
  { event: 'dialog:takeover', template: { dialogId: UUID_LIKE } },
  { event: 'dialog:close', template: { dialogId: UUID_LIKE, outcome: 'spam' } },
  { event: 'lead:pick', template: { dialogId: UUID_LIKE } },
  { event: 'visitor:block', template: { dialogId: UUID_LIKE, reason: 'spam' } },
  { event: 'dashboard:subscribe', template: {} },
  {
    event: 'attachment:prepare',
    template: { dialogId: UUID_LIKE, name: 'guide.pdf', size: 1000, type: 'application/pdf' },
  },
  { event: 'no:such-event', template: {} },
].map((e) => ({ ...e, namespace: '/operator' as const }));

type Emission = 'payload' | 'callback-only' | 'extra-args' | 'oversized' | 'raw-deep';

const socketCase = fc
  .record({
    target: fc.constantFrom(...VISITOR_EVENTS, ...OPERATOR_EVENTS),
    emission: fc.constantFrom<Emission>(
      'payload',
      'payload',
      'payload',
      'payload',
      'callback-only',
      'extra-args',
      'oversized',
      'raw-deep',
    ),
    socketIndex: fc.nat(),
  })
  .chain((c) => mutated(c.target.template).map((payload) => ({ ...c, payload })));

const handshakeCase = fc.record({
  namespace: fc.constantFrom('/visitor' as const, '/operator' as const),
  // socket.io's CONNECT packet carries an object (a client cannot send another type through socket.io-client).
  auth: fc.oneof(
    fc.dictionary(
      fc.oneof(evilString, fc.constantFrom(...POLLUTION_KEYS, 'siteId', 'token', 'visitorToken')),
      evilValue,
      { maxKeys: 4 },
    ),
    fc.record({ siteId: evilString, visitorToken: evilString }),
    fc.record({ siteId: fc.constant('demo'), visitorToken: evilValue }),
    fc.record({ token: evilString }),
    fc.record({ token: evilValue }),
  ),
});

type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;
type RestCase = Of<typeof restCase>;
type SocketCase = Of<typeof socketCase>;
type HandshakeCase = Of<typeof handshakeCase>;
export type FuzzCase =
  | { kind: 'rest'; c: RestCase }
  | { kind: 'socket'; c: SocketCase }
  | { kind: 'handshake'; c: HandshakeCase };

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 5, arbitrary: restCase.map((c) => ({ kind: 'rest' as const, c })) },
  { weight: 5, arbitrary: socketCase.map((c) => ({ kind: 'socket' as const, c })) },
  { weight: 1, arbitrary: handshakeCase.map((c) => ({ kind: 'handshake' as const, c })) },
);

// ---------- running ----------

export interface FuzzReport {
  seed: number;
  cases: number;
  perTarget: Map<string, number>;
  statuses: Map<string, number>;
  serverErrors: string[];
  ackTimeouts: string[];
  unexpectedDisconnects: number;
  crashes: string[];
  heapBeforeMb: number;
  heapAfterMb: number;
  /** heapUsed after gc as the run went on (cases done, MB): a leak climbs, a warm-up levels off. */
  heapSeries: [number, number][];
  seconds: number;
}

const SOCKETS_PER_NAMESPACE = 4;
const ACK_TIMEOUT_MS = 15_000;
/** What a case may put in one frame: under SOCKET_FRAME_LIMIT_BYTES with room for the envelope. */
const FRAME_BUDGET = SOCKET_FRAME_LIMIT_BYTES - 10_000;

/** heapUsed after a full collection, in MB (gc exposed at run time, no node flag needed). */
function settledHeapMb(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const short = (value: unknown) => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 160 ? `${text.slice(0, 160)}… (${text.length} chars)` : text;
};

export async function runFuzz(
  server: RunningServer,
  options: { cases: number; seed: number; concurrency: number },
): Promise<FuzzReport> {
  const { url } = server;
  const report: FuzzReport = {
    seed: options.seed,
    cases: 0,
    perTarget: new Map(),
    statuses: new Map(),
    serverErrors: [],
    ackTimeouts: [],
    unexpectedDisconnects: 0,
    crashes: [],
    heapBeforeMb: 0,
    heapAfterMb: 0,
    heapSeries: [],
    seconds: 0,
  };
  const onCrash = (error: unknown) =>
    report.crashes.push(short(error instanceof Error ? error.stack : error));
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const tokens = await sessionTokens(server);
  const closing = new Set<Socket>();
  const track = (socket: Socket) =>
    socket.on('disconnect', (reason) => {
      if (!closing.has(socket) && reason !== 'io client disconnect') report.unexpectedDisconnects += 1;
    });
  const connect = (namespace: string, auth: Record<string, unknown>) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(`${url}${namespace}`, {
        auth,
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error('handshake timeout'));
      }, ACK_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('connect_error', (error) => {
        clearTimeout(timer);
        socket.close();
        reject(error);
      });
    });
  const pools: Record<'/visitor' | '/operator', Socket[]> = {
    '/visitor': await Promise.all(
      Array.from({ length: SOCKETS_PER_NAMESPACE }, () => connect('/visitor', { siteId: 'demo' })),
    ),
    '/operator': await Promise.all(
      [tokens.operator, tokens.supervisor, tokens.operator, tokens.supervisor].map((token) =>
        connect('/operator', { token }),
      ),
    ),
  };
  for (const socket of [...pools['/visitor'], ...pools['/operator']]) track(socket);
  const raws: Record<'/visitor' | '/operator', RawSocket> = {
    '/visitor': await rawSocket(url, '/visitor', { siteId: 'demo' }),
    '/operator': await rawSocket(url, '/operator', { token: tokens.operator }),
  };

  report.heapBeforeMb = settledHeapMb();
  report.heapSeries.push([0, report.heapBeforeMb]);
  const started = Date.now();
  const CHUNK = 500;
  const checkpointEvery = Math.max(CHUNK, Math.ceil(options.cases / 5 / CHUNK) * CHUNK);
  for (let offset = 0; offset < options.cases; offset += CHUNK) {
    const batch = fc.sample(fuzzCase, {
      numRuns: Math.min(CHUNK, options.cases - offset),
      seed: options.seed + offset,
    });
    let next = 0;
    const worker = async () => {
      while (next < batch.length) {
        const item = batch[next++]!;
        // FUZZ_DEBUG=1 names a case still running after 3 s (what hangs, before its timeout says so).
        const slow = setTimeout(
          () => process.env.FUZZ_DEBUG && console.log('slow case:', item.kind, short(item.c)),
          3000,
        );
        try {
          if (item.kind === 'rest') await restCall(item.c);
          else if (item.kind === 'socket') await socketCall(item.c);
          else await handshake(item.c);
        } catch (error) {
          report.crashes.push(`runner: ${short(error instanceof Error ? error.message : error)}`);
        }
        clearTimeout(slow);
        report.cases += 1;
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const done = offset + batch.length;
    if (done % checkpointEvery === 0 && done < options.cases) report.heapSeries.push([done, settledHeapMb()]);
  }
  report.seconds = (Date.now() - started) / 1000;

  for (const socket of [...pools['/visitor'], ...pools['/operator']]) {
    closing.add(socket);
    socket.close();
  }
  for (const raw of Object.values(raws)) {
    if (!raw.open) report.unexpectedDisconnects += 1;
    raw.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  report.heapAfterMb = settledHeapMb();
  report.heapSeries.push([report.cases, report.heapAfterMb]);
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  return report;

  async function restCall(c: RestCase) {
    let fill = 0;
    const path = c.route.path.replace(/:[a-zA-Z]+/g, () => c.fills[fill++ % c.fills.length]!);
    const target = `REST ${c.route.method} ${c.route.path}`;
    bump(report.perTarget, target);
    const headers: Record<string, string> = {};
    // A logout with a live session revokes it (and disconnects its sockets): spend a fresh one, not the fuzz's own.
    const spendable =
      c.route.path === '/api/auth/logout' &&
      (c.auth === 'operator' || c.auth === 'supervisor' || c.auth === 'cookie');
    const token = spendable
      ? await login(url, c.auth === 'supervisor' ? 'admin@example.com' : 'anna@example.com')
      : tokens[c.auth as keyof typeof tokens];
    if (c.auth === 'cookie')
      headers.cookie = `${SESSION_COOKIE}=${encodeURIComponent(spendable && token ? token : tokens.operator)}`;
    else if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (c.body?.kind === 'json') {
      body = JSON.stringify(c.body.value) ?? 'null';
      headers['content-type'] = 'application/json';
    } else if (c.body?.kind === 'text') {
      body = c.body.text;
      headers['content-type'] = c.body.contentType;
    }
    const response = await fetch(`${url}${path}`, {
      method: c.route.method,
      headers,
      ...(body !== undefined && c.route.method !== 'GET' ? { body } : {}),
    });
    const text = await response.text();
    bump(report.statuses, String(response.status));
    if (response.status >= 500)
      report.serverErrors.push(
        `${target} ${path} (${c.auth}) → ${response.status} ${short(text)} body ${short(body ?? '')}`,
      );
  }

  async function socketCall(c: SocketCase) {
    const { namespace, event } = c.target;
    const target = `${namespace} ${event} (${c.emission})`;
    bump(report.perTarget, `${namespace} ${event}`);
    let ackText: string;
    try {
      if (c.emission === 'raw-deep') {
        ackText = await raws[namespace].emit(event, `{"extra":${nestedJson(60_000)}}`, ACK_TIMEOUT_MS);
      } else {
        const socket = pools[namespace][c.socketIndex % SOCKETS_PER_NAMESPACE]!;
        const base = Buffer.byteLength(JSON.stringify(c.payload) ?? '');
        // Frames above the documented limit close the connection by design: keep every case under it.
        if (base > FRAME_BUDGET) {
          bump(report.statuses, 'not sent: frame over the limit');
          return;
        }
        const payload =
          c.emission === 'oversized'
            ? {
                ...(typeof c.payload === 'object' ? c.payload : { value: c.payload }),
                pad: 'p'.repeat(Math.max(0, FRAME_BUDGET - base - 100 - (c.socketIndex % 900_000))),
              }
            : c.payload;
        const ack = await new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('ack timeout')), ACK_TIMEOUT_MS);
          const done = (response: unknown) => {
            clearTimeout(timer);
            resolve(response);
          };
          if (c.emission === 'callback-only') socket.emit(event, done);
          else if (c.emission === 'extra-args') socket.emit(event, payload, 'extra', 42, done);
          else socket.emit(event, payload, done);
        });
        ackText = JSON.stringify(ack) ?? 'undefined';
      }
    } catch (error) {
      report.ackTimeouts.push(
        `${target}: ${short(error instanceof Error ? error.message : error)} payload ${short(c.payload)}`,
      );
      bump(report.statuses, 'ack timeout');
      return;
    }
    const code = /"error":\{"code":"([a-z_]+)"/.exec(ackText)?.[1];
    bump(report.statuses, code ? `ack ${code}` : ackText.includes('"data"') ? 'ack data' : 'ack other');
    if (!code && !ackText.includes('"data"'))
      report.serverErrors.push(`${target} → malformed ack ${short(ackText)}`);
    if (code === 'internal') report.serverErrors.push(`${target} → internal; payload ${short(c.payload)}`);
  }

  async function handshake(c: HandshakeCase) {
    bump(report.perTarget, `handshake ${c.namespace}`);
    try {
      const socket = await connect(c.namespace, c.auth);
      bump(report.statuses, 'handshake accepted');
      closing.add(socket);
      socket.close();
    } catch (error) {
      if (error instanceof Error && error.message === 'handshake timeout') {
        report.ackTimeouts.push(`handshake ${c.namespace} ${short(c.auth)}`);
        bump(report.statuses, 'handshake timeout');
        return;
      }
      const code = (error as { data?: { code?: string } }).data?.code ?? 'none';
      bump(report.statuses, `handshake refused ${code}`);
      if (code === 'internal' || code === 'none')
        report.serverErrors.push(
          `handshake ${c.namespace} ${short(c.auth)} → ${code}: ${short((error as Error).message)}`,
        );
    }
  }
}

/** Real tokens of each kind the fuzz sends; forged ones signed with the engine's own key. */
async function sessionTokens(server: RunningServer) {
  const row = await server.engine.database
    .db('settings')
    .where({ key: 'session_secret' })
    .first<{ value: string } | undefined>();
  const key = new TextEncoder().encode(server.engine.config.SESSION_SECRET ?? row?.value ?? 'x'.repeat(32));
  const anna = (await server.engine.operatorsRepo.findByEmailWithHash('anna@example.com'))!;
  const visitor = io(`${server.url}/visitor`, {
    auth: { siteId: 'demo' },
    transports: ['websocket'],
    forceNew: true,
  });
  const { visitorToken } = await call<{ visitorToken: string }>(visitor, 'session:resume');
  visitor.close();
  const jwt = () => new SignJWT({ role: 'supervisor' }).setProtectedHeader({ alg: 'HS256' });
  return {
    operator: await login(server.url, 'anna@example.com'),
    supervisor: await login(server.url, 'admin@example.com'),
    garbage: 'Bearer.not.a.token',
    'no-exp': await jwt().setSubject(anna.id).sign(key),
    'odd-sub': await jwt().setSubject("'; select pg_sleep(1); --").setExpirationTime('1h').sign(key),
    visitor: visitorToken,
    expired: await jwt()
      .setSubject(anna.id)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key),
  };
}

/** The report as printed lines. */
export function formatReport(report: FuzzReport, label: string): string {
  const sorted = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return [
    `fuzz (${label}): ${report.cases} cases in ${report.seconds.toFixed(1)} s, seed ${report.seed}`,
    `  5xx / internal acks: ${report.serverErrors.length}; ack timeouts: ${report.ackTimeouts.length}; unexpected disconnects: ${report.unexpectedDisconnects}; crashes: ${report.crashes.length}`,
    `  heapUsed after gc: ${report.heapBeforeMb.toFixed(1)} MB before, ${report.heapAfterMb.toFixed(1)} MB after (${report.heapSeries.map(([n, mb]) => `${n}: ${mb.toFixed(1)}`).join(', ')})`,
    '  outcomes:',
    ...sorted(report.statuses).map(([status, n]) => `    ${status.padEnd(32)} ${n}`),
    '  cases per route / event:',
    ...sorted(report.perTarget).map(([target, n]) => `    ${target.padEnd(48)} ${n}`),
    ...report.serverErrors.slice(0, 10).map((e) => `  5xx: ${e}`),
    ...report.ackTimeouts.slice(0, 10).map((e) => `  timeout: ${e}`),
    ...report.crashes.slice(0, 10).map((e) => `  crash: ${e}`),
  ].join('\n');
}
