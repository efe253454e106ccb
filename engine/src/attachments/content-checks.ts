import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isRasterImage, type SiteAttachments, typeAllowed } from '@hotline/routing-rules';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type FormatEnum, type OutputInfo } from 'sharp';
import type { FileStore } from './file-store';
import { FileRefused, typeNotAllowed } from './file-refused';

/** How many first bytes the type is sniffed from (file-type's own reasonable sample). */
const SNIFF_BYTES = 4100;
/** Thumbnails fit in this square. */
const THUMBNAIL_PX = 320;
/** Sniffed types that are text in disguise (no magic bytes of their own): checked as text. */
const TEXTUAL_SNIFFS = ['application/xml'];

/** Fails the stream with 413 once more than `limit` bytes went through. */
export class ByteLimit extends Transform {
  bytes = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit)
      done(new FileRefused(413, `this file is larger than the ${this.limit} bytes announced`));
    else done(null, chunk);
  }
}

/** Passes text through, failing with 415 on a NUL byte or bytes that are not UTF-8. */
class Utf8Check extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      if (chunk.includes(0)) throw new Error('NUL');
      this.decoder.decode(chunk, { stream: true });
      done(null, chunk);
    } catch {
      done(typeNotAllowed('not recognised, and not plain UTF-8 text'));
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.decode();
      done();
    } catch {
      done(typeNotAllowed('not recognised, and not plain UTF-8 text'));
    }
  }
}

/**
 * The first `bytes` bytes (fewer for a shorter stream) and a stream of all of them, from the start:
 * only the head is held; a failure of `source` later fails `body`.
 */
function peek(source: Readable, bytes: number): Promise<{ head: Buffer; body: Readable }> {
  return new Promise((resolve, reject) => {
    const body = new PassThrough();
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      resolve({ head: Buffer.concat(chunks).subarray(0, bytes), body });
    };
    const collector = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (!settled) {
          chunks.push(chunk);
          length += chunk.length;
          if (length >= bytes) settle();
        }
        done(null, chunk);
      },
      flush(done) {
        settle();
        done();
      },
    });
    pipeline(source, collector, body).catch((error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}

/** What the checks made of the bytes, as stored. */
export interface CheckedFile {
  type: string;
  kind: 'image' | 'file';
  size: number;
  width: number | null;
  height: number | null;
  thumbnailKey: string | null;
}

const bareType = (type: string) => type.split(';')[0]!.trim().toLowerCase();

/**
 * The type a file is kept as: the sniffed one when the bytes have magic numbers; otherwise it is text
 * (checked while streaming), kept as its declared type when the site allows that (an SVG, a CSV),
 * else as text/plain. Refused (415) when that type is not in the site's allow-list.
 */
function decideType(
  sniffed: string | undefined,
  declared: string,
  policy: SiteAttachments,
): { type: string; text: boolean } {
  if (sniffed && !TEXTUAL_SNIFFS.includes(sniffed)) {
    if (!typeAllowed(policy, sniffed)) throw typeNotAllowed(sniffed);
    return { type: sniffed, text: false };
  }
  const declaredBare = bareType(declared);
  const type =
    declaredBare && !isRasterImage(declaredBare) && typeAllowed(policy, declaredBare)
      ? declaredBare
      : 'text/plain';
  if (!typeAllowed(policy, type)) throw typeNotAllowed(declaredBare || 'unknown type');
  return { type, text: true };
}

/** Runs `source` through `transforms` into the store under `key`; any failure fails (and stops) both. */
async function storeStream(
  store: FileStore,
  key: string,
  contentType: string,
  source: Readable,
  ...transforms: Transform[]
): Promise<number> {
  const body = new PassThrough();
  const feeding = pipeline([source, ...transforms, body]);
  const storing = store.put(key, body, { contentType });
  try {
    const [, { size }] = await Promise.all([feeding, storing]);
    return size;
  } catch (error) {
    body.destroy();
    source.destroy();
    await Promise.allSettled([feeding, storing]);
    throw error;
  }
}

/**
 * Sniffs, checks and stores one upload without holding it whole: the type from the first bytes
 * (file-type), the site's allow-list, text validated as it streams; raster images re-encoded by sharp
 * (turned upright per EXIF, every metadata dropped, same format) with a thumbnail beside — the
 * original bytes are never stored. `source` must already be size-limited.
 */
export async function checkAndStore(input: {
  source: Readable;
  declaredType: string;
  policy: SiteAttachments;
  store: FileStore;
  key: string;
  thumbnailKey: string;
}): Promise<CheckedFile> {
  const { policy, store, key } = input;
  const { head, body: detected } = await peek(input.source, SNIFF_BYTES);
  let decided: { type: string; text: boolean };
  try {
    decided = decideType((await fileTypeFromBuffer(head))?.mime, input.declaredType, policy);
  } catch (error) {
    detected.destroy();
    throw error;
  }
  const { type, text } = decided;
  if (!isRasterImage(type)) {
    const size = await storeStream(store, key, type, detected, ...(text ? [new Utf8Check()] : []));
    return { type, kind: 'file', size, width: null, height: null, thumbnailKey: null };
  }
  const format = (type === 'image/jpeg' ? 'jpeg' : type.slice('image/'.length)) as keyof FormatEnum;
  const animated = type === 'image/gif' || type === 'image/webp';
  const decoder = sharp({ animated, failOn: 'error' });
  const full = decoder.clone().rotate().toFormat(format);
  const thumbnail = decoder
    .clone()
    .rotate()
    .resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside', withoutEnlargement: true })
    .toFormat(format);
  let dimensions = { width: 0, height: 0 };
  full.once('info', (info: OutputInfo) => {
    dimensions = { width: info.width, height: info.pageHeight ?? info.height };
  });
  try {
    const [, size] = await Promise.all([
      pipeline(detected, decoder),
      storeStream(store, key, type, full),
      storeStream(store, input.thumbnailKey, type, thumbnail),
    ]);
    return { type, kind: 'image', size, ...dimensions, thumbnailKey: input.thumbnailKey };
  } catch (error) {
    if (error instanceof FileRefused) throw error;
    throw new FileRefused(415, 'this image could not be read');
  }
}
