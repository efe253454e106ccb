import { readFile } from 'node:fs/promises';
import {
  type ConfigError,
  readRoutingYaml,
  type RoutingConfig,
  validateRoutingConfig,
  withCurrentKeys,
  withoutDefaultTexts,
} from '@hotline/routing-rules';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import {
  CONFIG_SAVED_TOPIC,
  type ConfigVersionRepository,
  type StoredConfigVersion,
} from '../storage/config-version-repository';
import type { DatabaseHandle, Listening } from '../storage/database';

export interface ConfigVersion {
  version: number;
  /** The config in effect: what was entered with today's defaults applied. */
  config: RoutingConfig;
  /** What the supervisor (or the file at first start) entered, as stored. */
  entered: unknown;
  createdAt: string;
  authorId: string | null;
  source: string;
  comment: string | null;
}

/** The parts of the config that can be edited one item at a time. */
export const CONFIG_PARTS = ['groups', 'topics', 'regions', 'operators', 'sites', 'rules'] as const;
export type ConfigPart = (typeof CONFIG_PARTS)[number];

type Listener = (current: ConfigVersion, previous: ConfigVersion | null) => void | Promise<void>;

/** 400 naming every error path of an invalid config. */
function invalidConfig(what: string, errors: ConfigError[]): AppError {
  const first = errors[0]!;
  return new AppError(
    'bad_request',
    `${what} has ${errors.length} error(s); first: ${first.path}: ${first.message}`,
    first.path,
    errors,
  );
}

/** A stored version read with today's defaults; a stored config that no longer validates is the engine's fault. */
function effective(stored: StoredConfigVersion): ConfigVersion {
  const result = validateRoutingConfig(stored.config);
  if (!result.ok) {
    const first = result.errors[0];
    throw new AppError(
      'internal',
      `stored routing config version ${stored.version} no longer validates: ${first?.path}: ${first?.message}`,
    );
  }
  // Edits start from the entered config under today's key names, so the next save writes those.
  return { ...stored, entered: withCurrentKeys(stored.config), config: result.config };
}

/**
 * The supervisors' routing config: versioned in Postgres (with author and time), validated as a
 * whole before saving, and followed by every node (a save NOTIFYs the others, which then read it, so
 * a save on one replica takes effect on all without a restart).
 */
export class RoutingConfigService {
  private currentVersion: ConfigVersion | null = null;
  private readonly listeners: Listener[] = [];
  private poller: NodeJS.Timeout | null = null;
  private listening: Listening | null = null;

  constructor(
    private readonly versions: ConfigVersionRepository,
    private readonly logger: Logger,
  ) {}

  current(): ConfigVersion {
    if (!this.currentVersion) throw new AppError('unavailable', 'routing config not loaded yet');
    return this.currentVersion;
  }

  onChange(listener: Listener) {
    this.listeners.push(listener);
  }

