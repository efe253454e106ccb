import { connect } from 'node:net';
import type { Readable } from 'node:stream';

/** clamd's verdict on a stream: clean, or the signature it found. */
export type ScanVerdict = { infected: false } | { infected: true; signature: string };

/** clamd refuses INSTREAM chunks above its StreamMaxLength; 64 KB chunks stay far below any setting. */
const CHUNK = 64 * 1024;

/**
 * A minimal clamd client for the INSTREAM command: `zINSTREAM\0`, then each chunk as a 4-byte
 * big-endian length and the bytes, then a zero length; clamd answers `stream: OK` or
 * `stream: <signature> FOUND`. The bytes are streamed, never held whole.
 */
export class ClamdScanner {
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 30_000,
  ) {}

  scan(body: Readable): Promise<ScanVerdict> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port });
      const replies: Buffer[] = [];
      const fail = (error: Error) => {
        socket.destroy();
        body.destroy();
        reject(error);
      };
      socket.setTimeout(this.timeoutMs, () => fail(new Error('clamd timed out')));
      socket.on('error', fail);
      socket.on('data', (data: Buffer) => replies.push(data));
      socket.on('end', () => {
        const reply = Buffer.concat(replies).toString('utf8').replace(/\0/g, '').trim();
        const found = /^stream: (.+) FOUND$/.exec(reply);
        if (found) resolve({ infected: true, signature: found[1]! });
        else if (/^stream: OK$/.test(reply)) resolve({ infected: false });
        else reject(new Error(`clamd answered: ${reply.slice(0, 200)}`));
        socket.destroy();
      });
      socket.once('connect', async () => {
        try {
          socket.write('zINSTREAM\0');
          for await (const data of body) {
            const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data as Uint8Array);
            for (let offset = 0; offset < buffer.length; offset += CHUNK) {
              const piece = buffer.subarray(offset, offset + CHUNK);
              const length = Buffer.alloc(4);
              length.writeUInt32BE(piece.length);
              if (!socket.write(Buffer.concat([length, piece])))
                await new Promise((r) => socket.once('drain', r));
            }
          }
          socket.write(Buffer.alloc(4));
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }
}
