import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Database } from '../storage/database';
import type { FileStore } from './file-store';
import { asBuffer, assertStoreKey, piecesOf } from './file-store-support';

/** Bytes per row: small enough that no statement carries much, large enough to keep rows few. */
export const BLOB_CHUNK_BYTES = 256 * 1024;
/**
 * A put writes its chunks under a staging key, then renames them in one short transaction: no
 * transaction stays open while a client uploads (PGlite has one connection for the whole engine),
 * and a failed or half-sent body leaves the old bytes, or nothing, readable. Keys never hold control
 * characters (assertStoreKey), so this prefix is nobody's key.
 */
const STAGING_PREFIX = '\u0001staging/';
/** Staging rows older than this were left by a process that died mid-upload. */
const ABANDONED_AFTER_MS = 24 * 3600 * 1000;
const SWEEP_EVERY_MS = 3600 * 1000;
const STAMP_DIGITS = 15;

const stagingKey = (startedAt: number) =>
  `${STAGING_PREFIX}${String(startedAt).padStart(STAMP_DIGITS, '0')}/${randomUUID()}`;

/**
 * Attachments in the `attachment_blobs` table, 256 KB per row: several replicas share them with no
 * other component. Works the same on PGlite and real Postgres. Reads stream chunk by chunk.
 */
export class PostgresFileStore implements FileStore {
  readonly kind = 'postgres';
  private lastSweep = 0;

  constructor(private readonly db: Database) {}

  async put(key: string, body: Readable, _meta: { contentType: string }): Promise<{ size: number }> {
    assertStoreKey(key);
    await this.sweepAbandoned();
    const staging = stagingKey(Date.now());
    let size = 0;
    let chunk = 0;
    const writeChunk = (data: Buffer) =>
      this.db('attachment_blobs').insert({ key: staging, chunk: chunk++, data });
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const bytes of piecesOf(body)) {
        pending.push(bytes);
        pendingBytes += bytes.length;
        size += bytes.length;
        if (pendingBytes < BLOB_CHUNK_BYTES) continue;
        let joined = Buffer.concat(pending, pendingBytes);
        while (joined.length >= BLOB_CHUNK_BYTES) {
          await writeChunk(joined.subarray(0, BLOB_CHUNK_BYTES));
          joined = joined.subarray(BLOB_CHUNK_BYTES);
        }
        pending = [joined];
        pendingBytes = joined.length;
      }
      // An empty file is one empty chunk, so it exists (get answers it, not null).
      if (pendingBytes > 0 || chunk === 0) await writeChunk(Buffer.concat(pending, pendingBytes));
      await this.db.transaction(async (trx) => {
        // Two puts of one key take turns here instead of colliding on the primary key.
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [key]);
        await trx('attachment_blobs').where({ key }).delete();
        await trx('attachment_blobs').where({ key: staging }).update({ key });
      });
    } catch (error) {
      await this.db('attachment_blobs')
        .where({ key: staging })
        .delete()
        .catch(() => undefined);
      throw error;
    }
    return { size };
  }

  async get(key: string): Promise<{ body: Readable; size: number } | null> {
    assertStoreKey(key);
    // octet_length of an out-of-line value reads its header, not the chunk.
    const row = (await this.db('attachment_blobs')
      .where({ key })
      .first(
        this.db.raw('count(*)::int AS chunks'),
        this.db.raw('coalesce(sum(octet_length(data)), 0)::float8 AS size'),
      )) as { chunks: number; size: number } | undefined;
    if (!row || row.chunks === 0) return null;
    return {
      body: Readable.from(this.readChunks(key, row.chunks), {
        objectMode: false,
        highWaterMark: BLOB_CHUNK_BYTES,
      }),
      size: row.size,
    };
  }

  private async *readChunks(key: string, chunks: number): AsyncGenerator<Buffer> {
    for (let chunk = 0; chunk < chunks; chunk++) {
      const row = (await this.db('attachment_blobs').where({ key, chunk }).first('data')) as
        | { data: Uint8Array }
        | undefined;
      if (!row) throw new Error(`file ${key} was replaced or deleted while it was read`);
      yield asBuffer(row.data);
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) assertStoreKey(key);
    if (keys.length > 0) await this.db('attachment_blobs').whereIn('key', keys).delete();
  }

  async presignedGet(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}

  /** At most hourly per process: removes staging rows of uploads whose process died mid-way. */
  private async sweepAbandoned(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const cutoff = String(now - ABANDONED_AFTER_MS).padStart(STAMP_DIGITS, '0');
    await this.db('attachment_blobs')
      .whereRaw('starts_with(key, ?)', [STAGING_PREFIX])
      .andWhereRaw('substr(key, ?, ?) < ?', [STAGING_PREFIX.length + 1, STAMP_DIGITS, cutoff])
      .delete();
  }
}
