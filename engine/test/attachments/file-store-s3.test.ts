import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { createFileStore } from '../../src/attachments/file-stores';
import { loadConfig } from '../../src/config';
import { ODD_KEYS, runFileStoreContract } from './file-store-contract';

const BUCKET = 'hotline-test-files';

/** s3rver, in its own process so its memory is not counted as the engine's; prints its port. */
const S3RVER_MAIN = `
const S3rver = require('s3rver');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1],
  configureBuckets: [{ name: process.argv[2], configs: [] }] });
server.run().then(({ port }) => console.log(JSON.stringify({ port })));
`;

async function startS3rver(directory: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', S3RVER_MAIN, directory, BUCKET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(child.stdout!, 'data'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`s3rver exited with ${code} before listening`);
    }),
  ])) as [Buffer];
  return { child, port: (JSON.parse(line.toString()) as { port: number }).port };
}

/**
 * A real S3-protocol server (s3rver) on loopback, started here: the store talks HTTP to it exactly as
 * to AWS or MinIO, signatures included. Never skipped: if it does not start, the suite fails.
 */
runFileStoreContract(
  's3 (s3rver on loopback)',
  async () => {
    const directory = mkdtempSync(join(tmpdir(), 'hotline-s3-'));
    const { child, port } = await startS3rver(directory);
    // Built as the engine builds it: from the environment through createFileStore (S3 needs no database).
    const config = loadConfig({
      FILE_STORE: 's3',
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    const unconnected = knexFactory({ client: 'pg' });
    return {
      store: createFileStore(config, unconnected),
      cleanup: async () => {
        await unconnected.destroy();
        child.kill();
        await once(child, 'exit');
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
  {
    presigns: true,
    // s3rver keeps each object as a file named by its key: no empty segment, none over 255 bytes. AWS takes both.
    oddKeys: ODD_KEYS.filter((key) => key !== 'a//b' && !key.startsWith('xxx')),
  },
);
