import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseRoutingYaml } from '@hotline/routing-rules';
import { z } from 'zod';
import { KNOWN_DEMO_PASSWORDS } from './accounts/demo-accounts';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlWithProtocols = (protocols: string[], label: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `not a ${label} URL` },
  );

/** Every environment variable the engine reads, with its default; README's configuration table mirrors it. */
export const EnvSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:'], 'postgres://').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lowercase SQL identifier')
    .optional(),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:'], 'redis://').optional(),
  /** REDIS_URL names one node of a Redis Cluster (see docs/redis.md). */
  REDIS_CLUSTER: booleanFlag.default(false),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
    .default('hl'),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ROUTING_CONFIG: z.string().min(1).default('./routing.yaml'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: booleanFlag.default(false),
  ADMIN_EMAIL: z.email('not an e-mail address').optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  NODE_ID: z.string().min(1).default(hostname()),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(0)
    .default(10_000),
  MIGRATE_ON_START: booleanFlag.default(true),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  REOPEN_WINDOW_SECONDS: z.coerce.number().int().min(0).default(600),
  PRESENCE_GRACE_MS: z.coerce.number().int().min(0).default(15_000),
  /** How often the node holding an operator's socket renews its heartbeat in the routing store (alive for twice this). */
  PRESENCE_HEARTBEAT_MS: z.coerce.number().int().min(50).default(5000),
  TIMER_POLL_MS: z.coerce.number().int().min(10).default(250),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  TIMER_LEASE_MS: z.coerce.number().int().min(100).default(10_000),
  /** How long an operator session lasts from its login (its token's `exp`); revocable before. */
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(12 * 3600),
  /** Reverse proxies in front of the engine whose X-Forwarded-For is believed (express `trust proxy`). */
  TRUST_PROXY: z.coerce
    .number({ message: 'must be a number of proxy hops (0, 1, 2 ...)' })
    .int('must be a number of proxy hops (0, 1, 2 ...)')
    .min(0)
    .max(10)
    .default(0),
  /** Login attempts from one address across e-mails per LOGIN_WINDOW_SECONDS. */
  LOGIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).default(20),
  /** `production` refuses demo accounts and demo passwords (refuseDemoInProduction). */
  NODE_ENV: z.string().optional(),
  /** Where browsers reach the console (`https://chat.example.com`): the only origin /operator and the console's REST accept. */
  PUBLIC_URL: urlWithProtocols(['http:', 'https:'], 'http(s)://').optional(),
  /** Port of the Prometheus /metrics listener (not served on PORT); unset: no metrics endpoint. */
  METRICS_PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535).optional(),
  /** Visitor limits (docs/protocol.md "Limits"): events allowed per visitor and per client address in a window. */
  VISITOR_MESSAGES_PER_10S: z.coerce.number().int().min(1).default(10),
  VISITOR_STARTS_PER_MINUTE: z.coerce.number().int().min(1).default(5),
  VISITOR_EVENTS_PER_10S: z.coerce.number().int().min(1).default(30),
  VISITOR_HANDSHAKES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  ADDRESS_MESSAGES_PER_10S: z.coerce.number().int().min(1).default(50),
  ADDRESS_STARTS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  ADDRESS_EVENTS_PER_10S: z.coerce.number().int().min(1).default(150),
  ADDRESS_HANDSHAKES_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  ADDRESS_TOKENS_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  /** How long blocking a visitor also refuses his client address (0: the token only). */
  VISITOR_BLOCK_ADDRESS_SECONDS: z.coerce.number().int().min(0).default(86_400),
  /** Where attachments' bytes live (docs/attachments.md); unset: `postgres` with DATABASE_URL, else `disk` (DATA_DIR/files). */
  FILE_STORE: z.enum(['disk', 'postgres', 's3'], { message: 'must be disk, postgres or s3' }).optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not an S3 bucket name')
    .optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** An S3-compatible server (MinIO, Ceph, R2...); unset: AWS. */
  S3_ENDPOINT: urlWithProtocols(['http:', 'https:'], 'http(s)://').optional(),
  S3_FORCE_PATH_STYLE: booleanFlag.default(false),
  /** Unset: the AWS SDK's default credentials (environment, shared config, the pod's or instance's role). */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Files (docs/attachments.md): how long signed download links last; upload slots per visitor and per address. */
  ATTACHMENT_LINK_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(3600),
  VISITOR_ATTACHMENTS_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  ADDRESS_ATTACHMENTS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** Optional virus scan of every upload through clamd's INSTREAM (both or neither). */
  CLAMD_HOST: z.string().min(1).optional(),
  CLAMD_PORT: z.coerce.number({ message: 'must be a port number' }).int().min(1).max(65535).optional(),
});

export type EngineConfig = z.infer<typeof EnvSchema> & { dataDir: string; routingConfigPath: string };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable}: ${reason}`);
  }
}

/**
 * Reads and validates the environment once. The only place that touches process.env:
 * everything else receives the typed config.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const config = parsed.data;
  if (config.ADMIN_EMAIL && !config.ADMIN_PASSWORD)
    throw new ConfigError('ADMIN_PASSWORD', 'required with ADMIN_EMAIL');
  if (!config.CLAMD_HOST !== !config.CLAMD_PORT)
    throw new ConfigError(
      config.CLAMD_HOST ? 'CLAMD_PORT' : 'CLAMD_HOST',
      'CLAMD_HOST and CLAMD_PORT go together',
    );
  if (config.FILE_STORE === 's3' && !config.S3_BUCKET)
    throw new ConfigError('S3_BUCKET', 'required with FILE_STORE=s3');
  if (!config.S3_ACCESS_KEY_ID !== !config.S3_SECRET_ACCESS_KEY)
    throw new ConfigError(
      config.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID',
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together',
    );
  if (config.NODE_ENV === 'production') {
    if (config.SEED_DEMO)
      throw new ConfigError('SEED_DEMO', 'demo accounts are refused with NODE_ENV=production');
    if (config.ADMIN_PASSWORD && KNOWN_DEMO_PASSWORDS.includes(config.ADMIN_PASSWORD))
      throw new ConfigError('ADMIN_PASSWORD', 'a known demo password is refused with NODE_ENV=production');
  }
  return { ...config, dataDir: resolve(config.DATA_DIR), routingConfigPath: resolve(config.ROUTING_CONFIG) };
}

/**
 * The routing file, when there is one, must be valid: checked before anything is built or opened, so a
 * typo stops `npm start` at once (exit 2) rather than after the build. A missing file is not an error
 * here: a database that already holds a routing config does not read it (the engine reports a missing
 * file when it needs one).
 */
export function checkRoutingFile(config: Pick<EngineConfig, 'routingConfigPath'>): void {
  const path = config.routingConfigPath;
  if (!existsSync(path)) return;
  const parsed = parseRoutingYaml(readFileSync(path, 'utf8'));
  if (!parsed.ok)
    throw new ConfigError(
      'ROUTING_CONFIG',
      `${path} is invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
}
