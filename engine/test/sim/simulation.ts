import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Operator } from '../../src/accounts/operator-repository';
import { Reconciler } from '../../src/background/reconciler';
import { loadConfig } from '../../src/config';
import { AppError } from '../../src/errors';
import { MemoryLocks } from '../../src/locks/dialog-locks';
import { MemoryRoutingStore } from '../../src/routing-store/memory-routing-store';
import type { RoutingStore } from '../../src/routing-store/routing-store';
import { createEngine, type Engine, type SharedBackends } from '../../src/server';
import type { DatabaseHandle } from '../../src/storage/database';
import { LivenessMonitor, readOpenDialogs } from '../multinode/liveness';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { checkSafety, SafetyMonitor } from './safety';

/**
 * The deterministic simulation of the routing core (docs/simulation.md): several engine instances
 * (the real machine, DialogService, AssignmentDispatcher, TimerWorker, Reconciler, OperatorService,
 * VisitorService) on one embedded PGlite, one MemoryRoutingStore and one lock table, driven by a
 * virtual clock and a seeded random schedule. Each event is awaited until every instance is quiet,
 * then the safety invariants and L1–L4 are checked; a seed replays exactly.
 */

export const SIM_ROUTING = fileURLToPath(new URL('./sim-routing.yaml', import.meta.url));

/** Bugs planted by hand, to show the checker finds them. */
export const PLANTS = ['never-clear-exclusions', 'drop-triggers', 'leak-releases'] as const;
export type Plant = (typeof PLANTS)[number];

export interface SimOptions {
  seed: number;
  events: number;
  plant?: Plant | null;
  /** The liveness bound T in virtual ms (default 15 s). */
  boundMs?: number;
  /** Events of the log printed with a failure. */
  tail?: number;
  /** Survey mode: go on after a failure, keep the first failure of each kind (rule) in `kinds`. */
  keepGoing?: boolean;
  /**
   * Where the dialogs live: the local Postgres (a fresh schema per run, dropped after; default) or an
   * in-process PGlite (SIM_DATABASE=pglite). Both are one connection, so queries run in the order
   * they are issued and a seed replays the same on either.
   */
  database?: SimDatabase;
}

export type SimDatabase = 'postgres' | 'pglite';

/** The database SIM_DATABASE names (default: the local Postgres). */
export function simDatabase(): SimDatabase {
  return process.env.SIM_DATABASE === 'pglite' ? 'pglite' : 'postgres';
}

export interface SimFailure {
  seed: number;
  /** The planted bug, if any (part of the replay command). */
  plant?: Plant | null;
  index: number;
  event: string;
  violations: string[];
  tail: string[];
}

export interface SimResult {
  seed: number;
  events: number;
  virtualMs: number;
  elapsedMs: number;
  failure: SimFailure | null;
  counts: Record<string, number>;
  database: SimDatabase;
  /** SQL statements issued, by the engine (events) and by the checks. */
  queries: { events: number; checks: number };
  /** Hash of the whole event log: two runs of one seed must agree. */
  fingerprint: string;
  /** keepGoing: the first failure of each kind of violation, and how many checks found that kind. */
  kinds: Map<string, { first: SimFailure; checks: number }>;
}

/** SIM_QLOG=1: statements issued by every run of this process (first 110 characters → count). */
export const SQL_COUNTS = new Map<string, number>();
/** SIM_PROGRESS=<n>: print the elapsed time every n events (to see a seed slow down as it grows). */
const PROGRESS = Number(process.env.SIM_PROGRESS ?? 0);
const GRACE_MS = 5_000;
/** Each node renews its operators' connection heartbeats this often (alive for twice that). */
const HEARTBEAT_MS = 2_000;
const POLL_MS = 1_000;
const RECONCILE_MS = 5_000;
const LEASE_MS = 3_000;
/** Real time a transition may take before the run counts as stuck (a deadlock, not a slow database). */
const SETTLE_TIMEOUT_MS = 120_000;
const START = Date.UTC(2026, 11, 2, 12, 0, 0);

