import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import cookieParser from 'cookie-parser';
import express from 'express';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents } from '@hotline/protocol';
import { Server as SocketServer } from 'socket.io';
import { AuthService } from './accounts/auth-service';
import { Authorization } from './accounts/authorization';
import {
  type LoginThrottle,
  loginLimitsOf,
  MemoryLoginThrottle,
  RedisLoginThrottle,
} from './accounts/login-throttle';
import { OperatorDirectory } from './accounts/operator-directory';
import { OperatorRepository } from './accounts/operator-repository';
import { refuseDemoAccountsInProduction, seedAccounts } from './accounts/seed';
import { SessionRepository } from './accounts/session-repository';
import { SessionSigner, sessionSecret } from './accounts/sessions';
import { AttachmentLinks } from './attachments/attachment-links';
import { AttachmentRepository } from './attachments/attachment-repository';
import { AttachmentService } from './attachments/attachment-service';
import { ClamdScanner } from './attachments/clamd-scanner';
import type { FileStore } from './attachments/file-store';
import { createFileStore } from './attachments/file-stores';
import { Reconciler } from './background/reconciler';
import { RoutingState } from './background/routing-state';
import { TimerWorker } from './background/timer-worker';
import { type EngineConfig, loadConfig } from './config';
import { AssignmentDispatcher } from './dialog/assignment-dispatcher';
import { DashboardPush } from './dialog/change-consumers/dashboard-push';
import { metricsConsumer } from './dialog/change-consumers/metrics-consumer';
import { OperatorUpdates } from './dialog/change-consumers/operator-updates';
import { DialogReader } from './dialog/dialog-reader';
import { DialogService } from './dialog/dialog-service';
import { WaitEstimator } from './dialog/wait-estimator';
import { apiRoutes } from './http/api-routes';
import { attachmentRoutes } from './http/attachment-routes';
import { authRoutes } from './http/auth-routes';
import { healthRoutes } from './http/health-routes';
import { errorMiddleware, requestLogging } from './http/middleware';
import { securityHeaders } from './http/security-headers';
import { guardOrigins, OriginPolicy, operatorOriginCheck, visitorOriginCheck } from './http/origins';
import { refuseNulBytes } from './http/request-guards';
import { staticRoutes } from './http/static-routes';
import { type Locks, MemoryLocks, RedisLocks } from './locks/dialog-locks';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics/metrics';
import { listenMetrics, type MetricsServer } from './metrics/metrics-server';
import { coalesceWritesPerTick } from './realtime/coalesced-writes';
import { releaseHandshakeRequests, socketServerOptions } from './realtime/socket-options';
import { DialogBroadcaster } from './realtime/dialog-broadcaster';
import { QueuePositions } from './dialog/change-consumers/queue-positions';
import { AccountService } from './services/account-service';
import { Notifier } from './realtime/notifier';
import {
  type OperatorNamespace,
  type OperatorSocketData,
  registerOperatorNamespace,
} from './realtime/operator-namespace';
import { VisitorLimits, visitorLimitRules } from './realtime/visitor-limits';
import {
  registerVisitorNamespace,
  type VisitorNamespace,
  type VisitorSocketData,
} from './realtime/visitor-namespace';
import { decisionsFor } from './routing-config/routing-decisions-impl';
import type { RoutingDecisions } from './routing-config/routing-decisions';
import { RoutingConfigService } from './routing-config/routing-config-service';
import { MemoryRoutingStore } from './routing-store/memory-routing-store';
import { RedisRoutingStore } from './routing-store/redis-routing-store';
import { attachRedisAdapter, connectRedis, type RedisClient } from './storage/redis-connection';
import type { RoutingStore } from './routing-store/routing-store';
import { type DatabaseHandle, migrate, openDatabase, ping } from './storage/database';
import { DialogRepository } from './storage/dialog-repository';
import { MessageRepository } from './storage/message-repository';
import { VisitorRepository } from './storage/visitor-repository';
import { VisitorBlockRepository } from './storage/visitor-block-repository';
import { ChangeListeners } from './services/change-listeners';
import { OperatorService } from './services/operator-service';
import { QuickReplyService } from './services/quick-reply-service';
import { eraseVisitor } from './services/visitor-erasure';
import { AuditRepository } from './storage/audit-repository';
import { ConfigVersionRepository } from './storage/config-version-repository';
import { QuickReplyRepository } from './storage/quick-reply-repository';
import { SettingsRepository } from './storage/settings-repository';
import { VisitorService } from './services/visitor-service';

