import type { MessageView } from '@hotline/protocol';
import { expect } from 'chai';
import { Outbox, type OutboxItem, type SendMessage } from '../src/outbox';
import type { Result } from '../src/result';
import { memoryStorage } from '../src/storage';

/** The engine's copy of a sent item: what its ack carries. */
const stored = (item: OutboxItem): MessageView => {
  const { clientMessageId, body } = item;
  const nobody = { authorName: null, authorAvatarUrl: null, operatorId: null, autoKind: null };
  return {
    id: `srv-${clientMessageId}`,
    dialogId: item.dialogId ?? 'd1',
    seq: 1,
    authorKind: 'visitor',
    ...nobody,
    clientMessageId,
    body,
    createdAt: '2024-01-01T00:00:01.000Z',
  };
};
const ok = (item: OutboxItem): Result<MessageView> => ({ ok: true, data: stored(item) });
const noAnswer: Result<never> = {
  ok: false,
  retryable: true,
  error: { code: 'unavailable', message: 'no ack' },
};
const refused = (message: string): Result<never> => ({
  ok: false,
  retryable: false,
  error: { code: 'forbidden', message },
});

/** A send that records what went out and answers as `answer` says. */
function recorder(answer: (item: OutboxItem) => Result<MessageView> | Promise<Result<MessageView>>) {
  const sent: string[] = [];
  const send: SendMessage = async (item) => {
    sent.push(item.clientMessageId);
    return answer(item);
  };
  return { sent, send };
}