/** The crash point fired: the node dies between a commit and its effects. */
class SimulatedCrash extends Error {
  constructor(readonly node: string) {
    super(`node ${node} crashed after a commit`);
  }
}

interface SimNode {
  name: string;
  engine: Engine;
  reconciler: Reconciler;
  alive: boolean;
  inflight: Inflight;
  /** Presence grace timers of this node's disconnects (they die with the node): operator → due. */
  grace: Map<string, number>;
  lastTick: number;
  lastReconcile: number;
  lastBeat: number;
}

/** Transitions in flight on one instance, and who waits for it to be quiet. */
interface Inflight {
  count: number;
  waiters: (() => void)[];
}

interface SimVisitor {
  id: string;
  messages: number;
}

type Rng = ReturnType<typeof xoroshiro128plus>;

export class Simulation {
  private now = START;
  private readonly rng: Rng;
  private readonly idRng: Rng;
  private readonly nodes: SimNode[] = [];
  private database!: DatabaseHandle;
  private readonly store: RoutingStore;
  private readonly locks = new MemoryLocks();
  private operators: Operator[] = [];
  /** Live connections per operator and node (the "driver's connected operators" of L4). */
  private readonly connections = new Map<string, Map<string, number>>();
  private visitors: SimVisitor[] = [];
  private readonly log: string[] = [];
  private generation = 0;
  private readonly counts: Record<string, number> = {};
  private hash = 2166136261;
  private liveness!: LivenessMonitor;
  private readonly safety = new SafetyMonitor();
  private readonly bound: number;
  private readonly originalRandomUUID = crypto.randomUUID;
  private readonly backend: SimDatabase;
  private readonly queries = { events: 0, checks: 0 };
  private checking = false;

  constructor(private readonly options: SimOptions) {
    this.rng = xoroshiro128plus(options.seed);
    this.idRng = xoroshiro128plus(options.seed ^ 0x5eed);
    this.store = new MemoryRoutingStore();
    if (options.plant === 'leak-releases') {
      // A held dialog's slot is never given back in the store (offers still are).
      const store = this.store;
      const release = store.release.bind(store);
      store.release = async (dialogId, operatorId) => {
        const holder = await store.holder(dialogId);
        if (holder && !holder.offered) return true;
        return release(dialogId, operatorId);
      };
    }
    // Two reconciler runs (it confirms a discrepancy before repairing it) plus the poll, with margin.
    this.bound = options.boundMs ?? 15_000;
    this.backend = options.database ?? simDatabase();
  }

  async run(): Promise<SimResult> {
    const started = Date.now();
    this.installIds();
    let failure: SimFailure | null = null;
    const kinds = new Map<string, { first: SimFailure; checks: number }>();
    try {
      await this.setUp();
      for (let index = 0; index < this.options.events; index++) {
        if (PROGRESS > 0 && index % PROGRESS === 0 && index > 0)
          console.log(
            `  seed ${this.options.seed} at event ${index}: ${((Date.now() - started) / 1000).toFixed(1)} s, queries ${this.queries.events} + ${this.queries.checks}`,
          );
        const event = await this.step();
        this.record(`${index} t+${this.now - START} ${event}`);
        const violations = await this.check();
        if (violations.length === 0) continue;
        const found = {
          seed: this.options.seed,
          plant: this.options.plant ?? null,
          index,
          event,
          violations,
          tail: this.log.slice(-(this.options.tail ?? 25)),
        };
        failure ??= found;
        if (!this.options.keepGoing) break;
        for (const kind of new Set(violations.map(kindOf))) {
          const entry = kinds.get(kind);
          if (entry) entry.checks += 1;
          else
            kinds.set(kind, {
              first: { ...found, violations: violations.filter((v) => kindOf(v) === kind) },
              checks: 1,
            });
        }
      }
    } finally {
      await this.tearDown();
      this.restoreIds();
    }
    return {
      seed: this.options.seed,
      events: failure && !this.options.keepGoing ? failure.index + 1 : this.options.events,
      kinds,
      virtualMs: this.now - START,
      elapsedMs: Date.now() - started,
      failure,
      counts: this.counts,
      database: this.backend,
      queries: this.queries,
      fingerprint: (this.hash >>> 0).toString(16),
    };
  }

