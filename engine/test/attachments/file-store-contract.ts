import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import type { FileStore } from '../../src/attachments/file-store';

export interface FileStoreUnderTest {
  store: FileStore;
  cleanup: () => Promise<void>;
}

const MB = 1024 * 1024;
const BIG_BYTES = 20 * MB;
const PIECE_BYTES = 64 * 1024;
/**
 * Streaming holds a few chunks (S3: its one 5 MB part and the request's copy; pg: up to ~10 MB of
 * heap, see docs/attachments.md); holding the file shows its 20 MB whole.
 */
const STREAMED_GROWTH_LIMIT_MB = 14;
const BUFFERED_GROWTH_FLOOR_MB = 18;

setFlagsFromString('--expose-gc');
const collectGarbage: unknown = runInNewContext('gc');

/** A full GC before each sample, so chunks already let go of do not count while bytes held do. */
const SAMPLE_EVERY_BYTES = MB;

/**
 * How much the process grows while a file streams: RSS, and the bytes JavaScript holds (V8 heap +
 * Buffers; not an embedded PGlite's WebAssembly memory, the database's own cache). Sampled in band,
 * after a full GC at every MB that passes (counted, not timed: the same samples on a busy machine).
 */
class MemoryProbe {
  private readonly gc: () => void;
  private readonly baseline: { rss: number; live: number };
  private readonly peak: { rss: number; live: number };

  constructor() {
    if (typeof collectGarbage !== 'function') throw new Error('gc could not be exposed');
    this.gc = () => collectGarbage();
    this.baseline = this.measure();
    this.peak = { ...this.baseline };
  }

  private measure() {
    this.gc();
    const usage = process.memoryUsage();
    return { rss: usage.rss, live: usage.heapUsed + usage.arrayBuffers };
  }

  sample(): void {
    const now = this.measure();
    this.peak.rss = Math.max(this.peak.rss, now.rss);
    this.peak.live = Math.max(this.peak.live, now.live);
  }

  /** Takes a last sample; the peak growth in MB. */
  growth(): { rssMb: number; liveMb: number } {
    this.sample();
    return {
      rssMb: (this.peak.rss - this.baseline.rss) / MB,
      liveMb: (this.peak.live - this.baseline.live) / MB,
    };
  }
}

/** Calls `probe.sample()` each time another MB has passed. */
function sampler(probe: MemoryProbe) {
  let sinceSample = 0;
  return (bytes: number) => {
    sinceSample += bytes;
    if (sinceSample < SAMPLE_EVERY_BYTES) return;
    sinceSample = 0;
    probe.sample();
  };
}

const growth = (measure: { rssMb: number; liveMb: number }) =>
  `RSS +${measure.rssMb.toFixed(1)} MB, held by JS +${measure.liveMb.toFixed(1)} MB`;

/**
 * `bytes` of random data made 64 KB at a time as the store reads them (never whole in memory), and
 * their hash; the probe samples as the store pulls, so a store that gathers the body shows it.
 */
function generatedBody(bytes: number, probe: MemoryProbe): { body: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  const passed = sampler(probe);
  async function* pieces() {
    for (let sent = 0; sent < bytes; sent += PIECE_BYTES) {
      const piece = randomBytes(Math.min(PIECE_BYTES, bytes - sent));
      hash.update(piece);
      passed(piece.length);
      yield piece;
    }
  }
  return { body: Readable.from(pieces(), { objectMode: false }), sha256: () => hash.digest('hex') };
}

/** A body that sends `bytes` then fails, as a client whose connection drops mid-upload. */
function failingBody(bytes: number): Readable {
  async function* pieces() {
    yield randomBytes(bytes);
    throw new Error('connection reset by the client');
  }
  return Readable.from(pieces(), { objectMode: false });
}

async function sha256Of(body: Readable, probe: MemoryProbe): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const passed = sampler(probe);
  let bytes = 0;
  for await (const piece of body) {
    hash.update(piece);
    bytes += piece.length;
    passed(piece.length);
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function readAll(body: Readable, probe?: MemoryProbe): Promise<Buffer> {
  const passed = probe ? sampler(probe) : () => {};
  const pieces: Buffer[] = [];
  for await (const piece of body) {
    pieces.push(piece);
    passed(piece.length);
  }
  return Buffer.concat(pieces);
}

const put = (store: FileStore, key: string, content: string | Buffer) =>
  store.put(key, Readable.from([Buffer.from(content)]), { contentType: 'text/plain' });

async function textOf(store: FileStore, key: string): Promise<string | null> {
  const found = await store.get(key);
  return found ? (await readAll(found.body)).toString() : null;
}

async function expectRejected(work: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await work;
  } catch (error) {
    expect((error as Error).message).to.match(message);
    return;
  }
  expect.fail('expected the put to reject');
}

