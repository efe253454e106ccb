import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { create as contentDisposition } from 'content-disposition';
import { Readable } from 'node:stream';
import type { FileStore } from './file-store';
import { assertStoreKey, piecesOf } from './file-store-support';

export interface S3FileStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server (MinIO, Ceph, R2...); unset: AWS. */
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** Unset: the SDK's default chain (environment, shared config, the pod's or instance's role). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** S3's smallest part (but the last); one part at a time keeps an upload's memory at this, whatever the file. */
const PART_BYTES = 5 * 1024 * 1024;
/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

/**
 * Attachments in an S3 bucket for production: uploads stream through the engine as a multipart
 * upload (aborted when the body fails, so nothing half-written is readable), downloads are presigned
 * GET URLs that make S3 answer with our Content-Type and Content-Disposition.
 */
export class S3FileStore implements FileStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3FileStoreOptions) {
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // Checksums only where S3 requires them: many S3-compatible servers still refuse the SDK's
      // default trailing checksums on streamed bodies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.client = new S3Client(config);
    this.bucket = options.bucket;
  }

  /**
   * Streams the body as a multipart upload, one 5 MB part at a time into one reused buffer (a body
   * under 5 MB is one PutObject). Not lib-storage's Upload: its chunker concatenates buffers and
   * holds about four parts (20 MB measured) per upload; this holds one. A failing body or part
   * aborts the upload, so nothing half-written is ever readable and an old object stays.
   */
  async put(key: string, body: Readable, meta: { contentType: string }): Promise<{ size: number }> {
    assertStoreKey(key);
    const target = { Bucket: this.bucket, Key: key };
    const ContentType = meta.contentType || 'application/octet-stream';
    const part = Buffer.allocUnsafe(PART_BYTES);
    let filled = 0;
    let size = 0;
    let uploadId: string | undefined;
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    const sendPart = async () => {
      uploadId ??= (await this.client.send(new CreateMultipartUploadCommand({ ...target, ContentType })))
        .UploadId;
      const PartNumber = parts.length + 1;
      const sent = await this.client.send(
        new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber, Body: part.subarray(0, filled) }),
      );
      parts.push({ ETag: sent.ETag, PartNumber });
      filled = 0;
    };
    try {
      for await (const piece of piecesOf(body)) {
        let bytes = piece;
        size += bytes.length;
        while (bytes.length > 0) {
          const taken = bytes.copy(part, filled);
          filled += taken;
          bytes = bytes.subarray(taken);
          if (filled === PART_BYTES) await sendPart();
        }
      }
      if (!uploadId) {
        await this.client.send(
          new PutObjectCommand({ ...target, Body: part.subarray(0, filled), ContentType }),
        );
        return { size };
      }
      if (filled > 0) await sendPart();
      await this.client.send(
        new CompleteMultipartUploadCommand({
          ...target,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return { size };
    } catch (error) {
      if (uploadId)
        await this.client
          .send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }))
          .catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<{ body: Readable; size: number } | null> {
    assertStoreKey(key);
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // Under Node the SDK answers with an http response stream.
      if (!(object.Body instanceof Readable)) throw new Error('S3 answered without a Node stream');
      return { body: object.Body, size: object.ContentLength ?? 0 };
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) assertStoreKey(key);
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors?.[0];
      if (failed) throw new Error(`S3 refused to delete ${failed.Key}: ${failed.Code} ${failed.Message}`);
    }
  }

  async presignedGet(
    key: string,
    options: { ttlSeconds: number; filename: string; contentType: string; inline: boolean },
  ): Promise<string> {
    assertStoreKey(key);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: options.contentType,
      ResponseContentDisposition: contentDisposition(options.filename, {
        type: options.inline ? 'inline' : 'attachment',
      }),
    });
    return getSignedUrl(this.client, command, { expiresIn: options.ttlSeconds });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