/** Everything a running engine is made of; tests reach in through it. */
export interface Engine {
  config: EngineConfig;
  logger: Logger;
  metrics: Metrics;
  database: DatabaseHandle;
  redis: RedisClient | null;
  store: RoutingStore;
  locks: Locks;
  operatorsRepo: OperatorRepository;
  /** Every account's e-mail and names, kept per node (ranking, summaries, self-updates). */
  directory: OperatorDirectory;
  audit: AuditRepository;
  auth: AuthService;
  routingConfig: RoutingConfigService;
  decisions: () => RoutingDecisions;
  repo: DialogRepository;
  visitorRepo: VisitorRepository;
  messageRepo: MessageRepository;
  /** Committed dialog changes, assignments and queue moves: consumers subscribe here. */
  changes: ChangeListeners;
  dialogs: DialogService;
  reader: DialogReader;
  assignments: AssignmentDispatcher;
  visitors: VisitorService;
  operators: OperatorService;
  routingState: RoutingState;
  timers: TimerWorker;
  /** Who may read or act on which dialog and visitor: sockets and REST ask it alike. */
  access: Authorization;
  /** Where attachments' bytes live (FILE_STORE). */
  files: FileStore;
  attachments: AttachmentService;
}

export interface RunningServer {
  url: string;
  port: number;
  engine: Engine;
  http: HttpServer;
  io: SocketServer;
  broadcaster: DialogBroadcaster;
  /** `http://127.0.0.1:<METRICS_PORT>` when METRICS_PORT is set (serves /metrics only), else null. */
  metricsUrl: string | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Environment to read (defaults to process.env); overrides win over it. */
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** Background workers (timers, rebuild checks); tests of single steps may turn them off. */
  background?: boolean;
}

/**
 * Shared backends handed in instead of opened from the config: the deterministic simulation runs
 * several engine instances on one PGlite, one memory store and one lock table (engine/test/sim).
 */
export interface SharedBackends {
  database: DatabaseHandle;
  store: RoutingStore;
  locks: Locks;
}

