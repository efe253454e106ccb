import { expect } from 'chai';
import {
  type ChangeWrite,
  type DialogFields,
  DialogRepository,
  type WriteOutcome,
} from '../../src/storage/dialog-repository';
import { MessageRepository } from '../../src/storage/message-repository';
import { PgCounter } from '../support/pg-counter';
import { withMigratedDatabase } from '../support/migrated-database';

/**
 * A change's statement sends back only what the engine does not have (issue 16): the row it builds
 * from the columns it set and those it read back must be the row a read gives, on both backends.
 */
for (const backend of ['embedded PGlite', 'Postgres'] as const) {
  describe(`change statements on ${backend}`, function () {
    this.timeout(60_000);
    const database = withMigratedDatabase(backend);

    const write = (over: Partial<ChangeWrite> = {}): ChangeWrite => ({
      kind: 'transition',
      nodeId: 'test',
      events: [],
      messages: [],
      payload: { event: null },
      ...over,
    });
    const written = (outcome: WriteOutcome | null) => {
      if (outcome?.kind !== 'written') throw new Error(`not written: ${outcome?.kind}`);
      return outcome;
    };
    /** The statement's select list (after its last CTE), where the columns sent back are named. */
    const selectList = (sql: string[]) => {
      const change = sql.filter((text) => text.includes('insert into dialog_changes')).at(-1)!;
      return change.slice(change.lastIndexOf('returning id, seq, created_at'));
    };

    it('when a dialog is created, moved with and without a message, given a message-only change and rated, then each change returns the row a read gives, without the columns it set', async () => {
      const { handle } = database;
      const files = { claim: async () => undefined, viewsOf: async () => new Map() };
      const repo = new DialogRepository(handle.db, new MessageRepository(handle.db, files));
      const visitorId = crypto.randomUUID();
      const operatorId = crypto.randomUUID();
      await handle.db('visitors').insert({ id: visitorId, token_hash: visitorId, site_id: 'demo' });
      await handle.db('operators').insert({
        id: operatorId,
        email: `${operatorId}@example.com`,
        name: 'anna',
        display_name: 'Anna',
        password_hash: 'x',
        role: 'operator',
      });
      const id = crypto.randomUUID();
      const counter = new PgCounter(handle.db);
      const context = (step: number) => ({ dialogId: id, step, timers: { t: { dueAt: step } } });
      /** A transition from `version` into `state`, its snapshot a new context. */
      const move = async (
        version: number,
        state: string,
        fields: DialogFields,
        over?: Partial<ChangeWrite>,
      ) =>
        written(
          await repo.saveTransition(
            handle.db,
            id,
            version,
            { state, snapshot: { value: state, context: context(version) }, ...fields },
            write(over),
          ),
        );
      try {
        const created = written(
          await repo.createDialog(
            {
              id,
              visitorId,
              siteId: 'demo',
              state: 'queued',
              snapshot: { value: 'queued', context: context(1) },
              version: 2,
              groupId: 'support',
              page: { url: 'https://shop.example/' },
              queuedAt: new Date('2026-12-03T10:00:00.123Z'),
            },
            write({
              messages: [{ dialogId: id, authorKind: 'visitor', body: 'hello', clientMessageId: 'c1' }],
              page: { url: 'https://shop.example/' },
            }),
          ),
        );
        expect(created.committed.row).to.deep.equal(await repo.findDialog(id));
        expect(created.committed.lastMessage).to.equal(null);
        expect(selectList(counter.take().sql)).not.to.match(/d\.snapshot,|last_message|d\.queued_at/);

        const assigned = await move(
          2,
          'assigned',
          { operatorId, assignedAt: new Date('2026-12-03T10:00:01.456Z') },
          { message: { dialogId: id, authorKind: 'visitor', body: 'still there?', clientMessageId: 'c2' } },
        );
        expect(assigned.committed.row).to.deep.equal(await repo.findDialog(id));
        expect(assigned.committed.holder).to.deep.equal({ name: 'Anna', avatarUrl: null });
        expect(assigned.messages.map((m) => [m.body, m.authorName])).to.deep.equal([['still there?', null]]);
        // A message without an author's name or picture stores no meta (read back as both null).
        const stored = await handle.db('messages').where({ dialog_id: id }).orderBy('seq').pluck('meta');
        expect(stored).to.deep.equal([null, null]);
        const moved = selectList(counter.take().sql);
        expect(moved).not.to.match(/d\.id,|d\.snapshot,|last_message|d\.operator_id,/);
        expect(moved).to.match(/resent/);

        await repo.rate(id, 4);
        const note = written(
          await repo.saveMessage(handle.db, id, write({ kind: 'message', payload: null })),
        );
        expect(note.committed.row).to.deep.equal(await repo.findDialog(id));
        expect(note.committed.row.rating).to.equal(4);
        expect(note.committed.lastMessage?.body).to.equal('still there?');
        expect(selectList(counter.take().sql)).to.match(/d\.snapshot,.*last_message/s);

        const closed = await move(3, 'closed', { closedAt: new Date('2026-12-03T10:05:00.789Z') });
        expect(closed.committed.row).to.deep.equal(await repo.findDialog(id));
        expect(closed.committed.row.operatorId).to.equal(operatorId);
        expect(closed.committed.row.rating).to.equal(4);
        expect(closed.committed.holder?.name).to.equal('Anna');
        expect(closed.committed.lastMessage?.body).to.equal('still there?');
        const close = selectList(counter.take().sql);
        expect(close).to.match(/last_message/);
        expect(close).not.to.match(/d\.snapshot,|resent/);
        expect(await repo.saveTransition(handle.db, id, 3, { state: 'closed' }, write())).to.deep.equal({
          kind: 'stale',
        });
      } finally {
        counter.stop();
      }
    });
  });
}
