import { Writable } from 'node:stream';
import { expect } from 'chai';
import { z } from 'zod';
import express from 'express';
import { AppError, toAppError } from '../../src/errors';
import { requestLogging } from '../../src/http/middleware';
import { createLogger } from '../../src/logger';
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
  return { logger: createLogger('debug', 'test', sink), lines };
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
    const service = logger.child({ service: 'somewhere below' });
    const handler = ackHandler(logger, z.object({ n: z.number() }), async ({ n }, log) => {
      log.info({ n }, 'working');
      await new Promise((resolve) => setTimeout(resolve, 1));
      // A service logs with its own logger, after an await: the line still names the event.
      service.info({ n }, 'service line');
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
    const serviceLines = lines.filter((l) => l.msg === 'service line');
    expect(serviceLines.map((l) => l.eventId)).to.deep.equal(working.map((l) => l.eventId));
    // Outside any handling, no id.
    service.info('idle');
    expect(lines.at(-1)).to.not.have.property('eventId');
  });

  it('when a REST request is handled, then lines logged by any logger during it carry its request id, once', async () => {
    const { logger, lines } = capturedLogger();
    const service = logger.child({ service: 'somewhere below' });
    const app = express();
    app.use(requestLogging(logger));
    app.get('/x', async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      service.info('service line');
      req.log.warn('handler line');
      res.status(404).json({});
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/x`, { headers: { 'x-request-id': 'req-42' } });
      expect(response.headers.get('x-request-id')).to.equal('req-42');
    } finally {
      server.close();
    }
    expect(lines.find((l) => l.msg === 'service line')?.reqId).to.equal('req-42');
    expect(lines.find((l) => l.msg === 'handler line')?.reqId).to.equal('req-42');
    // pino-http's own line binds reqId already: the id is not written twice (JSON.parse keeps one).
    const raw = lines.filter((l) => l.reqId === 'req-42');
    expect(raw.length).to.be.at.least(3);
  });
});