  // --- set-up -------------------------------------------------------------------------------------

  /** Ids from the seed (dialogs, visitors, timer claims), so queue ties and logs replay exactly. */
  private installIds() {
    const next = () => (uniformInt(this.idRng, 0, 0xffff) >>> 0).toString(16).padStart(4, '0');
    const uuid = (): `${string}-${string}-${string}-${string}-${string}` => {
      const h = Array.from({ length: 8 }, next).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    };
    crypto.randomUUID = uuid;
    syncBuiltinESMExports();
  }

  private restoreIds() {
    crypto.randomUUID = this.originalRandomUUID;
    syncBuiltinESMExports();
  }

  private async setUp() {
    const db = this.backend === 'pglite' ? this.openPglite() : await this.openPostgres();
    db.on('query', (q: { sql: string }) => {
      if (process.env.SIM_QLOG) {
        const key = `${this.checking ? 'check' : 'event'} ${q.sql.slice(0, 110)}`;
        SQL_COUNTS.set(key, (SQL_COUNTS.get(key) ?? 0) + 1);
      }
      if (this.checking) this.queries.checks += 1;
      else this.queries.events += 1;
    });
    for (const name of ['node-a', 'node-b', 'node-c']) this.nodes.push(await this.startNode(name));
    this.operators = (await this.nodes[0]!.engine.operatorsRepo.list()).filter((o) => o.role === 'operator');
    const engine = this.nodes[0]!.engine;
    const emails = new Map(this.operators.map((o) => [o.id, o.email]));
    this.liveness = new LivenessMonitor(db, this.store, {
      boundMs: this.bound,
      presenceGraceMs: GRACE_MS,
      // rankOperators expects the group's members (the dispatcher passes listOperators(groupId)).
      mayTake: (operator, dialog, waitedMs) =>
        operator.groups.some((g) => g.groupId === dialog.groupId) &&
        engine.decisions().rankOperators(
          dialog.groupId,
          [{ ...operator, status: 'online', load: 0 }],
          {
            waitedMs,
            widened: dialog.widened,
            excludedOperatorIds: [],
            kind: dialog.kind,
            topicId: dialog.topicId,
            regionId: dialog.regionId,
            language: null,
          },
          this.now,
          (id) => emails.get(id),
        ).length > 0,
    });
  }

  private openPglite(): Knex {
    const db = knexFactory({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: { filename: 'memory://' },
    } as Knex.Config);
    this.database = { db, backend: 'pglite', close: () => db.destroy() };
    return db;
  }

