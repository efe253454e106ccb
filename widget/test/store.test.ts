import type { MessageView } from '@hotline/protocol';
import { expect } from 'chai';
import { fromServer, pendingMessage, upsertMessage } from '../src/store';

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