/** Builds the engine (storage, routing state, services) without listening. */
export async function createEngine(
  config: EngineConfig,
  clock: () => number = Date.now,
  shared?: SharedBackends,
): Promise<Engine> {
  const logger = createLogger(config.LOG_LEVEL, config.NODE_ID);
  const metrics = createMetrics();
  const database =
    shared?.database ??
    (await openDatabase({
      url: config.DATABASE_URL,
      dataDir: config.dataDir,
      schema: config.DATABASE_SCHEMA,
    }));
  if (config.MIGRATE_ON_START) await migrate(database.db);
  const redis =
    config.REDIS_URL && !shared ? connectRedis(config.REDIS_URL, config.REDIS_CLUSTER, logger) : null;
  const store: RoutingStore =
    shared?.store ??
    (redis ? new RedisRoutingStore(redis, { prefix: config.REDIS_KEY_PREFIX }) : new MemoryRoutingStore());
  const locks: Locks =
    shared?.locks ??
    (redis ? new RedisLocks(redis, logger, `${config.REDIS_KEY_PREFIX}:lock:`) : new MemoryLocks());
  const loginLimits = loginLimitsOf(config);
  const throttle: LoginThrottle = redis
    ? new RedisLoginThrottle(redis, loginLimits, config.REDIS_KEY_PREFIX)
    : new MemoryLoginThrottle(loginLimits, clock);

  const operatorsRepo = new OperatorRepository(database.db);
  await seedAccounts(operatorsRepo, config, logger);
  await refuseDemoAccountsInProduction(operatorsRepo, config);
  const secret = await sessionSecret(new SettingsRepository(database.db), config.SESSION_SECRET);
  const auth = new AuthService(
    operatorsRepo,
    new SessionSigner(secret, config.SESSION_TTL_SECONDS),
    throttle,
    new SessionRepository(database.db),
    (outcome) => metrics.loginAttempts.inc({ outcome }),
  );

  const audit = new AuditRepository(database.db);
  const routingConfig = new RoutingConfigService(new ConfigVersionRepository(database.db, audit), logger);
  await routingConfig.load(config.routingConfigPath);
  let cached: RoutingDecisions | null = null;
  const decisions = (): RoutingDecisions => {
    const current = routingConfig.current();
    if (!cached || cached.version !== current.version) cached = decisionsFor(current.version, current.config);
    return cached;
  };

  const files = createFileStore(config, database.db);
  const attachments = new AttachmentService({
    repo: new AttachmentRepository(database.db),
    store: files,
    links: new AttachmentLinks(secret),
    config: () => routingConfig.current().config,
    clock,
    logger,
    linkTtlSeconds: config.ATTACHMENT_LINK_TTL_SECONDS,
    scanner:
      config.CLAMD_HOST && config.CLAMD_PORT ? new ClamdScanner(config.CLAMD_HOST, config.CLAMD_PORT) : null,
  });
  const messageRepo = new MessageRepository(database.db, attachments);
  const visitorRepo = new VisitorRepository(database.db, messageRepo);
  const repo = new DialogRepository(database.db, messageRepo);
  const changes = new ChangeListeners((error) => logger.warn({ err: error }, 'a change listener failed'));
  const estimator = new WaitEstimator({ repo, store, decisions, clock });
  // The service and the dispatcher call each other: the service's handoff reaches the dispatcher
  // built right below (through `assignments`); nothing is dispatched before both exist.
  const dialogs: DialogService = new DialogService({
    repo,
    visitorRepo,
    store,
    locks,
    decisions,
    estimator,
    logger,
    nodeId: config.NODE_ID,
    clock,
    routing: {
      holdNew: (context, locale, read, timers) => assignments.holdNew(context, locale, read, timers),
      assignedNew: (change, held) => assignments.assignedNew(change, held),
      arrive: (context, locale, row, ranked): Promise<void> =>
        assignments.arrive(context, locale, row, ranked),
      trigger: (groupId) => void assignments.trigger(groupId),
    },
  });
  dialogs.subscribe(metricsConsumer(metrics));
  const directory = new OperatorDirectory({ accounts: operatorsRepo, clock });
  await directory.load();
  const assignments: AssignmentDispatcher = new AssignmentDispatcher({
    store,
    repo,
    dialogs,
    decisions,
    directory,
    metrics,
    logger,
    clock,
    listener: changes,
  });
  const reader = new DialogReader({ repo, visitorRepo, messageRepo, directory, store, estimator });
  const visitors = new VisitorService({
    repo,
    visitorRepo,
    dialogs,
    reader,
    store,
    decisions,
    metrics,
    clock,
    reopenWindowMs: config.REOPEN_WINDOW_SECONDS * 1000,
    blocks: new VisitorBlockRepository(database.db),
    addressBlockMs: config.VISITOR_BLOCK_ADDRESS_SECONDS * 1000,
    attachments,
  });
  const access = new Authorization({ repo, visitorRepo, decisions });
  const operators = new OperatorService({
    access,
    repo,
    dialogs,
    reader,
    store,
    assignments,
    decisions,
    metrics,
    clock,
    accounts: operatorsRepo,
    blockVisitor: (visitorId, reason) => visitors.block(visitorId, reason),
    attachments,
  });
  const routingState = new RoutingState({
    accounts: operatorsRepo,
    repo,
    store,
    decisions,
    locks,
    logger,
    clock,
  });
  const timers = new TimerWorker({
    store,
    dialogs,
    operators,
    eligibility: assignments,
    logger,
    clock,
    pollMs: config.TIMER_POLL_MS,
    leaseMs: config.TIMER_LEASE_MS,
  });
  await routingState.ensureBuilt();
  await routingState.syncOperators();
  routingConfig.onChange(async () => {
    await routingState.syncOperators();
    await assignments.triggerAll();
  });

  return {
    config,
    logger,
    metrics,
    database,
    redis,
    store,
    locks,
    operatorsRepo,
    directory,
    audit,
    auth,
    routingConfig,
    decisions,
    repo,
    visitorRepo,
    messageRepo,
    changes,
    dialogs,
    reader,
    assignments,
    visitors,
    operators,
    routingState,
    timers,
    access,
    files,
    attachments,
  };
}