/** Keys as the engine may make them, and as an attacker would like them to be read. */
export const ODD_KEYS = [
  'dialogs/6f1c/ü 名字 (1).png',
  '../../outside',
  'a/../b',
  '..',
  '.hidden',
  'a//b',
  'trailing/',
  'a',
  'a/b',
  'a%2Fb',
  'with space+plus&amp;?query#hash',
  'x'.repeat(300),
  '😀/emoji',
  'C:\\windows\\path',
];

/**
 * The contract every FileStore keeps (disk, Postgres on PGlite and on a real server, S3): what the
 * upload path and the download route rely on, whatever FILE_STORE says.
 */
export function runFileStoreContract(
  name: string,
  open: () => Promise<FileStoreUnderTest>,
  options: {
    presigns: boolean;
    /** Keys this server cannot keep (s3rver keeps objects as files); the default is every ODD_KEYS. */
    oddKeys?: string[];
    /** PGlite runs inside this process: its own memory (cache, WAL buffers) shows in RSS, so only what JS holds is asserted. */
    embedsDatabase?: boolean;
  },
) {
  describe(`file store contract: ${name}`, function () {
    this.timeout(120_000);
    let store: FileStore;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('when a few bytes are put, then get streams them back with their size', async () => {
      const written = await put(store, 'dialogs/d1/hello.txt', 'hello, world');
      expect(written).to.deep.equal({ size: 12 });
      const found = await store.get('dialogs/d1/hello.txt');
      expect(found?.size).to.equal(12);
      expect((await readAll(found!.body)).toString()).to.equal('hello, world');
    });

    it('when an empty file is put, then it exists with size 0', async () => {
      expect(await store.put('empty', Readable.from([]), { contentType: 'text/plain' })).to.deep.equal({
        size: 0,
      });
      const found = await store.get('empty');
      expect(found?.size).to.equal(0);
      expect((await readAll(found!.body)).length).to.equal(0);
    });

    it('when 20 MB are put and read back, then the bytes match and memory does not grow by the file', async () => {
      // A first round trip warms up what is allocated once (pools, buffers, caches); the second is measured.
      for (const round of ['warm-up', 'measured']) {
        const putProbe = new MemoryProbe();
        const source = generatedBody(BIG_BYTES, putProbe);
        expect(
          await store.put(`big/${round}`, source.body, { contentType: 'application/pdf' }),
        ).to.deep.equal({
          size: BIG_BYTES,
        });
        const written = putProbe.growth();
        const getProbe = new MemoryProbe();
        const found = await store.get(`big/${round}`);
        expect(found?.size).to.equal(BIG_BYTES);
        expect(await sha256Of(found!.body, getProbe)).to.deep.equal({
          sha256: source.sha256(),
          bytes: BIG_BYTES,
        });
        const read = getProbe.growth();
        console.log(`      ${name} ${round}: 20 MB put, ${growth(written)}; get, ${growth(read)}`);
        if (round === 'measured') {
          expect(written.liveMb, 'held while putting 20 MB').to.be.below(STREAMED_GROWTH_LIMIT_MB);
          expect(read.liveMb, 'held while reading 20 MB').to.be.below(STREAMED_GROWTH_LIMIT_MB);
          if (!options.embedsDatabase) {
            expect(written.rssMb, 'RSS growth while putting 20 MB').to.be.below(STREAMED_GROWTH_LIMIT_MB);
            expect(read.rssMb, 'RSS growth while reading 20 MB').to.be.below(STREAMED_GROWTH_LIMIT_MB);
          }
        }
      }
    });

    it('when the 20 MB read are gathered in memory instead, then the same measure sees them (it can fail)', async () => {
      const probe = new MemoryProbe();
      const gathered = await readAll((await store.get('big/measured'))!.body, probe);
      const held = probe.growth();
      console.log(`      ${name} control: 20 MB gathered in memory, ${growth(held)}`);
      expect(gathered.length).to.equal(BIG_BYTES);
      // RSS may not show it (the allocator reuses pages freed earlier); what JS holds always does.
      expect(held.liveMb).to.be.above(BUFFERED_GROWTH_FLOOR_MB);
    });

    it('when a key was never put, then get answers null', async () => {
      expect(await store.get('dialogs/nobody/nothing.png')).to.equal(null);
    });

    it('when several keys are deleted with an unknown one, then those are gone and the others stay', async () => {
      for (const key of ['del/1', 'del/2', 'del/3']) await put(store, key, key);
      await store.delete(['del/1', 'del/2', 'del/never-put']);
      expect(await store.get('del/1')).to.equal(null);
      expect(await store.get('del/2')).to.equal(null);
      expect(await textOf(store, 'del/3')).to.equal('del/3');
      await store.delete([]);
    });

    it('when a key is put again, then get answers the new bytes and size', async () => {
      await put(store, 'over', 'the first version, rather long');
      const written = await put(store, 'over', 'second');
      expect(written.size).to.equal(6);
      expect((await store.get('over'))?.size).to.equal(6);
      expect(await textOf(store, 'over')).to.equal('second');
    });

    it('when keys have odd characters, then each keeps its own bytes', async () => {
      const keys = options.oddKeys ?? ODD_KEYS;
      for (const [index, key] of keys.entries()) await put(store, key, `content ${index}`);
      for (const [index, key] of keys.entries())
        expect(await textOf(store, key), key).to.equal(`content ${index}`);
      await store.delete(keys);
      for (const key of keys) expect(await store.get(key), key).to.equal(null);
    });

    it('when a key is empty or has control characters, then the store refuses it', async () => {
      await expectRejected(put(store, '', 'x'), /empty/);
      await expectRejected(put(store, 'line\nbreak', 'x'), /control characters/);
    });

    it('when the body fails midway, then put rejects and nothing is readable under the key', async () => {
      await expectRejected(
        store.put('broken', failingBody(300 * 1024), { contentType: 'image/png' }),
        /connection reset/,
      );
      expect(await store.get('broken')).to.equal(null);
    });

    it('when the body of an overwrite fails midway, then the old bytes stay readable', async () => {
      await put(store, 'kept', 'the old bytes');
      await expectRejected(
        store.put('kept', failingBody(600 * 1024), { contentType: 'image/png' }),
        /connection reset/,
      );
      expect(await textOf(store, 'kept')).to.equal('the old bytes');
    });

    if (options.presigns) {
      it('when a download is presigned, then fetching the URL gives the bytes, type and disposition asked for', async () => {
        await put(store, 'dialogs/d2/report', 'PDF bytes');
        const url = await store.presignedGet('dialogs/d2/report', {
          ttlSeconds: 60,
          filename: 'Rapport d’été.pdf',
          contentType: 'application/pdf',
          inline: false,
        });
        expect(url).to.be.a('string');
        const response = await fetch(url!);
        expect(response.status).to.equal(200);
        expect(await response.text()).to.equal('PDF bytes');
        expect(response.headers.get('content-type')).to.equal('application/pdf');
        const disposition = response.headers.get('content-disposition');
        expect(disposition).to.match(/^attachment; filename="Rapport d\?\?t\?\.pdf"/);
        expect(disposition).to.contain("filename*=UTF-8''Rapport%20d%E2%80%99%C3%A9t%C3%A9.pdf");

        const inline = await store.presignedGet('dialogs/d2/report', {
          ttlSeconds: 60,
          filename: 'photo.png',
          contentType: 'image/png',
          inline: true,
        });
        const shown = await fetch(inline!);
        expect(shown.headers.get('content-disposition')).to.match(/^inline; filename="?photo\.png"?$/);
        expect(shown.headers.get('content-type')).to.equal('image/png');
        await shown.arrayBuffer();
      });
    } else {
      it('when a download is asked for, then presignedGet answers null (the engine serves the bytes)', async () => {
        await put(store, 'served', 'x');
        expect(
          await store.presignedGet('served', {
            ttlSeconds: 60,
            filename: 'x.txt',
            contentType: 'text/plain',
            inline: false,
          }),
        ).to.equal(null);
      });
    }
  });
}
