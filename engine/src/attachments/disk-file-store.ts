import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileStore } from './file-store';
import { assertStoreKey, ByteCounter } from './file-store-support';

/** Longest encoded path segment kept readable; longer ones are hashed (file systems stop at 255 bytes). */
const MAX_SEGMENT = 200;

function encodeSegment(segment: string): string {
  if (segment === '') return '%';
  const encoded = segment.replace(/[^A-Za-z0-9_.-]|^\./gu, (char) =>
    [...Buffer.from(char)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  return encoded.length > MAX_SEGMENT ? `%%${createHash('sha256').update(segment).digest('hex')}` : encoded;
}

/**
 * Maps a key to a relative path that stays under the root and is unique per key: each `/`-separated
 * segment is percent-encoded (a leading dot too, so no `.`, `..` or hidden names), an empty segment
 * becomes `%`, an over-long one its hash behind `%%`. The last segment ends in `~`, which encoding
 * never produces, so key `a` (a file) and key `a/b` (under a directory) never collide.
 */
export function diskPathOf(key: string): string {
  const segments = key.split('/').map(encodeSegment);
  segments[segments.length - 1] += '~';
  return join(...segments);
}

/**
 * Files under `DATA_DIR/files` for the quick start on one node. Writes go to a temp file renamed into
 * place, so a reader sees the old bytes or the new ones, never a half-written file.
 */
export class DiskFileStore implements FileStore {
  readonly kind = 'disk';
  private readonly tempDir: string;

  constructor(private readonly root: string) {
    // Keys never map to a dot-name, so `.tmp` under the root is free for temp files.
    this.tempDir = join(root, '.tmp');
  }

  async put(key: string, body: Readable, _meta: { contentType: string }): Promise<{ size: number }> {
    assertStoreKey(key);
    const target = join(this.root, diskPathOf(key));
    await mkdir(this.tempDir, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const temp = join(this.tempDir, randomUUID());
    const counter = new ByteCounter();
    try {
      await pipeline(body, counter, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { size: counter.bytes };
  }

  async get(key: string): Promise<{ body: Readable; size: number } | null> {
    assertStoreKey(key);
    // Open first, then stat the open file: a delete in between cannot make the size lie.
    const file = await open(join(this.root, diskPathOf(key)), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw error;
    });
    if (!file) return null;
    const { size } = await file.stat();
    return { body: file.createReadStream(), size };
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) assertStoreKey(key);
    await Promise.all(keys.map((key) => rm(join(this.root, diskPathOf(key)), { force: true })));
  }

  async presignedGet(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}
}