  /**
   * The local Postgres in a fresh schema, through ONE pooled connection: statements run in the order
   * the instances issue them (as on PGlite), so a seed replays exactly; the server does the SQL work
   * on the other core.
   */
  private async openPostgres(): Promise<Knex> {
    const schema = freshSchema();
    const db = knexFactory({
      client: 'pg',
      connection: TEST_DATABASE_URL,
      searchPath: [schema, 'public'],
      pool: {
        min: 1,
        max: 1,
        afterCreate: (
          conn: { query: (sql: string, cb: (err: Error | null) => void) => void },
          done: (err: Error | null, conn: unknown) => void,
        ) => {
          conn.query(`SET search_path TO "${schema}", public; SET synchronous_commit TO off`, (err) =>
            done(err, conn),
          );
        },
      },
      acquireConnectionTimeout: 60_000,
    });
    await db.raw(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    this.database = {
      db,
      backend: 'postgres',
      close: async () => {
        await db.destroy();
        await dropSchema(schema);
      },
    };
    return db;
  }

  private async startNode(name: string): Promise<SimNode> {
    const config = loadConfig({
      NODE_ID: name,
      LOG_LEVEL: 'silent',
      ROUTING_CONFIG: SIM_ROUTING,
      SEED_DEMO: 'true',
      TIMER_POLL_MS: String(POLL_MS),
      TIMER_LEASE_MS: String(LEASE_MS),
      RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
      PRESENCE_GRACE_MS: String(GRACE_MS),
      DATA_DIR: '/nonexistent-sim',
    });
    const shared: SharedBackends = { database: this.database, store: this.store, locks: this.locks };
    const clock = () => this.now;
    const engine = await createEngine(config, clock, shared);
    const inflight: Inflight = { count: 0, waiters: [] };
    const node: SimNode = {
      name,
      engine,
      reconciler: new Reconciler({
        repo: engine.repo,
        store: this.store,
        routingState: engine.routingState,
        assignments: engine.assignments,
        locks: this.locks,
        logger: engine.logger,
        clock,
        intervalMs: RECONCILE_MS,
        stranded: engine.visitors,
        dialogs: engine.dialogs,
        presence: {
          operators: engine.operators,
          accounts: engine.operatorsRepo,
          graceMs: GRACE_MS,
          aliveTtlMs: 2 * HEARTBEAT_MS,
        },
      }),
      alive: true,
      inflight,
      grace: new Map(),
      lastTick: this.now,
      lastReconcile: this.now,
      lastBeat: this.now - HEARTBEAT_MS,
    };
    // Count transitions in flight (also those the dispatcher starts without awaiting), so an event
    // is over only when every instance is quiet.
    const dispatch = engine.dialogs.dispatch.bind(engine.dialogs);
    engine.dialogs.dispatch = async (...args) => {
      inflight.count += 1;
      try {
        return await dispatch(...args);
      } finally {
        inflight.count -= 1;
        if (inflight.count === 0) for (const wake of inflight.waiters.splice(0)) wake();
      }
    };
    this.applyPlant(node);
    await engine.assignments.triggerAll();
    return node;
  }

  /** The planted bugs: each overrides one piece of the instance, nothing in the engine's source. */
  private applyPlant(node: SimNode) {
    const { engine } = node;
    switch (this.options.plant) {
      case 'never-clear-exclusions': {
        // An exclusion never lapses: the ranking leaves out every excluded operator, with no time limit
        // and even when nobody else may take the dialog (routing-rules lets exclusions lapse in both
        // cases; the decisions object is the instance's own, cached while the config is unchanged).
        const decisions = engine.decisions();
        const rank = decisions.rankOperators.bind(decisions);
        decisions.rankOperators = (groupId, operators, dialog, now, emailOf) =>
          rank(groupId, operators, dialog, now, emailOf).filter(
            (id) => !dialog.excludedOperatorIds.includes(id),
          );
        // And every transition keeps the operators excluded before it, whatever the machine decided.
        const save = engine.repo.saveTransition.bind(engine.repo);
        engine.repo.saveTransition = async (executor, id, version, changes, write) => {
          const before = await engine.repo.findDialog(id, executor);
          const snapshot = changes.snapshot;
          if (before && isSnapshot(snapshot) && isSnapshot(before.snapshot)) {
            const kept = before.snapshot.context.excludedOperatorIds.filter(
              (o) => !snapshot.context.excludedOperatorIds.includes(o),
            );
            snapshot.context.excludedOperatorIds.push(...kept);
          }
          return save(executor, id, version, changes, write);
        };
        break;
      }
      case 'drop-triggers':
        // Capacity appearing (presence, closes, releases) no longer wakes the dispatcher.
        engine.assignments.trigger = async () => undefined;
        break;
      default:
        break;
    }
  }

  private async tearDown() {
    for (const node of this.nodes) {
      node.reconciler.stop();
      node.engine.assignments.stop();
    }
    await this.database?.close().catch(() => undefined);
  }

  // --- the schedule -------------------------------------------------------------------------------

  private int(min: number, max: number) {
    return uniformInt(this.rng, min, max);
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(0, items.length - 1)];
  }

