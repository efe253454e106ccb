import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { DiskFileStore, diskPathOf } from '../../src/attachments/disk-file-store';
import { ODD_KEYS, runFileStoreContract } from './file-store-contract';

const tempDataDir = () => mkdtempSync(join(tmpdir(), 'hotline-files-'));

runFileStoreContract(
  'disk',
  async () => {
    const dataDir = tempDataDir();
    return {
      store: new DiskFileStore(join(dataDir, 'files')),
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  },
  { presigns: false },
);

describe('disk file store: paths', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDataDir();
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('when keys are odd, then every path is distinct, relative and free of dot segments', () => {
    const paths = ODD_KEYS.map(diskPathOf);
    expect(new Set(paths).size).to.equal(ODD_KEYS.length);
    for (const path of paths) {
      expect(path.startsWith(sep), path).to.equal(false);
      for (const segment of path.split(sep)) {
        expect(segment.startsWith('.'), path).to.equal(false);
        expect(Buffer.byteLength(segment), path).to.be.at.most(255);
      }
    }
  });

  it('when keys climb out with .., then every file is written under DATA_DIR/files', async () => {
    const root = join(dataDir, 'files');
    const store = new DiskFileStore(root);
    for (const key of ODD_KEYS)
      await store.put(key, Readable.from([Buffer.from(key)]), { contentType: 'text/plain' });
    expect(readdirSync(dataDir)).to.deep.equal(['files']);
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isFile(),
    );
    expect(files.length).to.equal(ODD_KEYS.length);
    for (const file of files)
      expect(relative(root, join(file.parentPath, file.name)).startsWith('..')).to.equal(false);
  });

  it('when a put fails midway, then no temp file is left behind', async () => {
    const store = new DiskFileStore(join(dataDir, 'files'));
    async function* dropped() {
      yield Buffer.alloc(1000);
      throw new Error('connection reset');
    }
    await store
      .put('x', Readable.from(dropped(), { objectMode: false }), { contentType: 'text/plain' })
      .catch(() => undefined);
    expect(readdirSync(join(dataDir, 'files', '.tmp'))).to.deep.equal([]);
  });
});
