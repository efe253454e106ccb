import { expect } from 'chai';
import type { MessageView } from '@hotline/engine/protocol';
import { memoryStorage, Outbox, type OutboxItem, type SendResult } from '../src/outbox';
import { pendingMessage, upsertMessage, fromServer } from '../src/store';

const item = (id: string, body = `body ${id}`): OutboxItem => ({
  clientMessageId: id,
  body,
  createdAt: '2024-01-01T00:00:00.000Z',
});
const stored = (id: string, seq: number): MessageView => ({
  id: `srv-${id}`,
  dialogId: 'd1',
  seq,
  authorKind: 'visitor',
  authorName: null,
  authorAvatarUrl: null,
  operatorId: null,
  autoKind: null,
  clientMessageId: id,
  body: `body ${id}`,
  createdAt: '2024-01-01T00:00:01.000Z',
});

describe('widget outbox', () => {
  it('when the same client id is added twice, then it is queued once', () => {
    const outbox = new Outbox(memoryStorage(), 'k');
    outbox.add(item('a'));
    outbox.add(item('a'));
    expect(outbox.list()).to.have.length(1);
  });

  it('when the page reloads, then a new outbox on the same storage still holds the unsent items', () => {
    const storage = memoryStorage();
    new Outbox(storage, 'k').add(item('a'));
    expect(new Outbox(storage, 'k').list().map((i) => i.clientMessageId)).to.deep.equal(['a']);
  });

  it('when flush is called again while a send is in flight, then nothing is sent twice and order is kept', async () => {
    const outbox = new Outbox(memoryStorage(), 'k');
    outbox.add(item('a'));
    outbox.add(item('b'));
    const sent: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const send = async (i: OutboxItem): Promise<SendResult> => {
      sent.push(i.clientMessageId);
      if (i.clientMessageId === 'a') await gate;
      return { ok: true, message: stored(i.clientMessageId, sent.length) };
    };
    const first = outbox.flush(send, () => undefined);
    await outbox.flush(send, () => undefined);
    await outbox.flush(send, () => undefined);
    release();
    await first;
    expect(sent).to.deep.equal(['a', 'b']);
    expect(outbox.list()).to.deep.equal([]);
  });

  it('when the ack does not come (disconnected), then the item stays and the flush stops; a later flush sends it once', async () => {
    const outbox = new Outbox(memoryStorage(), 'k');
    outbox.add(item('a'));
    outbox.add(item('b'));
    const sent: string[] = [];
    await outbox.flush(
      async (i) => {
        sent.push(i.clientMessageId);
        return { ok: false, retryable: true, error: { code: 'unavailable', message: 'no answer' } };
      },
      () => undefined,
    );
    expect(sent).to.deep.equal(['a']);
    expect(outbox.list().map((i) => i.clientMessageId)).to.deep.equal(['a', 'b']);
    await outbox.flush(
      async (i) => {
        sent.push(i.clientMessageId);
        return { ok: true, message: stored(i.clientMessageId, 1) };
      },
      () => undefined,
    );
    expect(sent).to.deep.equal(['a', 'a', 'b']);
    expect(outbox.list()).to.deep.equal([]);
  });

  it('when the engine refuses a message, then it leaves the outbox and is reported as failed', async () => {
    const outbox = new Outbox(memoryStorage(), 'k');
    outbox.add(item('a'));
    const results: SendResult[] = [];
    await outbox.flush(
      async () => ({ ok: false, retryable: false, error: { code: 'rate_limited', message: 'slow down' } }),
      (_i, r) => results.push(r),
    );
    expect(outbox.list()).to.deep.equal([]);
    expect(results[0]).to.include({ ok: false, retryable: false });
  });

  it('when another tab delivered an item meanwhile, then this tab does not send it', async () => {
    const storage = memoryStorage();
    const mine = new Outbox(storage, 'k');
    const other = new Outbox(storage, 'k');
    mine.add(item('a'));
    mine.add(item('b'));
    const sent: string[] = [];
    await mine.flush(
      async (i) => {
        sent.push(i.clientMessageId);
        if (i.clientMessageId === 'a') other.remove('b');
        return { ok: true, message: stored(i.clientMessageId, 1) };
      },
      () => undefined,
    );
    expect(sent).to.deep.equal(['a']);
  });

  it('when storage holds garbage, then the outbox is empty rather than broken', () => {
    const storage = memoryStorage();
    storage.setItem('k', '{not json');
    expect(new Outbox(storage, 'k').list()).to.deep.equal([]);
  });
});

describe('widget message merging', () => {
  it('when the server copy of a pending message arrives, then it replaces it (sent), once', () => {
    let list = upsertMessage([], pendingMessage('a', 'hello', '2024-01-01T00:00:00.000Z'));
    list = upsertMessage(list, fromServer(stored('a', 5)));
    list = upsertMessage(list, fromServer(stored('a', 5)));
    expect(list).to.have.length(1);
    expect(list[0]).to.include({ delivery: 'sent', seq: 5, id: 'srv-a' });
  });

  it('when a pending copy comes after the server copy, then the message does not go back to sending', () => {
    let list = upsertMessage([], fromServer(stored('a', 5)));
    list = upsertMessage(list, pendingMessage('a', 'body a', '2024-01-01T00:00:00.000Z'));
    expect(list[0]).to.include({ delivery: 'sent' });
  });

  it('when messages arrive out of order, then they are sorted by seq with pending ones last', () => {
    let list = upsertMessage([], pendingMessage('p', 'later', '2024-01-01T00:00:09.000Z'));
    list = upsertMessage(list, fromServer(stored('b', 2)));
    list = upsertMessage(list, fromServer(stored('a', 1)));
    expect(list.map((m) => m.key)).to.deep.equal(['a', 'b', 'p']);
  });
});
