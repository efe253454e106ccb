import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { stringify } from 'yaml';
import { hashPassword } from '../../src/accounts/passwords';
import type { DialogDetail, OperatorSelf, VisitorDialogView } from '@hotline/protocol';
import { migrate, openDatabase } from '../../src/storage/database';
import { call, type OperatorSocket, type VisitorSocket } from '../support/clients';

/** A deterministic pseudo-random generator, so a failing run can be replayed with its seed. */
export function random(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

export interface LoadSetup {
  /** Groups with operators. */
  staffed: string[];
  /** Groups nobody serves: every dialog there goes offline and is owed the offline auto-reply. */
  unstaffed: string[];
  groups: string[];
  operators: { email: string; limit: number; groups: string[] }[];
  configPath: string;
}

export const LOAD_PASSWORD = 'load-password';

/**
 * A routing config with always-open groups and long thresholds, and the operators' accounts in the
 * database. `unstaffedGroups` adds groups with no operator at all (offline replies due all the time).
 */
export async function prepareLoad(options: {
  dir: string;
  databaseUrl: string;
  schema: string;
  operators: number;
  groups: number;
  unstaffedGroups?: number;
  seed: number;
}): Promise<LoadSetup> {
  const rng = random(options.seed);
  const staffed = Array.from({ length: options.groups }, (_, i) => `g${i + 1}`);
  const unstaffed = Array.from({ length: options.unstaffedGroups ?? 0 }, (_, i) => `night${i + 1}`);
  const groups = [...staffed, ...unstaffed];
  const operators = Array.from({ length: options.operators }, (_, i) => {
    const first = rng.pick(staffed);
    const second =
      rng.next() < 0.4 && staffed.length > 1 ? rng.pick(staffed.filter((g) => g !== first)) : null;
    return {
      email: `op${String(i).padStart(3, '0')}@load.test`,
      limit: rng.int(1, 5),
      groups: second ? [first, second] : [first],
    };
  });
  const config = {
    locales: ['en'],
    defaultLocale: 'en',
    groups: groups.map((id, i) => ({
      id,
      name: `Group ${id}`,
      strategy: (['least-loaded', 'round-robin', 'longest-idle'] as const)[i % 3],
      limits: { default: 3 },
      thresholds: {
        unansweredSeconds: 3600,
        secondaryTierAfterSeconds: 3600,
        queueWait: [],
        offlineReplyDelaySeconds: 1,
      },
    })),
    operators: operators.map((o) => ({
      operatorId: o.email,
      limit: o.limit,
      groups: o.groups.map((g) => ({ groupId: g, tier: 'primary' })),
    })),
    sites: [
      {
        id: 'demo',
        name: 'Load',
        look: {
          primaryColor: '#333333',
          textColor: '#ffffff',
          position: 'right',
          title: 'Help',
          greeting: 'Hi',
          greetingDelaySeconds: 5,
        },
        entryMenu: { kind: 'choice', options: groups.map((g) => ({ label: g, target: { groupId: g } })) },
      },
    ],
    defaultRoute: { groupId: staffed[0] },
  };
  const configPath = join(options.dir, 'routing-load.yaml');
  writeFileSync(configPath, stringify(config));
  const database = await openDatabase({ url: options.databaseUrl, dataDir: '', schema: options.schema });
  await migrate(database.db);
  const hash = await hashPassword(LOAD_PASSWORD);
  await database.db('operators').insert(
    operators.map((o) => ({
      id: crypto.randomUUID(),
      email: o.email,
      name: o.email,
      role: 'operator',
      password_hash: hash,
    })),
  );
  await database.close();
  return { staffed, unstaffed, groups, operators, configPath };
}

export interface LoadStats {
  started: number;
  startFailures: number;
  closes: number;
  transfers: number;
  presenceFlips: number;
  rejected: number;
  assignedEvents: number;
  /** Visitor message → operator's `dialog:assigned` (includes queueing time) per assignment, ms. */
  assignLatencies: number[];
  /** Visitor message → operator's `message:new` for dialogs already held, ms. */
  messageLatencies: number[];
  dialogIds: string[];
  elapsedMs: number;
}

interface OperatorClient {
  email: string;
  socket: OperatorSocket;
  held: Set<string>;
}

export async function loginToken(url: string, email: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: LOAD_PASSWORD }),
  });
  if (!response.ok) throw new Error(`login ${email}: ${response.status}`);
  return ((await response.json()) as { data: { token: string } }).data.token;
}

/**
 * Drives visitors and operators against several engine nodes at once: random arrivals, closes,
 * transfers and presence flips, with `check` run every `checkEvery` operations.
 */
