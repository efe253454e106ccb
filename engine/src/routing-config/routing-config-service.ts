import { readFile } from 'node:fs/promises';
import { parseRoutingYaml, type RoutingConfig, validateRoutingConfig } from '@hotline/routing-rules';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { Database } from '../storage/database';

export interface ConfigVersion {
  version: number;
  config: RoutingConfig;
  createdAt: string;
  authorId: string | null;
  source: string;
  comment: string | null;
}

/** The parts of the config that can be edited one item at a time. */
export const CONFIG_PARTS = ['groups', 'topics', 'regions', 'operators', 'sites', 'rules'] as const;
export type ConfigPart = (typeof CONFIG_PARTS)[number];

type Listener = (current: ConfigVersion, previous: ConfigVersion | null) => void | Promise<void>;

interface VersionRow {
  version: number;
  config: RoutingConfig | string;
  created_at: Date;
  author_id: string | null;
  source: string;
  comment: string | null;
}

const toVersion = (row: VersionRow): ConfigVersion => ({
  version: row.version,
  config: typeof row.config === 'string' ? (JSON.parse(row.config) as RoutingConfig) : row.config,
  createdAt: new Date(row.created_at).toISOString(),
  authorId: row.author_id,
  source: row.source,
  comment: row.comment,
});

/**
 * The supervisors' routing config: versioned in Postgres (with author and time), validated as a
 * whole before saving, and followed by every node (it polls the latest version number, so a save
 * on one replica takes effect on all without a restart).
 */
export class RoutingConfigService {
  private currentVersion: ConfigVersion | null = null;
  private readonly listeners: Listener[] = [];
  private poller: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
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
    const text = await readFile(path, 'utf8');
    const parsed = parseRoutingYaml(text);
    if (!parsed.ok) {
      throw new AppError(
        'bad_request',
        `${path} is invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        undefined,
        parsed.errors,
      );
    }
    return this.save(parsed.config, {
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
    if (!result.ok) {
      const first = result.errors[0]!;
      throw new AppError(
        'bad_request',
        `routing config has ${result.errors.length} error(s); first: ${first.path}: ${first.message}`,
        first.path,
        result.errors,
      );
    }
    return this.save(result.config, {
      authorId: meta.authorId,
      source: 'api',
      comment: meta.comment ?? null,
    });
  }

  /** Adds or replaces one item of a part (operators are keyed by operatorId, the rest by id). */
  async replacePart(
    part: ConfigPart,
    id: string,
    item: unknown,
    authorId: string,
  ): Promise<{ saved: ConfigVersion; created: boolean }> {
    const { items, keyOf, keyField } = this.partItems(part);
    const replacement = { ...(typeof item === 'object' && item !== null ? item : {}), [keyField]: id };
    const exists = items.some((i) => keyOf(i) === id);
    const next = exists ? items.map((i) => (keyOf(i) === id ? replacement : i)) : [...items, replacement];
    const saved = await this.replace(
      { ...this.current().config, [part]: next },
      { authorId, comment: `${exists ? 'edited' : 'added'} ${part}/${id}` },
    );
    return { saved, created: !exists };
  }

  async removePart(part: ConfigPart, id: string, authorId: string): Promise<ConfigVersion> {
    const { items, keyOf } = this.partItems(part);
    if (!items.some((i) => keyOf(i) === id)) throw new AppError('not_found', `${part}/${id} not found`);
    const next = items.filter((i) => keyOf(i) !== id);
    return this.replace(
      { ...this.current().config, [part]: next },
      { authorId, comment: `removed ${part}/${id}` },
    );
  }

  private partItems(part: ConfigPart) {
    type Item = { id?: string; operatorId?: string };
    const items = (this.current().config as unknown as Record<ConfigPart, Item[]>)[part] ?? [];
    const keyField = part === 'operators' ? 'operatorId' : 'id';
    return { items, keyField, keyOf: (item: Item) => item[keyField] };
  }

  async history(limit = 50): Promise<Omit<ConfigVersion, 'config'>[]> {
    const rows = await this.db<VersionRow>('routing_config_versions').orderBy('version', 'desc').limit(limit);
    return rows.map((r) => {
      const { config: _config, ...rest } = toVersion(r);
      return rest;
    });
  }

  async version(version: number): Promise<ConfigVersion | null> {
    const row = await this.db<VersionRow>('routing_config_versions').where({ version }).first();
    return row ? toVersion(row) : null;
  }

  /** Follows saves made by other nodes. */
  startFollowing(intervalMs = 1000) {
    this.poller = setInterval(() => {
      this.refresh().catch((error) => this.logger.warn({ err: error }, 'routing config refresh failed'));
    }, intervalMs);
    this.poller.unref();
  }

  stopFollowing() {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  async refresh(): Promise<void> {
    const row = await this.db('routing_config_versions').max<{ max: number | null }[]>('version as max');
    const latestNumber = row[0]?.max ?? null;
    if (latestNumber !== null && latestNumber !== this.currentVersion?.version) {
      const latest = await this.version(latestNumber);
      if (latest) await this.adopt(latest);
    }
  }

  private async latest(): Promise<ConfigVersion | null> {
    const row = await this.db<VersionRow>('routing_config_versions').orderBy('version', 'desc').first();
    return row ? toVersion(row) : null;
  }

  private async save(
    config: RoutingConfig,
    meta: { authorId: string | null; source: string; comment: string | null },
  ) {
    const saved = await this.db.transaction(async (trx) => {
      const [row] = await trx('routing_config_versions')
        .insert({
          config: JSON.stringify(config),
          author_id: meta.authorId,
          source: meta.source,
          comment: meta.comment,
        })
        .returning<VersionRow[]>('*');
      const version = toVersion(row!);
      await this.writeProjection(trx, version);
      await trx('audit_log').insert({
        actor_id: meta.authorId,
        action: 'routing-config.saved',
        target: `version:${version.version}`,
        details: JSON.stringify({ source: meta.source, comment: meta.comment }),
      });
      return version;
    });
    await this.adopt(saved);
    return saved;
  }

  /** Groups and memberships as rows, for joins in reports and lead lists. */
  private async writeProjection(trx: Database, version: ConfigVersion) {
    const { config } = version;
    await trx('group_memberships').delete();
    await trx('groups').delete();
    if (config.groups.length > 0) {
      await trx('groups').insert(
        config.groups.map((g) => ({ id: g.id, name: g.name, config_version: version.version })),
      );
    }
    const operators = await trx('operators').select<{ id: string; email: string }[]>('id', 'email');
    const idByEmail = new Map(operators.map((o) => [o.email, o.id]));
    const memberships = config.operators.flatMap((profile) => {
      const operatorId = idByEmail.get(profile.operatorId.toLowerCase());
      if (!operatorId) return [];
      return profile.groups.map((membership) => {
        const group = config.groups.find((g) => g.id === membership.groupId);
        return {
          group_id: membership.groupId,
          operator_id: operatorId,
          tier: membership.tier,
          limit: profile.limit ?? group?.limits.default ?? 1,
        };
      });
    });
    if (memberships.length > 0) await trx('group_memberships').insert(memberships);
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
