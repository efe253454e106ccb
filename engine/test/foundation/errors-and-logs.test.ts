import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { z } from 'zod';
import { AppError, toAppError } from '../../src/errors';
import type { Ack } from '@hotline/protocol';
import { ackHandler } from '../../src/realtime/ack-handler';
import { ErrorCode, routingStoreError } from '../../src/routing-store/routing-store-error';

/** A real pino logger whose lines are kept, parsed. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

function acked<T>(handler: (...args: unknown[]) => Promise<void>, payload: unknown): Promise<Ack<T>> {
  return new Promise((resolve) => void handler(payload, resolve));
}

describe('errors and logs', () => {
  it('when the routing store fails, then each of its codes maps to the protocol code a client can act on', () => {
    const cases: [ErrorCode, string][] = [
      [ErrorCode.OperatorNotFound, 'unavailable'],
      [ErrorCode.QueueMoved, 'conflict'],
      [ErrorCode.Contention, 'conflict'],
      [ErrorCode.InvalidArgument, 'bad_request'],
      [ErrorCode.UnexpectedReply, 'unavailable'],
    ];
    for (const [code, expected] of cases) {
      const mapped = toAppError(routingStoreError(code, 'detail'));
      expect(mapped.code, ErrorCode[code]).to.equal(expected);
      expect(mapped.message).to.not.contain('detail');
    }
    expect(toAppError(new Error('boom')).toBody()).to.deep.equal({
      code: 'internal',
      message: 'internal error',
    });
    const own = new AppError('not_found', 'dialog not found');
    expect(toAppError(own)).to.equal(own);
  });

  it('when a socket event is handled, then every line it logs carries one event id, another event another', async () => {
    const { logger, lines } = capturedLogger();
    const handler = ackHandler(logger, z.object({ n: z.number() }), async ({ n }, log) => {
      log.info({ n }, 'working');
      if (n === 2) throw new Error('plain failure');
      if (n === 3) throw routingStoreError(ErrorCode.Contention, 'moved');
      return n;
    });
    expect(await acked(handler, { n: 1 })).to.deep.equal({ data: 1 });
    expect(await acked(handler, { n: 2 })).to.deep.equal({
      error: { code: 'internal', message: 'internal error' },
    });
    const contended = await acked<number>(handler, { n: 3 });
    expect('error' in contended && contended.error.code).to.equal('conflict');
    const ids = lines.map((l) => l.eventId);
    expect(ids.every((id) => typeof id === 'string')).to.equal(true);
    const working = lines.filter((l) => l.msg === 'working');
    expect(new Set(working.map((l) => l.eventId)).size).to.equal(3);
    const failed = lines.find((l) => l.msg === 'socket handler failed');
    expect(failed?.eventId, 'the failure names the event it failed in').to.equal(working[1]?.eventId);
    const refused = lines.find((l) => l.msg === 'socket event refused');
    expect(refused?.eventId).to.equal(working[2]?.eventId);
  });
});
