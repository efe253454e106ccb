import type { Operator, OperatorRepository } from '../accounts/operator-repository';
import { badRequest, notFound } from '../errors';
import type { QuickReply, QuickReplyRepository } from '../storage/quick-reply-repository';

/**
 * Operators' quick replies: each sees his own and the shared ones in his own order, and every change
 * reaches his open consoles at once (`changed`: the realtime layer pushes `quickReplies:changed`).
 */
export class QuickReplyService {
  constructor(
    private readonly deps: {
      replies: QuickReplyRepository;
      accounts: OperatorRepository;
      /** Pushes an operator's list to his sockets. */
      changed: (operatorId: string, quickReplies: QuickReply[]) => void;
    },
  ) {}

  list(operator: Operator): Promise<QuickReply[]> {
    return this.deps.replies.visibleTo(operator.id);
  }

  /** A supervisor's reply with a group is shared (everyone sees it); any other is the author's own. */
  async create(
    operator: Operator,
    input: { shortcut: string; title: string; body: string; groupId?: string | undefined },
  ): Promise<QuickReply> {
    const shared = Boolean(input.groupId) && operator.role === 'supervisor';
    const created = await this.deps.replies.create({
      ownerId: shared ? null : operator.id,
      groupId: input.groupId ?? null,
      shortcut: input.shortcut,
      title: input.title,
      body: input.body,
    });
    await this.announce(shared ? null : operator.id);
    return created;
  }

  /** An operator deletes his own; a supervisor any. */
  async delete(operator: Operator, id: string): Promise<void> {
    const deleted = await this.deps.replies.delete(
      id,
      operator.role === 'supervisor' ? undefined : operator.id,
    );
    if (!deleted) throw notFound('quick reply');
    await this.announce(deleted.scope === 'group' ? null : operator.id);
  }

  /** `ids` must be exactly the replies he sees, each once, in the order he wants them. */
  async reorder(operator: Operator, ids: string[]): Promise<QuickReply[]> {
    const visible = new Set((await this.deps.replies.visibleTo(operator.id)).map((r) => r.id));
    const given = new Set(ids);
    if (given.size !== ids.length) throw badRequest('ids repeat a quick reply', 'ids');
    const unknown = ids.find((id) => !visible.has(id));
    if (unknown) throw badRequest(`no quick reply ${unknown} of yours`, 'ids');
    if (given.size !== visible.size) throw badRequest('ids must list every quick reply you see', 'ids');
    await this.deps.replies.reorder(operator.id, ids);
    return this.announce(operator.id);
  }

  /** Pushes the new list to its owner, or after a shared change to every active operator. */
  private async announce(ownerId: string | null): Promise<QuickReply[]> {
    const operatorIds = ownerId
      ? [ownerId]
      : (await this.deps.accounts.list()).filter((o) => o.active).map((o) => o.id);
    let own: QuickReply[] = [];
    for (const operatorId of operatorIds) {
      const list = await this.deps.replies.visibleTo(operatorId);
      this.deps.changed(operatorId, list);
      if (operatorId === ownerId) own = list;
    }
    return own;
  }
}