  private liveNodes() {
    return this.nodes.filter((n) => n.alive);
  }

  private record(line: string) {
    this.log.push(line);
    if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
    for (let i = 0; i < line.length; i++) this.hash = Math.imul(this.hash ^ line.charCodeAt(i), 16777619);
  }

  /** One random event, awaited until every instance is quiet; returns its description. */
  private async step(): Promise<string> {
    await this.advance(this.int(50, 400));
    const roll = this.int(0, 999);
    let kind: string;
    if (roll < 130) kind = 'arrive';
    else if (roll < 260) kind = 'visitor-message';
    else if (roll < 300) kind = 'visitor-close';
    else if (roll < 330) kind = 'contact';
    else if (roll < 370) kind = 'connect';
    else if (roll < 400) kind = 'disconnect';
    else if (roll < 470) kind = 'presence';
    else if (roll < 580) kind = 'operator-message';
    else if (roll < 640) kind = 'operator-close';
    else if (roll < 690) kind = 'accept';
    else if (roll < 720) kind = 'decline';
    else if (roll < 740) kind = 'transfer';
    else if (roll < 900) kind = 'tick';
    else if (roll < 940) kind = 'silence';
    else if (roll < 960) kind = 'reconcile';
    else if (roll < 970) kind = 'node-death';
    else if (roll < 980) kind = 'crash-point';
    else kind = 'restart';
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    let description: string;
    try {
      description = await this.perform(kind, this.pick(this.liveNodes()));
    } catch (error) {
      description = `${kind}: ${this.describeError(error)}`;
    }
    await this.settle();
    return description;
  }

  private describeError(error: unknown): string {
    if (error instanceof SimulatedCrash) return `crash of ${error.node}`;
    if (error instanceof AppError) return `refused ${error.code}${error.field ? ` (${error.field})` : ''}`;
    // Anything else is a bug the engine let escape as a 500; it fails the run.
    this.unexpected.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return `ERROR ${error instanceof Error ? error.message : String(error)}`;
  }

  private unexpected: string[] = [];

