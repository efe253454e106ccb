import type { OperatorDirectory } from '../accounts/operator-directory';
import type {
  DialogDetail,
  DialogSummary,
  MessageView,
  VisitorCard,
  VisitorDialogView,
} from '@hotline/protocol';
import type { RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository, Dialog } from '../storage/dialog-repository';
import type { MessageRepository } from '../storage/message-repository';
import type { VisitorRepository } from '../storage/visitor-repository';
import { parseSnapshot } from './dialog-snapshot';
import type { DialogChange } from './dialog-change';
import { OPEN_STATES, stateName, toCard, toSummary } from './dialog-views';
import type { WaitEstimator } from './wait-estimator';
import { queueBound } from '@hotline/routing-rules/queue-bounds';

/** Builds the read models that visitors, operators and supervisors see. */
export class DialogReader {
  constructor(
    private readonly deps: {
      repo: DialogRepository;
      visitorRepo: VisitorRepository;
      messageRepo: MessageRepository;
      directory: OperatorDirectory;
      store: RoutingStore;
      estimator: WaitEstimator;
    },
  ) {}

  /** Operator's display name and picture (the node's directory: it is on every summary). */
  async operatorName(operatorId: string | null): Promise<{ name: string; avatarUrl: string | null } | null> {
    if (!operatorId) return null;
    const operator = await this.deps.directory.profile(operatorId);
    return operator ? { name: operator.displayName ?? operator.name, avatarUrl: operator.avatarUrl } : null;
  }

  async summary(row: Dialog, lastMessage?: MessageView | null): Promise<DialogSummary> {
    const last =
      lastMessage === undefined
        ? ((await this.deps.messageRepo.lastMessages([row.id])).get(row.id) ?? null)
        : lastMessage;
    return toSummary(row, {
      context: parseSnapshot(row.snapshot).context,
      operatorName: (await this.operatorName(row.operatorId))?.name ?? null,
      lastMessage: last,
    });
  }

  async summaries(rows: Dialog[]): Promise<DialogSummary[]> {
    const last = await this.deps.messageRepo.lastMessages(rows.map((r) => r.id));
    return Promise.all(rows.map((row) => this.summary(row, last.get(row.id) ?? null)));
  }

  async visitorCard(visitorId: string): Promise<VisitorCard> {
    const { repo, visitorRepo } = this.deps;
    const { visitor, pages } = await visitorRepo.visitorWithPages(visitorId);
    return toCard(
      visitorId,
      visitor,
      pages,
      Math.max(0, (await repo.dialogsOfVisitor(visitorId)).length - 1),
    );
  }

  /** A dialog's whole detail: its messages and visitor card in one read, his earlier dialogs if any. */
  async detail(row: Dialog): Promise<DialogDetail> {
    const { repo, visitorRepo, messageRepo } = this.deps;
    const { visitor, pages, messages } = await visitorRepo.visitorWithPages(row.visitorId, row.id);
    // An open dialog is its visitor's newest: without a previous one he has no other to read.
    const alone = row.previousDialogId === null && OPEN_STATES.includes(stateName(row.state));
    const others = alone ? [] : (await repo.dialogsOfVisitor(row.visitorId)).filter((d) => d.id !== row.id);
    const history = await Promise.all(
      others
        .slice(0, 10)
        .map(async (d) => ({ dialog: await this.summary(d), messages: await messageRepo.messages(d.id) })),
    );
    return {
      ...(await this.summary(row, messages[messages.length - 1] ?? null)),
      messages,
      visitor: toCard(row.visitorId, visitor, pages, others.length),
      history,
    };
  }

  /** What the widget shows: no internal notes, the operator's public name, the live queue position. */
  async visitorView(row: Dialog): Promise<VisitorDialogView> {
    const context = parseSnapshot(row.snapshot).context;
    const messages = (await this.deps.messageRepo.messages(row.id)).filter((m) => m.authorKind !== 'system');
    const operator = await this.operatorName(row.operatorId);
    return {
      id: row.id,
      state: toSummary(row, { context, operatorName: null, lastMessage: null }).state,
      operatorName: operator?.name ?? null,
      operatorAvatarUrl: operator?.avatarUrl ?? null,
      messages,
      queue: await this.queue(row.id),
      contactRequested: context.contactRequested,
      contact: row.contact,
    };
  }

  /** The widget's view of a dialog its change created: every message it has is in the change. */
  async visitorViewOf(change: DialogChange): Promise<VisitorDialogView> {
    const { visitor } = change.views;
    return {
      id: change.dialogId,
      state: visitor.state,
      operatorName: visitor.operatorName,
      operatorAvatarUrl: visitor.operatorAvatarUrl,
      messages: change.messages.filter((m) => m.authorKind !== 'system'),
      // Only a dialog its change left waiting has a place (a start held for an operator has none).
      queue: change.row.state === 'queued' ? await this.queue(change.dialogId) : null,
      contactRequested: visitor.contactRequested,
      contact: change.row.contact,
    };
  }

  private async queue(dialogId: string): Promise<VisitorDialogView['queue']> {
    const position = await this.deps.store.position(dialogId);
    if (!position) return null;
    // Behind the exact head he sees the bound he is behind, as the pushes tell him (docs/protocol.md).
    const bound = queueBound(position.position);
    if (bound !== null) return { dialogId, position: bound, exact: false, eta: null };
    return {
      dialogId,
      position: position.position,
      exact: true,
      eta: await this.deps.estimator.estimate(position.groupId, position.position),
    };
  }
}