export async function runLoad(options: {
  urls: string[];
  setup: LoadSetup;
  dialogs: number;
  concurrency: number;
  seed: number;
  check?: () => Promise<void>;
  checkEvery?: number;
  measureMessages?: boolean;
}): Promise<LoadStats> {
  const rng = random(options.seed + 1);
  const stats: LoadStats = {
    started: 0,
    startFailures: 0,
    closes: 0,
    transfers: 0,
    presenceFlips: 0,
    rejected: 0,
    assignedEvents: 0,
    assignLatencies: [],
    messageLatencies: [],
    dialogIds: [],
    elapsedMs: 0,
  };
  const startedAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  const operators: OperatorClient[] = [];
  for (const [i, operator] of options.setup.operators.entries()) {
    const url = options.urls[i % options.urls.length]!;
    const token = await loginToken(url, operator.email);
    const socket: OperatorSocket = io(`${url}/operator`, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const client: OperatorClient = { email: operator.email, socket, held: new Set() };
    socket.on('dialog:assigned', (dialog: DialogDetail) => {
      client.held.add(dialog.id);
      stats.assignedEvents += 1;
      const t0 = startedAt.get(dialog.id);
      if (t0 !== undefined) stats.assignLatencies.push(Date.now() - t0);
    });
    socket.on('dialog:removed', ({ dialogId }) => client.held.delete(dialogId));
    socket.on('message:new', (message) => {
      const t0 = message.clientMessageId ? sentAt.get(message.clientMessageId) : undefined;
      if (t0 !== undefined && message.authorKind === 'visitor') {
        stats.messageLatencies.push(Date.now() - t0);
        sentAt.delete(message.clientMessageId!);
      }
    });
    operators.push(client);
    if (rng.next() < 0.7) await call<OperatorSelf>(socket, 'presence:set', { status: 'online' });
  }

  const began = Date.now();
  let operations = 0;
  let remaining = options.dialogs;
  const withHeld = () => operators.filter((o) => o.held.size > 0);

  const startDialog = async () => {
    const url = rng.pick(options.urls);
    const socket: VisitorSocket = io(`${url}/visitor`, {
      auth: { siteId: 'demo' },
      transports: ['websocket'],
      forceNew: true,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const t0 = Date.now();
      const view = await call<VisitorDialogView>(socket, 'dialog:start', {
        choice: { groupId: rng.pick(options.setup.groups) },
        page: { url: 'http://load.test/' },
        message: { clientMessageId: crypto.randomUUID(), body: 'hello' },
      });
      startedAt.set(view.id, t0);
      stats.dialogIds.push(view.id);
      stats.started += 1;
      if (options.measureMessages && view.state !== 'offline') {
        // A second message once the dialog is held measures visitor → operator delivery.
        await new Promise((r) => setTimeout(r, 300));
        const clientMessageId = crypto.randomUUID();
        sentAt.set(clientMessageId, Date.now());
        await call(socket, 'message:send', { clientMessageId, body: 'are you there?' });
      }
    } catch {
      stats.startFailures += 1;
    } finally {
      socket.close();
    }
  };

  const act = async () => {
    const roll = rng.next();
    const busy = withHeld();
    if (roll < 0.6 || busy.length === 0) {
      if (remaining <= 0) return;
      remaining -= 1;
      await startDialog();
    } else if (roll < 0.85) {
      const operator = rng.pick(busy);
      const dialogId = rng.pick([...operator.held]);
      operator.held.delete(dialogId);
      await call(operator.socket, 'dialog:close', { dialogId, outcome: 'resolved' }).then(
        () => (stats.closes += 1),
        () => (stats.rejected += 1),
      );
    } else if (roll < 0.93) {
      const operator = rng.pick(busy);
      const dialogId = rng.pick([...operator.held]);
      operator.held.delete(dialogId);
      await call(operator.socket, 'dialog:transfer', {
        dialogId,
        toGroupId: rng.pick(options.setup.groups),
      }).then(
        () => (stats.transfers += 1),
        () => (stats.rejected += 1),
      );
    } else {
      const operator = rng.pick(operators);
      const status = rng.pick(['online', 'online', 'away', 'offline'] as const);
      await call(operator.socket, 'presence:set', { status }).then(
        () => (stats.presenceFlips += 1),
        () => (stats.rejected += 1),
      );
    }
    operations += 1;
    if (options.check && options.checkEvery && operations % options.checkEvery === 0) await options.check();
  };

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (remaining > 0) await act();
    }),
  );
  stats.elapsedMs = Date.now() - began;
  for (const operator of operators) operator.socket.close();
  return stats;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
