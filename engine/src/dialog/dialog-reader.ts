import type { OperatorRepository } from '../accounts/operator-repository';
import type {
  DialogDetail,
  DialogSummary,
  MessageView,
  VisitorCard,
  VisitorDialogView,
} from '@hotline/protocol';
import type { RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository, DialogRow } from '../storage/dialog-repository';
import { parseSnapshot } from './dialog-service';
import type { DialogService } from './dialog-service';
import { toSummary } from './dialog-views';

/** Builds the read models that visitors, operators and supervisors see. */
export class DialogReader {
  private readonly names = new Map<string, { name: string; avatarUrl: string | null; at: number }>();

  constructor(
    private readonly deps: {
      repo: DialogRepository;
      operators: OperatorRepository;
      store: RoutingStore;
      dialogs: DialogService;
    },
  ) {}

  /** Operator's display name (cached a minute: it is on every summary). */
  async operatorName(operatorId: string | null): Promise<{ name: string; avatarUrl: string | null } | null> {
    if (!operatorId) return null;
    const cached = this.names.get(operatorId);
    if (cached && Date.now() - cached.at < 60_000) return cached;
    const operator = await this.deps.operators.findById(operatorId);
    if (!operator) return null;
    const entry = {
      name: operator.displayName ?? operator.name,
      avatarUrl: operator.avatarUrl,
      at: Date.now(),
    };
    this.names.set(operatorId, entry);
    return entry;
  }

  async summary(row: DialogRow, lastMessage?: MessageView | null): Promise<DialogSummary> {
    const last =
      lastMessage === undefined
        ? ((await this.deps.repo.lastMessages([row.id])).get(row.id) ?? null)
        : lastMessage;
    return toSummary(row, {
      context: parseSnapshot(row.snapshot).context,
      operatorName: (await this.operatorName(row.operator_id))?.name ?? null,
      lastMessage: last,
    });
  }

  async summaries(rows: DialogRow[]): Promise<DialogSummary[]> {
    const last = await this.deps.repo.lastMessages(rows.map((r) => r.id));
    return Promise.all(rows.map((row) => this.summary(row, last.get(row.id) ?? null)));
  }

  async visitorCard(visitorId: string): Promise<VisitorCard> {
    const { repo } = this.deps;
    const visitor = await repo.findVisitor(visitorId);
    const pages = await repo.pages(visitorId);
    const dialogs = await repo.dialogsOfVisitor(visitorId);
    const firstPage = pages[pages.length - 1];
    return {
      visitorId,
      name: visitor?.name ?? null,
      email: visitor?.email ?? null,
      phone: visitor?.phone ?? null,
      language: visitor?.language ?? null,
      userAgent: visitor?.user_agent ?? null,
      ip: visitor?.ip ?? null,
      currentPage: pages[0] ?? null,
      pages,
      referrer: firstPage?.referrer ?? null,
      earlierDialogs: Math.max(0, dialogs.length - 1),
      blocked: Boolean(visitor?.blocked_at),
    };
  }

  async detail(row: DialogRow): Promise<DialogDetail> {
    const { repo } = this.deps;
    const messages = await repo.messages(row.id);
    const earlier = (await repo.dialogsOfVisitor(row.visitor_id)).filter((d) => d.id !== row.id).slice(0, 10);
    const history = await Promise.all(
      earlier.map(async (d) => ({ dialog: await this.summary(d), messages: await repo.messages(d.id) })),
    );
    return {
      ...(await this.summary(row, messages[messages.length - 1] ?? null)),
      messages,
      visitor: await this.visitorCard(row.visitor_id),
      history,
    };
  }

  /** What the widget shows: no internal notes, the operator's public name, the live queue position. */
  async visitorView(row: DialogRow): Promise<VisitorDialogView> {
    const { repo, store, dialogs } = this.deps;
    const context = parseSnapshot(row.snapshot).context;
    const messages = (await repo.messages(row.id)).filter((m) => m.authorKind !== 'system');
    const operator = await this.operatorName(row.operator_id);
    const position = await store.position(row.id);
    return {
      id: row.id,
      state: toSummary(row, { context, operatorName: null, lastMessage: null }).state,
      operatorName: operator?.name ?? null,
      operatorAvatarUrl: operator?.avatarUrl ?? null,
      messages,
      queue: position
        ? {
            dialogId: row.id,
            position: position.position,
            eta: await dialogs.estimate(position.groupId, position.position),
          }
        : null,
      contactRequested: context.contactRequested,
      contact: row.contact,
    };
  }
}