describe('client outbox (both UIs)', () => {
  it('when the same client id is added twice, then it is queued once', () => {
    const outbox = new Outbox(memoryStorage(), 'k', async (i) => ok(i));
    outbox.add({ body: 'a', clientMessageId: 'a' });
    outbox.add({ body: 'a again', clientMessageId: 'a' });
    expect(outbox.list().map((i) => i.body)).to.deep.equal(['a']);
  });

  it('when disconnected, then messages stay queued with their ids and go out once, in order, after a reload and reconnect', async () => {
    const storage = memoryStorage();
    let connected = false;
    const { sent, send } = recorder((item) => (connected ? ok(item) : noAnswer));
    const outbox = new Outbox(storage, 'k', send);
    const a = outbox.add({ dialogId: 'd1', body: 'first' });
    const b = outbox.add({ dialogId: 'd1', body: 'second' });
    await outbox.flush();
    expect(outbox.list().map((i) => i.status)).to.deep.equal(['queued', 'queued']);
    expect(sent, 'a retryable failure stops the flush').to.deep.equal([a.clientMessageId]);

    const reloaded = new Outbox(storage, 'k', send);
    expect(reloaded.list().map((i) => i.clientMessageId)).to.deep.equal([
      a.clientMessageId,
      b.clientMessageId,
    ]);
    connected = true;
    await Promise.all([reloaded.flush(), reloaded.flush(), reloaded.flush()]);
    expect(sent).to.deep.equal([a.clientMessageId, a.clientMessageId, b.clientMessageId]);
    expect(reloaded.list()).to.deep.equal([]);
    expect(storage.getItem('k')).to.equal(null);
  });

  it('when flush is called again while a send is in flight, then nothing is sent twice and the item shows as sending', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { sent, send } = recorder(async (item) => {
      if (item.clientMessageId === 'a') await gate;
      return ok(item);
    });
    const outbox = new Outbox(memoryStorage(), 'k', send);
    outbox.add({ body: 'a', clientMessageId: 'a' });
    outbox.add({ body: 'b', clientMessageId: 'b' });
    const first = outbox.flush();
    const second = outbox.flush();
    expect(outbox.list().map((i) => i.status)).to.deep.equal(['sending', 'queued']);
    expect(outbox.isSending('a')).to.equal(true);
    release();
    await Promise.all([first, second]);
    expect(sent).to.deep.equal(['a', 'b']);
    expect(outbox.list()).to.deep.equal([]);
  });

  it('when an item was in flight at a reload, then the new page sends it again with the same id', () => {
    const storage = memoryStorage();
    storage.setItem(
      'k',
      JSON.stringify([
        { dialogId: 'd1', clientMessageId: 'cm-9', body: 'x', createdAt: 'now', status: 'sending' },
      ]),
    );
    expect(new Outbox(storage, 'k', async (i) => ok(i)).list()[0]).to.include({
      clientMessageId: 'cm-9',
      status: 'queued',
    });
  });

  it('when the engine refuses a message, then it is kept as failed with the error, the rest still go, and a retry sends it with its id', async () => {
    let refuse = true;
    const failed: string[] = [];
    const sentMessages: string[] = [];
    const { sent, send } = recorder((item) =>
      refuse && item.body === 'bad' ? refused('not yours') : ok(item),
    );
    const outbox = new Outbox(memoryStorage(), 'k', send, {
      onFailed: (item) => failed.push(item.clientMessageId),
      onSent: (message) => sentMessages.push(message.body),
    });
    const bad = outbox.add({ dialogId: 'd1', body: 'bad' });
    outbox.add({ dialogId: 'd1', body: 'good' });
    await outbox.flush();
    expect(outbox.list()).to.have.length(1);
    expect(outbox.list()[0]).to.deep.include({ body: 'bad', status: 'failed' });
    expect(outbox.list()[0]!.error?.message).to.equal('not yours');
    expect(failed).to.deep.equal([bad.clientMessageId]);
    expect(sentMessages).to.deep.equal(['good']);

    await outbox.flush();
    expect(
      sent.filter((id) => id === bad.clientMessageId),
      'a failed item is not resent by itself',
    ).to.have.length(1);
    refuse = false;
    outbox.retry(bad.clientMessageId);
    expect(outbox.list()[0]).to.not.have.property('error');
    await outbox.flush();
    expect(sent.filter((id) => id === bad.clientMessageId)).to.have.length(2);
    expect(outbox.list()).to.deep.equal([]);
  });

  it('when another tab delivered an item meanwhile, then this tab does not send it', async () => {
    const storage = memoryStorage();
    const other = new Outbox(storage, 'k', async (i) => ok(i));
    const { sent, send } = recorder((item) => {
      if (item.clientMessageId === 'a') other.confirm('b');
      return ok(item);
    });
    const mine = new Outbox(storage, 'k', send);
    mine.add({ body: 'a', clientMessageId: 'a' });
    mine.add({ body: 'b', clientMessageId: 'b' });
    await mine.flush();
    expect(sent).to.deep.equal(['a']);
  });

  it('when an echo of the message arrives or its dialog goes away, then it leaves the outbox (not what is in flight)', async () => {
    const changes: number[] = [];
    let release: () => void = () => undefined;
    const outbox = new Outbox(
      memoryStorage(),
      'k',
      (item) =>
        new Promise((resolve) => {
          release = () => resolve(ok(item));
        }),
      { onChange: (items) => changes.push(items.length) },
    );
    outbox.add({ dialogId: 'd1', body: 'hi', clientMessageId: 'c7' });
    expect(outbox.confirm('c7')).to.equal(true);
    expect(outbox.confirm('c7')).to.equal(false);
    outbox.add({ dialogId: 'd2', body: 'one', clientMessageId: 'c8' });
    outbox.add({ dialogId: 'd2', body: 'two', clientMessageId: 'c9' });
    const flushing = outbox.flush();
    outbox.discardDialog('d2');
    expect(outbox.list().map((i) => i.clientMessageId)).to.deep.equal(['c8']);
    release();
    await flushing;
    expect(outbox.list()).to.deep.equal([]);
    expect(changes.length).to.be.greaterThan(3);
  });

  it('when storage holds garbage, then the outbox is empty or keeps only well-formed items', () => {
    const storage = memoryStorage();
    storage.setItem('k', '{not json');
    expect(new Outbox(storage, 'k', async (i) => ok(i)).list()).to.deep.equal([]);
    storage.setItem(
      'k',
      JSON.stringify([null, 7, { body: 'no id' }, { clientMessageId: 'x', body: 'kept', status: 'failed' }]),
    );
    const items = new Outbox(storage, 'k', async (i) => ok(i)).list();
    expect(items.map((i) => [i.clientMessageId, i.status])).to.deep.equal([['x', 'queued']]);
  });
});