  /** Loads the latest saved version; on an empty database, the file at `path` becomes version 1. */
  async load(path: string): Promise<ConfigVersion> {
    const latest = await this.latest();
    if (latest) {
      await this.adopt(latest);
      return latest;
    }
    const parsed = readRoutingYaml(await readFile(path, 'utf8'));
    if (!parsed.ok) {
      throw new AppError(
        'bad_request',
        `${path} is invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        undefined,
        parsed.errors,
      );
    }
    return this.save(parsed.entered, {
      authorId: null,
      source: `file:${path}`,
      comment: 'loaded at first start',
    });
  }

  /** Validates and saves a whole new config; 400 with every error path when it is invalid. */
  async replace(
    input: unknown,
    meta: { authorId: string | null; comment?: string | null },
  ): Promise<ConfigVersion> {
    const result = validateRoutingConfig(input);
    if (!result.ok) throw invalidConfig('routing config', result.errors);
    return this.save(withoutDefaultTexts(input), {
      authorId: meta.authorId,
      source: 'api',
      comment: meta.comment ?? null,
    });
  }

  /** Adds or replaces one item of a part (operators are keyed by operatorEmail, the rest by id). */
  async replacePart(
    part: ConfigPart,
    id: string,
    item: unknown,
    authorId: string,
  ): Promise<{ saved: ConfigVersion; created: boolean }> {
    const { items, matches, keyField } = this.partItems(part);
    const replacement = { ...(typeof item === 'object' && item !== null ? item : {}), [keyField]: id };
    const exists = items.some((i) => matches(i, id));
    const next = exists ? items.map((i) => (matches(i, id) ? replacement : i)) : [...items, replacement];
    const saved = await this.replace(
      { ...this.enteredParts(), [part]: next },
      { authorId, comment: `${exists ? 'edited' : 'added'} ${part}/${id}` },
    );
    return { saved, created: !exists };
  }

  async removePart(part: ConfigPart, id: string, authorId: string): Promise<ConfigVersion> {
    const { items, matches } = this.partItems(part);
    if (!items.some((i) => matches(i, id))) throw new AppError('not_found', `${part}/${id} not found`);
    const next = items.filter((i) => !matches(i, id));
    return this.replace(
      { ...this.enteredParts(), [part]: next },
      { authorId, comment: `removed ${part}/${id}` },
    );
  }

  /** The entered config's top-level parts (it validated when saved, so it is an object). */
  private enteredParts(): Record<string, unknown> {
    const entered = this.current().entered;
    return typeof entered === 'object' && entered !== null ? { ...entered } : {};
  }

  /** One part's items as entered: edits start from what was entered, so no default gets stored. */
  private partItems(part: ConfigPart) {
    type Item = Record<string, unknown>;
    const list = this.enteredParts()[part];
    const items: Item[] = Array.isArray(list)
      ? list.filter((i): i is Item => typeof i === 'object' && i !== null)
      : [];
    const keyField = part === 'operators' ? 'operatorEmail' : 'id';
    // An e-mail is one operator in any case, as the schema stores it lowercase.
    const norm = (key: unknown) =>
      part === 'operators' && typeof key === 'string' ? key.toLowerCase() : key;
    return { items, keyField, matches: (item: Item, id: string) => norm(item[keyField]) === norm(id) };
  }

  async history(limit = 50): Promise<Omit<ConfigVersion, 'config' | 'entered'>[]> {
    return this.versions.history(limit);
  }

  async version(version: number): Promise<ConfigVersion | null> {
    const stored = await this.versions.find(version);
    return stored ? effective(stored) : null;
  }

  /**
   * Follows saves made by other nodes: on their NOTIFY when the database can listen, and by polling
   * the latest version number every `pollMs` (every `fallbackPollMs` while listening: a notification
   * lost with its connection is caught up on reconnect, the slow poll is the last resort).
   */
  startFollowing(
    database?: Pick<DatabaseHandle, 'listen'>,
    { pollMs = 1000, fallbackPollMs = 60_000 }: { pollMs?: number; fallbackPollMs?: number } = {},
  ) {
    const refresh = () =>
      this.refresh().catch((error) => this.logger.warn({ err: error }, 'routing config refresh failed'));
    this.listening =
      database?.listen?.(CONFIG_SAVED_TOPIC, refresh, (error) =>
        this.logger.warn({ err: error }, 'routing config listener failed; connecting again'),
      ) ?? null;
    this.poller = setInterval(refresh, this.listening ? fallbackPollMs : pollMs);
    this.poller.unref();
  }

  stopFollowing() {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.listening?.stop().catch(() => undefined);
    this.listening = null;
  }

  async refresh(): Promise<void> {
    const latestNumber = await this.versions.latestNumber();
    if (latestNumber !== null && latestNumber !== this.currentVersion?.version) {
      const latest = await this.version(latestNumber);
      if (latest) await this.adopt(latest);
    }
  }

  private async latest(): Promise<ConfigVersion | null> {
    const stored = await this.versions.latest();
    return stored ? effective(stored) : null;
  }

  /** Stores the config as entered; defaults are applied each time it is read. */
  private async save(
    entered: unknown,
    meta: { authorId: string | null; source: string; comment: string | null },
  ) {
    const saved = effective(await this.versions.save(withCurrentKeys(entered), meta));
    await this.adopt(saved);
    return saved;
  }

  private async adopt(next: ConfigVersion) {
    const previous = this.currentVersion;
    if (previous && previous.version >= next.version) return;
    this.currentVersion = next;
    for (const listener of this.listeners) {
      try {
        await listener(next, previous);
      } catch (error) {
        this.logger.error({ err: error, version: next.version }, 'routing config listener failed');
      }
    }
  }
}
