import { type Readable, Transform, type TransformCallback } from 'node:stream';

/** S3's own limit (1024 bytes of UTF-8), kept by every store so a key valid on one is valid on all. */
const MAX_KEY_BYTES = 1024;

/**
 * Refuses keys no store can keep the same way: empty, over 1024 bytes, or with control characters
 * (Postgres text refuses NUL, S3's XML listings mangle the rest). Keys are made by the engine, so
 * this is a programming error, not a client's.
 */
export function assertStoreKey(key: string): void {
  if (key.length === 0) throw new Error('file store key must not be empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new Error(`file store key longer than ${MAX_KEY_BYTES} bytes`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(key))
    throw new Error('file store key must not contain control characters');
}

/** Passes bytes through and counts them: each store reports the size it wrote without buffering. */
export class ByteCounter extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** A Buffer over the same bytes (PGlite answers bytea as a Uint8Array, pg as a Buffer). */
export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The body's pieces as Buffers, whatever the stream yields (Buffer, Uint8Array or string). */
export async function* piecesOf(body: Readable): AsyncGenerator<Buffer> {
  for await (const piece of body) {
    const chunk: unknown = piece;
    if (typeof chunk === 'string') yield Buffer.from(chunk);
    else if (chunk instanceof Uint8Array) yield asBuffer(chunk);
    else throw new Error('a file body must carry bytes, not objects');
  }
}
