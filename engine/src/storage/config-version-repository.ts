import { type Database, notifyChannel } from './database';
import type { AuditRepository } from './audit-repository';

/** One saved routing config, exactly as it was entered (defaults are applied when it is read). */
export interface StoredConfigVersion {
  version: number;
  /** The config as entered: unknown here, the routing config service validates it when read. */
  config: unknown;
  createdAt: string;
  authorId: string | null;
  source: string;
  comment: string | null;
}

interface VersionRow {
  version: number;
  config: unknown;
  created_at: Date;
  author_id: string | null;
  source: string;
  comment: string | null;
}

const toVersion = (row: VersionRow): StoredConfigVersion => ({
  version: row.version,
  config: typeof row.config === 'string' ? JSON.parse(row.config) : row.config,
  createdAt: new Date(row.created_at).toISOString(),
  authorId: row.author_id,
  source: row.source,
  comment: row.comment,
});

/** The NOTIFY topic of a saved version (payload: its number), sent when the save commits. */
export const CONFIG_SAVED_TOPIC = 'hotline_routing_config';

/** `routing_config_versions`: every save is a new version; a save and its audit line commit together. */
export class ConfigVersionRepository {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditRepository,
  ) {}

  async latest(): Promise<StoredConfigVersion | null> {
    const row = await this.db<VersionRow>('routing_config_versions').orderBy('version', 'desc').first();
    return row ? toVersion(row) : null;
  }

  async latestNumber(): Promise<number | null> {
    const [row] = await this.db('routing_config_versions').max<{ max: number | null }[]>('version as max');
    return row?.max ?? null;
  }

  async find(version: number): Promise<StoredConfigVersion | null> {
    const row = await this.db<VersionRow>('routing_config_versions').where({ version }).first();
    return row ? toVersion(row) : null;
  }

  /** The newest versions first, without their configs. */
  async history(limit: number): Promise<Omit<StoredConfigVersion, 'config'>[]> {
    const rows = await this.db<VersionRow>('routing_config_versions')
      .orderBy('version', 'desc')
      .limit(limit)
      .select('version', 'created_at', 'author_id', 'source', 'comment');
    return rows.map((row) => {
      const { config: _config, ...rest } = toVersion({ ...row, config: null });
      return rest;
    });
  }

  async save(
    config: unknown,
    meta: { authorId: string | null; source: string; comment: string | null },
  ): Promise<StoredConfigVersion> {
    return this.db.transaction(async (trx) => {
      const [row] = await trx<VersionRow>('routing_config_versions')
        .insert({
          config: JSON.stringify(config),
          author_id: meta.authorId,
          source: meta.source,
          comment: meta.comment,
        })
        .returning('*');
      const version = toVersion(row!);
      await this.audit.record(
        {
          actorId: meta.authorId,
          action: 'routing-config.saved',
          target: `version:${version.version}`,
          details: { source: meta.source, comment: meta.comment },
        },
        trx,
      );
      // Delivered at commit: the other nodes read the new version then instead of polling for it.
      await trx.raw(`select pg_notify(${notifyChannel}, ?)`, [CONFIG_SAVED_TOPIC, String(version.version)]);
      return version;
    });
  }
}
