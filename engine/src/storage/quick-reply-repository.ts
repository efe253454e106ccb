import { randomUUID } from 'node:crypto';
import type { QuickReply } from '@hotline/protocol';
import type { Database } from './database';

export type { QuickReply };

interface QuickReplyRow {
  id: string;
  operator_id: string | null;
  group_id: string | null;
  shortcut: string;
  title: string;
  body: string;
}

const toQuickReply = (row: QuickReplyRow): QuickReply => ({
  id: row.id,
  scope: row.operator_id ? 'personal' : 'group',
  groupId: row.group_id,
  shortcut: row.shortcut,
  title: row.title,
  body: row.body,
});

/**
 * `quick_replies` and each operator's order of them (`quick_reply_positions`): one operator's order
 * never moves another's, and a reply he has not placed yet (new, or shared meanwhile) comes last.
 */
export class QuickReplyRepository {
  constructor(private readonly db: Database) {}

  /** What the operator sees (his own and the shared ones), in his order. */
  async visibleTo(operatorId: string): Promise<QuickReply[]> {
    const rows = await this.db<QuickReplyRow>('quick_replies as q')
      .leftJoin('quick_reply_positions as p', (join) =>
        join.on('p.quick_reply_id', 'q.id').andOnVal('p.operator_id', operatorId),
      )
      .where((q) => q.where('q.operator_id', operatorId).orWhereNull('q.operator_id'))
      .orderByRaw('p.position asc nulls last, q.created_at asc, q.shortcut asc')
      .select('q.id', 'q.operator_id', 'q.group_id', 'q.shortcut', 'q.title', 'q.body');
    return rows.map(toQuickReply);
  }

  /** A new reply, `ownerId` null for a shared one. */
  async create(input: {
    ownerId: string | null;
    groupId: string | null;
    shortcut: string;
    title: string;
    body: string;
  }): Promise<QuickReply> {
    const row: QuickReplyRow = {
      id: randomUUID(),
      operator_id: input.ownerId,
      group_id: input.groupId,
      shortcut: input.shortcut,
      title: input.title,
      body: input.body,
    };
    await this.db('quick_replies').insert(row);
    return toQuickReply(row);
  }

  /** Deletes one; `ownerId` restricts it to that operator's own. Returns what was deleted, or null. */
  async delete(id: string, ownerId?: string): Promise<QuickReply | null> {
    const query = this.db<QuickReplyRow>('quick_replies').where({ id });
    if (ownerId) query.andWhere({ operator_id: ownerId });
    const [row] = await query.delete().returning('*');
    return row ? toQuickReply(row) : null;
  }

  /** Stores the operator's order: `ids` in their new order (the caller checked they are what he sees). */
  async reorder(operatorId: string, ids: string[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('quick_reply_positions').where({ operator_id: operatorId }).delete();
      if (ids.length === 0) return;
      await trx('quick_reply_positions').insert(
        ids.map((id, position) => ({ operator_id: operatorId, quick_reply_id: id, position })),
      );
    });
  }
}