  private async perform(kind: string, node: SimNode | undefined): Promise<string> {
    if (!node) return kind === 'restart' ? this.restart() : `${kind}: no live node`;
    const { engine } = node;
    switch (kind) {
      case 'arrive': {
        if (this.visitors.length >= 30) {
          const gone = this.visitors.shift()!;
          await engine.visitors.close({ visitorId: gone.id, siteId: 'demo' }, undefined);
        }
        const { visitor } = await engine.visitors.identify({ siteId: 'demo' }, { language: 'en' });
        this.visitors.push({ id: visitor.id, messages: 0 });
        const groupId = this.pick(['sales', 'sales', 'support', 'offers', 'ghost', undefined] as const);
        const withMessage = this.int(0, 1) === 1;
        const view = await engine.visitors.start(
          { visitorId: visitor.id, siteId: 'demo' },
          {
            kind: 'chat',
            choice: groupId ? { groupId } : {},
            page: { url: 'https://shop.test/' },
            ...(withMessage ? { message: { clientMessageId: 'm0', body: 'Hello' } } : {}),
          },
          { language: 'en' },
        );
        return `arrive ${short(visitor.id)} → ${groupId ?? 'default'} on ${node.name}: ${view.state}`;
      }
      case 'visitor-message': {
        const visitor = this.pick(this.visitors);
        if (!visitor) return 'visitor-message: nobody';
        visitor.messages += 1;
        await engine.visitors.sendMessage(
          { visitorId: visitor.id, siteId: 'demo' },
          { clientMessageId: `m${visitor.messages}`, body: 'Still there?' },
        );
        return `visitor ${short(visitor.id)} writes on ${node.name}`;
      }
      case 'visitor-close': {
        const visitor = this.pick(this.visitors);
        if (!visitor) return 'visitor-close: nobody';
        this.visitors = this.visitors.filter((v) => v !== visitor);
        await engine.visitors.close({ visitorId: visitor.id, siteId: 'demo' }, undefined);
        return `visitor ${short(visitor.id)} closes on ${node.name}`;
      }
      case 'contact': {
        const visitor = this.pick(this.visitors);
        if (!visitor) return 'contact: nobody';
        await engine.visitors.leaveContact(
          { visitorId: visitor.id, siteId: 'demo' },
          { contact: `+1 555 010 ${String(this.int(1000, 9999))}` },
        );
        return `visitor ${short(visitor.id)} leaves a phone`;
      }
      case 'connect': {
        const operator = this.pick(this.operators)!;
        const mine = this.connections.get(operator.id) ?? new Map<string, number>();
        mine.set(node.name, (mine.get(node.name) ?? 0) + 1);
        this.connections.set(operator.id, mine);
        node.grace.delete(operator.id);
        await engine.store.beatConnection(operator.id, node.name, this.now + 2 * HEARTBEAT_MS);
        // The console sets its presence right after connecting.
        const status = this.pick(['online', 'online', 'away'] as const)!;
        await engine.operators.setPresence(operator, status);
        return `${operator.email} connects to ${node.name}, ${status}`;
      }
      case 'disconnect': {
        const operator = this.pick(this.operators)!;
        const mine = this.connections.get(operator.id);
        const where = mine ? this.pick([...mine.keys()]) : undefined;
        if (!mine || !where) return `${operator.email} has no connection`;
        const left = (mine.get(where) ?? 1) - 1;
        if (left > 0) mine.set(where, left);
        else mine.delete(where);
        const home = this.nodes.find((n) => n.name === where && n.alive);
        home?.grace.set(operator.id, this.now + GRACE_MS);
        // A closing socket marks its heartbeat as ended (its node is alive to do so).
        if (home && left === 0) await home.engine.store.beatConnection(operator.id, where, this.now);
        return `${operator.email} disconnects from ${where}`;
      }
      case 'presence': {
        const operator = this.pick(this.operators)!;
        if (!this.isConnected(operator.id)) return `${operator.email} not connected`;
        const status = this.pick(['online', 'online', 'away', 'offline'] as const)!;
        await engine.operators.setPresence(operator, status);
        return `${operator.email} → ${status}`;
      }
      case 'operator-message':
      case 'operator-close':
      case 'transfer': {
        const held = await engine.repo.dialogsInStates(['assigned', 'active']);
        const row = this.pick(held);
        const operator = row && this.operators.find((o) => o.id === row.operatorId);
        if (!row || !operator) return `${kind}: nothing held`;
        if (kind === 'operator-message') {
          await engine.operators.sendMessage(operator, {
            dialogId: row.id,
            clientMessageId: `o${this.int(0, 1e9)}`,
            body: 'On it',
          });
          return `${operator.email} answers ${short(row.id)}`;
        }
        if (kind === 'operator-close') {
          await engine.operators.close(operator, { dialogId: row.id, outcome: 'resolved' });
          return `${operator.email} closes ${short(row.id)}`;
        }
        const other = this.pick(this.operators.filter((o) => o.id !== operator.id))!;
        const toGroup = this.int(0, 1) === 0;
        await engine.operators.transfer(
          operator,
          toGroup
            ? { dialogId: row.id, toGroupId: this.pick(['sales', 'support', 'offers'])! }
            : { dialogId: row.id, toOperatorId: other.id },
        );
        return `${operator.email} transfers ${short(row.id)} to ${toGroup ? 'a group' : other.email}`;
      }
      case 'accept':
      case 'decline': {
        const offered = await engine.repo.dialogsInStates(['offered']);
        const row = this.pick(offered);
        const operator = row && this.operators.find((o) => o.id === row.operatorId);
        if (!row || !operator) return `${kind}: no offer`;
        if (kind === 'accept') await engine.operators.acceptOffer(operator, row.id);
        else await engine.operators.declineOffer(operator.id, row.id, 'declined');
        return `${operator.email} ${kind}s ${short(row.id)}`;
      }
      case 'tick':
        await this.advance(this.int(200, 3_000));
        return 'time passes';
      case 'silence': {
        const ms = this.int(20_000, 120_000);
        await this.advance(ms);
        return `silence of ${Math.round(ms / 1000)} s`;
      }
      case 'reconcile': {
        await this.reconcile(node);
        return `reconciler on ${node.name}`;
      }
      case 'node-death':
        if (this.liveNodes().length < 2) return 'node-death: last node spared';
        this.kill(node);
        return `${node.name} dies`;
      case 'crash-point': {
        if (this.liveNodes().length < 2) return 'crash-point: last node spared';
        const after = this.int(0, 2);
        let commits = 0;
        node.engine.dialogs.afterCommit = () => {
          if (commits++ === after) {
            this.kill(node);
            throw new SimulatedCrash(node.name);
          }
        };
        const action = this.pick([
          'arrive',
          'visitor-message',
          'presence',
          'operator-close',
          'accept',
          'transfer',
          'connect',
        ])!;
        try {
          return `armed ${node.name} (commit ${after}): ${await this.perform(action, node)}`;
        } finally {
          if (node.alive) node.engine.dialogs.afterCommit = null;
        }
      }
      case 'restart':
        return this.restart();
      default:
        return `unknown ${kind}`;
    }
  }

