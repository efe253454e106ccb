import type { Database } from './database';

/** `settings`: small values every replica must agree on. */
export class SettingsRepository {
  constructor(private readonly db: Database) {}

  /** The value stored under `key`; `candidate` is stored when there is none yet (the first writer wins). */
  async keepFirst(key: string, candidate: string): Promise<string> {
    await this.db('settings').insert({ key, value: candidate }).onConflict('key').ignore();
    const row = await this.db('settings').where({ key }).first<{ value: string }>();
    return row!.value;
  }
}
