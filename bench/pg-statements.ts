/**
 * The engine's Node CPU for the Postgres statements of one routed dialog, without the rest of the
 * engine (sockets, Redis, the machine): the repositories' own calls, in the order the engine makes
 * them (`engine/test/counts/postgres-statements.test.ts`: the visitor read, the creating change, then
 * twice findDialog and a change: assigned with an operator message, closed). Sequential, one caller:
 * what is measured is the Node process's CPU (user + system) per dialog, not Postgres's.
 *
 * Before/after in one run: `BENCH_STORAGE_ROOT` names another tree whose `engine/src/storage` is used
 * instead of this one's (e.g. `git archive <ref> engine/src | tar -x -C /tmp/base`, with this tree's
 * node_modules linked into it); run both one after the other, alternating, on a quiet machine.
 *
 * Run: `node --import tsx bench/pg-statements.ts [dialogs]` (TEST_DATABASE_URL honoured).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as DatabaseModule from '../engine/src/storage/database';
import type * as DialogModule from '../engine/src/storage/dialog-repository';
import type * as MessageModule from '../engine/src/storage/message-repository';
import type * as VisitorModule from '../engine/src/storage/visitor-repository';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../engine/test/support/postgres';

const root = process.env.BENCH_STORAGE_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const storage = (file: string) => pathToFileURL(`${root}/engine/src/storage/${file}.ts`).href;

const { openDatabase, migrate }: typeof DatabaseModule = await import(storage('database'));
const { DialogRepository }: typeof DialogModule = await import(storage('dialog-repository'));
const { MessageRepository }: typeof MessageModule = await import(storage('message-repository'));
const { VisitorRepository }: typeof VisitorModule = await import(storage('visitor-repository'));

const dialogs = Number(process.argv[2] ?? 400);
const WARM_UP = 100;

/** A snapshot about the size of the dialog machine's (its context: a few dozen fields). */
const snapshot = (value: string) => ({
  status: 'active',
  value,
  historyValue: {},
  context: Object.fromEntries(
    Array.from({ length: 30 }, (_, i) => [`field${i}`, `value ${i} of the context`]),
  ),
  children: {},
});

const schema = freshSchema();
const handle = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '', schema });
try {
  await migrate(handle.db);
  const db = handle.db;
  // No files in this bench: the attachments are never asked for.
  const messages = new MessageRepository(db, {
    claim: async () => undefined,
    viewsOf: async () => new Map(),
  });
  const repo = new DialogRepository(db, messages);
  const visitors = new VisitorRepository(db, messages);
  const nodeId = 'bench';

  const event = (version: number, type: string, from: string | null, to: string) => ({
    version,
    type,
    fromState: from,
    toState: to,
    payload: { type },
  });

  async function routedDialog() {
    const visitorId = randomUUID();
    await db('visitors').insert({ id: visitorId, token_hash: visitorId, site_id: 'demo' });
    const id = randomUUID();
    const message = (body: string, authorKind: 'visitor' | 'operator') => ({
      dialogId: id,
      authorKind,
      clientMessageId: randomUUID(),
      body,
    });
    // Started with a message, routed to a holder.
    await visitors.visitorWithLatestDialog(visitorId);
    await repo.createDialog(
      { id, visitorId, siteId: 'demo', state: 'queued', snapshot: snapshot('queued'), groupId: 'support' },
      {
        kind: 'transition',
        nodeId,
        events: [event(1, 'visitor.start', null, 'queued')],
        message: message('Hello, I need help', 'visitor'),
        messages: [],
        page: { url: 'https://example.com/pricing', title: 'Pricing' },
        payload: { event: 'visitor.start', from: null, to: 'queued', version: 1 },
        handover: true,
      },
    );
    // The operator answers, then closes.
    let version = 1;
    for (const [state, body] of [
      ['assigned', 'Hi!'],
      ['closed', null],
    ] as const) {
      const row = await repo.findDialog(id);
      if (!row) throw new Error('the dialog is gone');
      const outcome = await repo.saveTransition(
        repo.executor(),
        id,
        version,
        { state, snapshot: snapshot(state), ...(state === 'closed' ? { closedAt: new Date() } : {}) },
        {
          kind: 'transition',
          nodeId,
          events: [event(version + 1, state, row.state, state)],
          message: body ? message(body, 'operator') : undefined,
          messages: [],
          payload: { event: state, from: row.state, to: state, version: version + 1 },
        },
      );
      if (outcome.kind !== 'written') throw new Error(`the ${state} change was ${outcome.kind}`);
      version++;
    }
  }

  for (let i = 0; i < WARM_UP; i++) await routedDialog();
  // The visitor insert is the bench's own set-up: measured apart and taken off.
  const setUp = process.cpuUsage();
  for (let i = 0; i < dialogs; i++) {
    const id = randomUUID();
    await db('visitors').insert({ id, token_hash: id, site_id: 'demo' });
  }
  const setUpCpu = process.cpuUsage(setUp);
  const started = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < dialogs; i++) await routedDialog();
  const cpu = process.cpuUsage(started);
  const ms = (cpu.user + cpu.system - setUpCpu.user - setUpCpu.system) / 1000 / dialogs;
  console.log(
    `storage of ${root}: Node CPU ${ms.toFixed(2)} ms per routed dialog's 6 statements ` +
      `(${dialogs} dialogs, ${((performance.now() - wall) / dialogs).toFixed(2)} ms wall each)`,
  );
} finally {
  await handle.close();
  await dropSchema(schema);
}