  private isConnected(operatorId: string) {
    return [...(this.connections.get(operatorId)?.values() ?? [])].some((n) => n > 0);
  }

  /** Abrupt stop: in-memory state (grace timers, dispatcher runs) gone, its sockets dropped. */
  private kill(node: SimNode) {
    node.alive = false;
    node.grace.clear();
    node.engine.assignments.stop();
    // Work of the dead instance still on the event loop must not commit anything more.
    node.engine.dialogs.afterCommit = () => {
      throw new SimulatedCrash(node.name);
    };
    for (const mine of this.connections.values()) mine.delete(node.name);
  }

  private async restart(): Promise<string> {
    if (this.liveNodes().length >= 3) return 'restart: all nodes up';
    this.generation += 1;
    const name = `node-${this.generation}`;
    this.nodes.push(await this.startNode(name));
    if (this.nodes.length > 12) this.nodes.splice(0, this.nodes.findIndex((n) => !n.alive) + 1 || 0);
    return `${name} starts`;
  }

  private async reconcile(node: SimNode) {
    node.lastReconcile = this.now;
    await this.locks.tryLease('reconcile', RECONCILE_MS * 2, async () => {
      await node.reconciler.run();
      await node.reconciler.expirePresence();
    });
  }

  /** Virtual time passes in steps of the timer poll; each live node runs its background work. */
  private async advance(ms: number) {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + POLL_MS);
      for (const node of this.liveNodes()) {
        for (const [operatorId, due] of [...node.grace]) {
          if (due > this.now) continue;
          node.grace.delete(operatorId);
          const operator = this.operators.find((o) => o.id === operatorId);
          if (operator && !this.isConnected(operatorId))
            await this.guard(node.engine.operators.setPresence(operator, 'offline'));
        }
        if (this.now - node.lastBeat >= HEARTBEAT_MS) {
          node.lastBeat = this.now;
          for (const [operatorId, mine] of this.connections) {
            if ((mine.get(node.name) ?? 0) > 0)
              await this.guard(
                node.engine.store.beatConnection(operatorId, node.name, this.now + 2 * HEARTBEAT_MS),
              );
          }
        }
        if (this.now - node.lastTick >= POLL_MS) {
          node.lastTick = this.now;
          await this.guard(node.engine.timers.tick());
        }
        if (this.now - node.lastReconcile >= RECONCILE_MS) await this.guard(this.reconcile(node));
      }
      await this.settle();
    }
  }

  private async guard(work: Promise<unknown>) {
    try {
      await work;
    } catch (error) {
      this.record(`  background: ${this.describeError(error)}`);
    }
  }

  /**
   * Until no instance has a transition or a dispatcher run in flight. A busy instance is awaited (its
   * last transition wakes us), not polled: spinning would take the core the database needs.
   */
  private async settle() {
    for (let round = 0; round < 1000; round++) {
      await new Promise((r) => setImmediate(r));
      await Promise.all(this.nodes.map((n) => n.engine.assignments.idle()));
      await new Promise((r) => setImmediate(r));
      const busy = this.nodes.find((n) => n.inflight.count > 0);
      if (!busy) return;
      let timer: NodeJS.Timeout | undefined;
      const stuck = await Promise.race([
        new Promise<false>((r) => busy.inflight.waiters.push(() => r(false))),
        new Promise<true>((r) => {
          timer = setTimeout(() => r(true), SETTLE_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (stuck) break;
    }
    throw new Error('the simulation did not settle');
  }

  // --- checks -------------------------------------------------------------------------------------

  private async check(): Promise<string[]> {
    this.checking = true;
    try {
      return await this.checkAll();
    } finally {
      this.checking = false;
    }
  }

  private async checkAll(): Promise<string[]> {
    const violations: string[] = this.unexpected.splice(0).map((e) => `unexpected error: ${e}`);
    const connected = new Set([...this.connections].filter(([id]) => this.isConnected(id)).map(([id]) => id));
    // One read of the open dialogs serves both checks (nothing runs between them).
    const rows = await readOpenDialogs(this.database.db);
    const safety = await checkSafety(this.database.db, this.store, rows);
    violations.push(...this.safety.judge(safety, this.now, this.bound + 2 * RECONCILE_MS));
    const report = await this.liveness.check({ now: this.now, connected, rows });
    violations.push(...report.violations.map((v) => `${v.rule} ${v.subject}: ${v.detail}`));
    return violations;
  }
}

/** The kind of a violation: its rule, or the safety check's first words. */
export function kindOf(violation: string): string {
  const rule = /^(L[1-4]) /.exec(violation);
  if (rule) return rule[1]!;
  return violation
    .split(/[:(]/)[0]!
    .replace(/ for \d+ ms$/, '')
    .trim();
}

function short(id: string) {
  return id.slice(0, 8);
}

function isSnapshot(value: unknown): value is { context: { excludedOperatorIds: string[] } } {
  if (typeof value !== 'object' || value === null || !('context' in value)) return false;
  const context = value.context;
  return (
    typeof context === 'object' &&
    context !== null &&
    'excludedOperatorIds' in context &&
    Array.isArray(context.excludedOperatorIds)
  );
}

/** Runs one seed and formats a failure for the console (the replay command included). */
export function describeFailure(failure: SimFailure): string {
  return [
    `seed ${failure.seed} failed at event ${failure.index}: ${failure.event}`,
    ...failure.violations.slice(0, 10).map((v) => `  ${v}`),
    '  last events:',
    ...failure.tail.map((l) => `    ${l}`),
    `  replay: ${failure.plant ? `SIM_PLANT=${failure.plant} ` : ''}SIM_SEED=${failure.seed} SIM_EVENTS=${failure.index + 1} npm run sim`,
  ].join('\n');
}
