import { createServer, type Server } from 'node:net';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { ClamdScanner } from '../../src/attachments/clamd-scanner';
import { closeAllSockets } from '../support/clients';
import { startTestServer, TEST_ROUTING } from '../support/engine';
import { heldDialog, put, upload } from './support';
import type { AttachmentSlot } from '@hotline/protocol';
import { call } from '../support/clients';

/**
 * A tiny clamd speaking INSTREAM: reads `zINSTREAM\0`, then length-prefixed chunks up to a zero
 * length, and answers FOUND when the bytes hold the EICAR marker. Records what it received.
 */
async function fakeClamd(): Promise<{
  server: Server;
  port: number;
  received: { command: string; bytes: Buffer; chunks: number }[];
}> {
  const received: { command: string; bytes: Buffer; chunks: number }[] = [];
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let command: string | null = null;
    const parts: Buffer[] = [];
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      if (command === null) {
        const end = buffer.indexOf(0);
        if (end < 0) return;
        command = buffer.subarray(0, end).toString();
        buffer = buffer.subarray(end + 1);
      }
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          const bytes = Buffer.concat(parts);
          received.push({ command, bytes, chunks: parts.length });
          socket.end(
            bytes.includes('EICAR-STANDARD-ANTIVIRUS-TEST-FILE')
              ? 'stream: Eicar-Test-Signature FOUND\0'
              : 'stream: OK\0',
          );
          return;
        }
        if (buffer.length < 4 + length) return;
        parts.push(buffer.subarray(4, 4 + length));
        buffer = buffer.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, received };
}

describe('clamd INSTREAM client (against a fake clamd)', () => {
  let clamd: Awaited<ReturnType<typeof fakeClamd>>;
  before(async () => {
    clamd = await fakeClamd();
  });
  after(() => clamd.server.close());

  it('when clean bytes are scanned, then they arrive whole in length-prefixed chunks and the verdict is clean', async () => {
    const bytes = Buffer.alloc(200_000, 7);
    const verdict = await new ClamdScanner('127.0.0.1', clamd.port).scan(
      Readable.from([bytes.subarray(0, 150_000), bytes.subarray(150_000)]),
    );
    expect(verdict).to.deep.equal({ infected: false });
    const last = clamd.received.at(-1)!;
    expect(last.command).to.equal('zINSTREAM');
    expect(last.bytes.equals(bytes)).to.equal(true);
    expect(last.chunks).to.equal(4); // 64 KB chunks: 65536 + 65536 + 18928 of the first, 50000 of the second
  });

  it('when the EICAR test string is scanned, then the verdict names the signature', async () => {
    const eicar = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');
    const verdict = await new ClamdScanner('127.0.0.1', clamd.port).scan(Readable.from([eicar]));
    expect(verdict).to.deep.equal({ infected: true, signature: 'Eicar-Test-Signature' });
  });

  it('when clamd is not there, then the scan fails rather than passing the file', async () => {
    const closed = await fakeClamd();
    closed.server.close();
    let failed = false;
    await new ClamdScanner('127.0.0.1', closed.port).scan(Readable.from([Buffer.from('x')])).catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
  });
});

describe('attachments: the optional virus scan (engine with CLAMD_HOST/CLAMD_PORT on a fake clamd)', function () {
  this.timeout(60_000);
  it('when an upload is flagged, then it is refused 415 naming the signature, and a clean one is stored', async () => {
    const clamd = await fakeClamd();
    const server = await startTestServer('embedded', {
      routingConfigPath: TEST_ROUTING,
      CLAMD_HOST: '127.0.0.1',
      CLAMD_PORT: clamd.port,
    });
    try {
      const { visitor } = await heldDialog(server.url);
      const eicar = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');
      const slot = await call<AttachmentSlot>(visitor, 'attachment:prepare', {
        name: 'eicar.txt',
        size: eicar.length,
        type: 'text/plain',
      });
      const refused = await put(server.url, slot.uploadUrl, eicar);
      expect(refused.status).to.equal(415);
      expect(refused.error).to.include({ field: 'file' });
      expect(refused.error!.message).to.match(/virus scanner found Eicar-Test-Signature/);
      const clean = await upload(server.url, visitor, {
        name: 'ok.txt',
        type: 'text/plain',
        bytes: Buffer.from('all good'),
      });
      expect(clean.size).to.equal(8);
      expect(clamd.received.map((r) => r.bytes.toString())).to.include('all good');
    } finally {
      closeAllSockets();
      await server.cleanup();
      clamd.server.close();
    }
  });

  it('when clamd cannot be reached, then the upload fails 503 unscanned and the slot may be retried', async () => {
    const gone = await fakeClamd();
    gone.server.close();
    const server = await startTestServer('embedded', {
      routingConfigPath: TEST_ROUTING,
      CLAMD_HOST: '127.0.0.1',
      CLAMD_PORT: gone.port,
    });
    try {
      const { visitor } = await heldDialog(server.url);
      const bytes = Buffer.from('plain words');
      const slot = await call<AttachmentSlot>(visitor, 'attachment:prepare', {
        name: 'a.txt',
        size: bytes.length,
        type: 'text/plain',
      });
      const result = await put(server.url, slot.uploadUrl, bytes);
      expect(result.status).to.equal(503);
      expect(result.error).to.include({ code: 'unavailable' });
      expect(
        (await server.engine.database.db('attachments').where({ id: slot.attachmentId }).first()).status,
      ).to.equal('pending');
    } finally {
      closeAllSockets();
      await server.cleanup();
    }
  });
});
