import { join } from 'node:path';
import type { EngineConfig } from '../config';
import type { Database } from '../storage/database';
import { DiskFileStore } from './disk-file-store';
import type { FileStore } from './file-store';
import { PostgresFileStore } from './postgres-file-store';
import { S3FileStore } from './s3-file-store';

type FileStoreConfig = Pick<
  EngineConfig,
  | 'FILE_STORE'
  | 'DATABASE_URL'
  | 'dataDir'
  | 'S3_BUCKET'
  | 'S3_REGION'
  | 'S3_ENDPOINT'
  | 'S3_FORCE_PATH_STYLE'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
>;

/** FILE_STORE, or its default: Postgres when there is a real database (replicas share it), else disk. */
export const fileStoreKind = (config: Pick<EngineConfig, 'FILE_STORE' | 'DATABASE_URL'>): FileStore['kind'] =>
  config.FILE_STORE ?? (config.DATABASE_URL ? 'postgres' : 'disk');

/**
 * The store attachments' bytes go to, from the configuration. `db` is the engine's database (its
 * schema is where `attachment_blobs` lives); the caller closes the store, then the database.
 */
export function createFileStore(config: FileStoreConfig, db: Database): FileStore {
  const kind = fileStoreKind(config);
  if (kind === 'disk') return new DiskFileStore(join(config.dataDir, 'files'));
  if (kind === 'postgres') return new PostgresFileStore(db);
  // loadConfig refuses FILE_STORE=s3 without a bucket; this guards configs built in code (tests).
  if (!config.S3_BUCKET) throw new Error('S3_BUCKET is required with FILE_STORE=s3');
  return new S3FileStore({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials:
      config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
  });
}