/** Starts the HTTP API, socket.io and the background workers on one port. */
export async function startServer(
  overrides: Partial<EngineConfig> = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  const config = { ...loadConfig(options.env ?? process.env), ...overrides };
  const engine = await createEngine(config, options.clock);
  const { logger, metrics, auth, store, database, redis } = engine;
  let shuttingDown = false;

  const origins = new OriginPolicy(config.PUBLIC_URL, () => engine.routingConfig.current().config.sites);
  warnAboutOrigins(origins, config, logger);

  const app = express();
  const http = createServer(app);
  // Frames up to the limit are read and answered (a payload above the app's own limit with bad_request).
  const io = new SocketServer<
    ClientToServerEvents,
    ServerToClientEvents,
    InterServerEvents,
    VisitorSocketData & OperatorSocketData
  >(http, socketServerOptions({ cors: origins.socketCors() }));
  releaseHandshakeRequests(io);
  coalesceWritesPerTick(io);
  const adapter = redis ? attachRedisAdapter(io, redis, `${config.REDIS_KEY_PREFIX}:socket.io`) : null;
  const visitorNs: VisitorNamespace = io.of('/visitor');
  const operatorNs: OperatorNamespace = io.of('/operator');
  const notifier = new Notifier(visitorNs, operatorNs, adapter?.peers ?? false);
  // Consumers of committed changes (docs/message-path.md): rooms, operator updates, queue positions, dashboard.
  const broadcaster = new DialogBroadcaster(notifier);
  const dashboard = new DashboardPush({
    source: () => engine.operators.dashboard(),
    push: (stats) => broadcaster.dashboard(stats),
    watched: () => notifier.hasLocalSupervisors(),
    tellOthers: () => notifier.toOtherNodes('dashboard:changed'),
    logger,
  });
  const positions = new QueuePositions({
    notifier,
    repo: engine.repo,
    store,
    metrics,
    logger,
    onFlushedHere: () => dashboard.changed(),
  });
  const operatorUpdates = new OperatorUpdates({
    pushes: broadcaster,
    moves: {
      queueChanged: (...g) => positions.queueChanged(...g),
      handleTimesChanged: (g) => positions.handleTimesChanged(g),
      dashboardChanged: () => dashboard.changed(),
    },
    store,
    directory: engine.directory,
    metrics,
    logger,
    clock: options.clock ?? Date.now,
  });
  engine.dialogs.subscribe(broadcaster.onChange);
  engine.dialogs.subscribe(operatorUpdates.onChange);
  const unsubscribe = engine.changes.subscribe(operatorUpdates);
  engine.operators.onTyping(({ visitorId, dialogId, typing }) =>
    notifier.toVisitor(visitorId, 'typing:operator', { dialogId, typing }),
  );
  engine.visitors.onTyping(({ operatorId, dialogId, typing }) =>
    notifier.toOperator(operatorId, 'typing:visitor', { dialogId, typing }),
  );
  engine.operators.onVisitorBlocked((visitorId) => notifier.disconnectVisitor(visitorId));
  engine.operators.onPresence((self) => {
    broadcaster.self(self);
    dashboard.changed();
  });
  const quickReplies = new QuickReplyService({
    replies: new QuickReplyRepository(database.db),
    accounts: engine.operatorsRepo,
    changed: (operatorId, list) =>
      notifier.toOperator(operatorId, 'quickReplies:changed', { quickReplies: list }),
  });

  app.disable('x-powered-by');
  app.use(requestLogging(logger));
  app.use(securityHeaders(config.PUBLIC_URL));
  // A fixed number of hops, never `true`: a client-written X-Forwarded-For must not pick its own address.
  app.set('trust proxy', config.TRUST_PROXY);
  // Before the JSON parser: an upload's body is the file, streamed, whatever its Content-Type.
  app.use(attachmentRoutes(engine.attachments, origins));
  app.use(express.json({ limit: '1mb' }));
  app.use(refuseNulBytes);
  app.use(cookieParser());
  app.use(guardOrigins(origins));
  app.use(
    healthRoutes(
      [
        {
          name: 'database',
          backend: database.backend,
          check: () => ping(database.db),
        },
        { name: 'routingStore', backend: store.kind, check: () => store.ping() },
      ],
      () => shuttingDown,
    ),
  );
  app.use(authRoutes(auth, engine.operatorsRepo, config.SESSION_TTL_SECONDS));
  app.use(
    apiRoutes({
      auth,
      routingConfig: engine.routingConfig,
      decisions: engine.decisions,
      accounts: new AccountService({
        accounts: engine.operatorsRepo,
        audit: engine.audit,
        auth,
        operators: engine.operators,
        syncRouting: () => {
          engine.directory.invalidate();
          return engine.routingState.syncOperators();
        },
      }),
      operators: engine.operators,
      reader: engine.reader,
      access: engine.access,
      quickReplies,
      eraseVisitor: async (visitorId) => {
        const erased = await eraseVisitor(
          { visitorRepo: engine.visitorRepo, files: engine.files },
          visitorId,
        );
        // His open widgets hold a token that names nobody now: they reconnect as a new visitor.
        engine.visitors.erased(visitorId);
        notifier.disconnectVisitor(visitorId);
        return erased;
      },
      someoneAvailable: async () => {
        const now = Date.now();
        const groupOpen = (groupId: string) => engine.decisions().policy.groupOpen(groupId, now);
        return (await store.listOperators()).some(
          (o) => o.status === 'online' && o.groups.some((g) => groupOpen(g.groupId)),
        );
      },
    }),
  );
  app.use(staticRoutes());
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such route' } });
  });
  app.use(errorMiddleware(logger));

  // Queue changes seen by other nodes move the positions of visitors connected here.
  notifier.onDashboardChangedElsewhere(() => dashboard.changedElsewhere());
  notifier.onQueueChangedElsewhere((groupIds) => {
    if (!Array.isArray(groupIds)) return;
    positions.queueChangedElsewhere(groupIds.filter((g) => typeof g === 'string'));
  });
  // New limits show on every operator's load indicator at once.
  engine.routingConfig.onChange(async () => {
    for (const operator of await store.listOperators()) operatorUpdates.selfUpdate(operator.operatorId);
    dashboard.changed();
  });
  visitorNs.use(visitorOriginCheck(origins));
  operatorNs.use(operatorOriginCheck(origins));
  const limits = new VisitorLimits(
    visitorLimitRules(config),
    redis,
    `${config.REDIS_KEY_PREFIX}:{limit}:`,
    (action, scope) => metrics.visitorRateLimited.inc({ action, scope }),
  );
  registerVisitorNamespace(visitorNs, {
    visitors: engine.visitors,
    logger,
    limits,
    trustProxy: config.TRUST_PROXY,
  });
  const operatorNamespace = registerOperatorNamespace(operatorNs, {
    auth,
    operators: engine.operators,
    store,
    logger,
    presenceGraceMs: config.PRESENCE_GRACE_MS,
    heartbeatMs: config.PRESENCE_HEARTBEAT_MS,
    clock: options.clock ?? Date.now,
  });

  let rebuildCheck: NodeJS.Timeout | null = null;
  const reconciler = new Reconciler({
    repo: engine.repo,
    store,
    routingState: engine.routingState,
    assignments: engine.assignments,
    locks: engine.locks,
    logger,
    clock: options.clock ?? Date.now,
    intervalMs: config.RECONCILE_INTERVAL_MS,
    stranded: engine.visitors,
    dialogs: engine.dialogs,
    files: engine.attachments,
    presence: {
      operators: engine.operators,
      accounts: engine.operatorsRepo,
      graceMs: config.PRESENCE_GRACE_MS,
      aliveTtlMs: 2 * config.PRESENCE_HEARTBEAT_MS,
      onChange: (wentOffline) => {
        for (const operatorId of wentOffline) operatorUpdates.selfUpdate(operatorId);
        dashboard.changed();
      },
    },
  });
  if (options.background !== false) {
    engine.timers.start();
    engine.routingConfig.startFollowing(engine.database);
    // Redis may lose its data at any time (restart without persistence, FLUSHALL): notice and rebuild.
    rebuildCheck = setInterval(() => {
      engine.routingState
        .ensureBuilt()
        .then(async (rebuilt) => {
          if (rebuilt) await engine.assignments.triggerAll();
        })
        .catch((error) => logger.warn({ err: error }, 'routing state check failed'));
    }, 1000);
    rebuildCheck.unref();
    reconciler.start();
  }
  await engine.assignments.triggerAll();

  await new Promise<void>((resolve) => http.listen(config.PORT, config.HOST, resolve));
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const metricsServer: MetricsServer | null =
    config.METRICS_PORT === undefined
      ? null
      : await listenMetrics(metrics.registry, config.METRICS_PORT, config.HOST);
  logger.info({ port, database: database.backend, routingStore: store.kind }, 'engine listening');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      shuttingDown = true;
      if (rebuildCheck) clearInterval(rebuildCheck);
      reconciler.stop();
      await engine.timers.stop();
      engine.routingConfig.stopFollowing();
      operatorNamespace.stop();
      unsubscribe();
      await positions.stop();
      dashboard.stop();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      io.disconnectSockets(true);
      http.closeIdleConnections();
      await Promise.race([closed, new Promise((r) => setTimeout(r, config.SHUTDOWN_TIMEOUT_MS))]);
      http.closeAllConnections();
      await engine.assignments.idle();
      engine.assignments.stop();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      adapter?.peers.stop();
      await Promise.all((adapter?.clients ?? []).map((c) => c.quit().catch(() => undefined)));
      await metricsServer?.close();
      await store.close();
      await engine.files.close();
      await database.close();
      await redis?.quit().catch(() => undefined);
      logger.info('engine stopped');
    })();
    return stopping;
  };

  return { url, port, engine, http, io, broadcaster, metricsUrl: metricsServer?.url ?? null, stop };
}

/** Start-time warnings for origin settings that are open on purpose but easy to leave open by mistake. */
function warnAboutOrigins(origins: OriginPolicy, config: EngineConfig, logger: Logger) {
  if (!config.PUBLIC_URL) {
    logger.warn(
      'PUBLIC_URL is not set: the console and /operator accept the host each request names (fine for development; set PUBLIC_URL in production)',
    );
  }
  for (const siteId of origins.openSites()) {
    logger.warn(
      { siteId },
      'site has no origins: its widget is accepted on any website (set sites[].origins to restrict it)',
    );
  }
}
