import type { Readable } from 'node:stream';

/**
 * Where attachments' bytes live: one small interface, three stores chosen by FILE_STORE (disk for the
 * quick start, Postgres for several replicas without another component, S3 for production). Uploads
 * always stream through the engine, which sniffs and re-encodes them before anyone sees them.
 */
export interface FileStore {
  readonly kind: 'disk' | 'postgres' | 's3';
  /** Streams body into the store under key; never buffers the whole file. Resolves with the bytes written. */
  put(key: string, body: Readable, meta: { contentType: string }): Promise<{ size: number }>;
  /** A stream of the stored bytes, or null when the key is unknown. */
  get(key: string): Promise<{ body: Readable; size: number } | null>;
  /** Deletes these keys; unknown keys are ignored. */
  delete(keys: string[]): Promise<void>;
  /**
   * S3 only: a presigned GET URL valid `ttlSeconds`, answering with the given content type and
   * disposition (inline or attachment; filename). Other stores return null: the engine serves the bytes.
   */
  presignedGet(
    key: string,
    options: { ttlSeconds: number; filename: string; contentType: string; inline: boolean },
  ): Promise<string | null>;
  close(): Promise<void>;
}
