import type { z } from 'zod';
import { type Authorization, leadGroupsOf } from '../accounts/authorization';
import type { Operator, OperatorRepository } from '../accounts/operator-repository';
import type { AttachmentService } from '../attachments/attachment-service';
import type { AssignmentDispatcher } from '../dialog/assignment-dispatcher';
import type { DialogContext } from '../dialog/dialog-machine';
import type { DispatchHooks, DispatchResult } from '../dialog/dialog-service';
import { parseSnapshot } from '../dialog/dialog-snapshot';
import { HELD_STATES, OPEN_STATES, stateName } from '../dialog/dialog-views';
import { AppError, badRequest, forbidden, notFound } from '../errors';
import type {
  AssignSchema,
  AttachmentSlot,
  BlockSchema,
  CloseSchema,
  DialogDetail,
  DialogSummary,
  GroupLiveStats,
  MessageView,
  OperatorAttachmentPrepareSchema,
  OperatorMessageSchema,
  OperatorSelf,
  Presence,
  TransferSchema,
} from '@hotline/protocol';
import type { TransferSource, TransferTarget } from '../routing-store/routing-store';
import type { Dialog, NewMessage } from '../storage/dialog-repository';
import type { ServiceDeps } from './service-deps';

function requireSupervisor(operator: Operator) {
  if (operator.role !== 'supervisor') throw forbidden('supervisor role required');
}

/** Told of every presence set through the service (self:update for his tabs, the dashboard). */
export type PresenceListener = (self: OperatorSelf) => void;

/** An operator typing in a dialog, for its visitor (`typing:operator`). */
export type OperatorTypingListener = (typing: {
  visitorId: string;
  dialogId: string;
  typing: boolean;
}) => void;

/** How long a typing mark is kept: longer than any sensible unanswered grace. */
const TYPING_MARK_TTL_MS = 10 * 60_000;

/** The operator's and supervisor's use cases on dialogs. */
export class OperatorService {
  private readonly presenceListeners: PresenceListener[] = [];
  private readonly typingListeners: OperatorTypingListener[] = [];
  private readonly blockListeners: ((visitorId: string) => void)[] = [];

  constructor(
    private readonly deps: ServiceDeps & {
      assignments: AssignmentDispatcher;
      access: Authorization;
      /** Operators' accounts and their recorded presence. */
      accounts: OperatorRepository;
      /** Blocks the visitor's token and address (VisitorService.block). */
      blockVisitor: (visitorId: string, reason: string) => Promise<void>;
      attachments: AttachmentService;
    },
  ) {}

  /** Every presence change made here goes to `listener` (a subscription, not wiring by setter). */
  onPresence(listener: PresenceListener) {
    this.presenceListeners.push(listener);
  }

  /** Every typing change of an operator goes to `listener` (the realtime layer tells the visitor). */
  onTyping(listener: OperatorTypingListener) {
    this.typingListeners.push(listener);
  }

  /**
   * The holder types (or stops) in his dialog: marked in the routing store, where any node's timer
   * worker reads it (a dialog he is typing in is not taken from him), and told to the visitor.
   */
  async typing(operator: Operator, input: { dialogId: string; typing: boolean }): Promise<void> {
    const { repo, store, clock } = this.deps;
    // A narrow read: whose dialog it is, not its whole detail.
    const holder = await repo.holderOf(input.dialogId);
    if (holder?.operatorId !== operator.id) throw forbidden('this dialog is not assigned to you');
    if (input.typing) await store.markTyping(input.dialogId, operator.id, clock(), TYPING_MARK_TTL_MS);
    for (const listener of this.typingListeners)
      listener({ visitorId: holder.visitorId, dialogId: input.dialogId, typing: input.typing });
  }

  async self(operator: Operator): Promise<OperatorSelf> {
    const routing = await this.deps.store.getOperator(operator.id);
    return {
      operatorId: operator.id,
      name: operator.displayName ?? operator.name,
      email: operator.email,
      role: operator.role,
      status: routing?.status ?? 'offline',
      load: routing?.load ?? 0,
      limit: routing?.limit ?? 0,
    };
  }

  /**
   * Presence drives routing: online receives dialogs up to his limit (the backlog flows in, never
   * more), away receives none and keeps what he holds. Offline (after the presence grace, when his
   * connections are gone, or deactivated) gives his dialogs back: each returns to the front of its
   * queue at its old place, unless his group keeps them `keepDialogsOnOfflineSeconds` for his return
   * (the reconciler gives them back when that time is up; `atOnce` ignores it: deactivation). When
   * the first operator of a group comes online, its offline dialogs still waiting without a contact
   * join the queue.
   */
  async setPresence(
    operator: Operator,
    status: Presence,
    options: { atOnce?: boolean } = {},
  ): Promise<OperatorSelf> {
    const { store, assignments, clock } = this.deps;
    const routing = await store.getOperator(operator.id);
    if (!routing) {
      await store.upsertOperator({ operatorId: operator.id, status, limit: 0, groups: [] }, clock());
    } else {
      // The store may lose its data between the read and the write: `unavailable` (errors.ts), retried.
      await store.setPresence(operator.id, status, clock());
    }
    await this.deps.accounts.recordPresence(operator.id, status, clock());
    const groups = routing?.groups.map((g) => g.groupId) ?? [];
    if (status === 'online') {
      await this.wakeOfflineDialogs(groups);
      await Promise.all(groups.map((g) => assignments.trigger(g)));
    } else if (status === 'offline') {
      await this.releaseDialogsOfGone(operator.id, options.atOnce ? Number.POSITIVE_INFINITY : 0);
      await this.parkQueuesWithoutOperators(groups);
    }
    // A run ends in its group's queue flush, which sets the online gauge (hotline_operators_online)
    // and the head's wait estimates: a close's release no longer flushes a queue nobody waits in.
    if (status !== 'online') for (const g of groups) void assignments.trigger(g);
    const self = await this.self(operator);
    for (const listener of this.presenceListeners) listener(self);
    return self;
  }

  /**
   * An operator offline for `offlineForMs`: each dialog he holds (assigned, active or offered) whose
   * group does not keep it that long goes back to its queue at its old place (HOLDER_GONE; the
   * visitor is pushed the `queued` state and his position, the next operator gets the dialog with
   * its messages). Returns how many he still holds (kept for his return).
   */
  async releaseDialogsOfGone(operatorId: string, offlineForMs: number): Promise<number> {
    const { store, repo, dialogs, decisions, assignments } = this.deps;
    const rules = decisions();
    const groups = new Set<string>();
    let kept = 0;
    for (const dialogId of await store.operatorDialogs(operatorId)) {
      const holder = await store.holder(dialogId);
      if (holder?.operatorId !== operatorId) continue;
      if (rules.hasGroup(holder.groupId) && offlineForMs < rules.keepDialogsOnOfflineMs(holder.groupId)) {
        kept += 1;
        continue;
      }
      const row = await repo.findDialog(dialogId);
      const priority = row ? parseSnapshot(row.snapshot).context.priority : 0;
      if (!(await store.requeueHeld(dialogId, operatorId, priority))) continue;
      const result = await dialogs.dispatch(dialogId, { type: 'HOLDER_GONE', operatorId });
      if (!result.accepted && stateName(result.row.state) !== 'queued') {
        // The dialog had already moved on (closed meanwhile): it must not wait in a queue.
        await store.dequeue(dialogId);
      }
      groups.add(holder.groupId);
    }
    for (const groupId of groups) void assignments.trigger(groupId);
    return kept;
  }

  /**
   * An operator offline whose groups kept his dialogs for his return: those whose keep time is up
   * (counted from his going offline, as Postgres recorded it) go back to their queues. Returns how
   * many were given back.
   */
  async releaseKeptDialogs(operatorId: string, now: number): Promise<number> {
    const recorded = await this.deps.accounts.presenceOf(operatorId);
    if (recorded && recorded.presence !== 'offline') return 0;
    const since = recorded?.since ?? Number.NEGATIVE_INFINITY;
    const before = (await this.deps.store.operatorDialogs(operatorId)).length;
    const kept = await this.releaseDialogsOfGone(operatorId, now - since);
    return before - kept;
  }

  /**
   * Dialogs Postgres still gives to an operator who is offline past his groups' keep time while the
   * routing store does not hold them for him (a node died between requeueHeld and HOLDER_GONE, or
   * Redis lost the holding): the reconciler confirms them over two runs, then `giveBackOrphan`.
   */
  async dialogsOfGoneNotHeld(
    now: number,
  ): Promise<{ dialogId: string; operatorId: string; version: number }[]> {
    const { accounts, store, decisions } = this.deps;
    const rules = decisions();
    const orphans: { dialogId: string; operatorId: string; version: number }[] = [];
    for (const held of await accounts.dialogsHeldByOffline()) {
      const keepMs =
        held.groupId && rules.hasGroup(held.groupId) ? rules.keepDialogsOnOfflineMs(held.groupId) : 0;
      if (now - held.offlineSince < keepMs) continue;
      if ((await store.holder(held.dialogId))?.operatorId === held.operatorId) continue;
      orphans.push({ dialogId: held.dialogId, operatorId: held.operatorId, version: held.version });
    }
    return orphans;
  }

  /** HOLDER_GONE for a dialog the store no longer holds for its gone operator: the machine queues it again. */
  async giveBackOrphan(dialogId: string, operatorId: string): Promise<boolean> {
    const result = await this.deps.dialogs.dispatch(dialogId, { type: 'HOLDER_GONE', operatorId });
    return result.accepted;
  }

  private async wakeOfflineDialogs(groupIds: string[]) {
    if (groupIds.length === 0) return;
    const rows = await this.deps.repo.dialogsInStates(['offline', 'awaiting-contact'], { groupIds });
    for (const row of rows) await this.deps.dialogs.dispatch(row.id, { type: 'OPERATORS_AVAILABLE' });
  }

  /** Nobody left online in a group: its queued visitors get the offline answer instead of waiting forever. */
  private async parkQueuesWithoutOperators(groupIds: string[]) {
    for (const groupId of groupIds) {
      const operators = await this.deps.store.listOperators(groupId);
      if (operators.some((o) => o.status === 'online')) continue;
      for (const queued of await this.deps.store.queue(groupId)) {
        await this.deps.dialogs.dispatch(queued.dialogId, { type: 'OPERATORS_GONE' });
      }
    }
  }

  async lists(operator: Operator): Promise<{ mine: DialogSummary[]; leads: DialogSummary[] }> {
    const { repo, reader, access } = this.deps;
    const mine = await repo.dialogsInStates([...HELD_STATES, 'offered'], { operatorId: operator.id });
    const groups = leadGroupsOf(access.actor(operator));
    const leads =
      groups === 'all'
        ? await repo.dialogsInStates(['lead'])
        : groups.length > 0
          ? await repo.dialogsInStates(['lead'], { groupIds: [...groups] })
          : [];
    return { mine: await reader.summaries(mine), leads: await reader.summaries(leads) };
  }

  async allOpen(): Promise<DialogSummary[]> {
    return this.deps.reader.summaries(await this.deps.repo.dialogsInStates(OPEN_STATES));
  }

  /** Holders, operators of the group a queued dialog or lead waits in, and supervisors (see Authorization). */
  async open(operator: Operator, dialogId: string): Promise<DialogDetail> {
    return this.deps.reader.detail(await this.deps.access.readableDialog(operator, dialogId));
  }

  /**
   * Nothing is read first: whether he holds the dialog is decided on the row the write is checked
   * against (`heldBy`), which this node usually has (DialogService's cache), so the message is one
   * statement.
   */
  async sendMessage(operator: Operator, input: z.infer<typeof OperatorMessageSchema>): Promise<MessageView> {
    const dialogId = input.dialogId;
    // A resend (same client id) gets the stored message back from the transaction's first insert.
    const { stored } = await this.deps.dialogs.dispatchWithMessage(
      dialogId,
      { type: 'OPERATOR_MESSAGE', operatorId: operator.id },
      {
        dialogId,
        authorKind: 'operator',
        operatorId: operator.id,
        clientMessageId: input.clientMessageId,
        body: input.body,
        authorName: operator.displayName ?? operator.name,
        authorAvatarUrl: operator.avatarUrl,
        ...(input.attachmentIds?.length
          ? { attachments: { ids: input.attachmentIds, uploader: { kind: 'operator', id: operator.id } } }
          : {}),
      },
      { authorize: heldBy(operator) },
    );
    if (!stored) throw new AppError('conflict', 'the dialog is no longer yours');
    return stored;
  }

  /**
   * To a group: the back of that group's queue. To a named operator: he must be online with room.
   * Either way one store step (`transferDialog`) inside the transition's transaction moves the dialog
   * and its slot together, only once the target accepts: a refusal rolls back the transition and the
   * note, and the sender keeps the dialog and his load exactly as before (even while away).
   */
  async transfer(operator: Operator, input: z.infer<typeof TransferSchema>): Promise<DialogSummary> {
    const { dialogs, decisions, clock } = this.deps;
    const row = await this.requireHeld(operator, input.dialogId);
    const from = { kind: 'operator', operatorId: operator.id } as const;
    const name = operator.displayName ?? operator.name;
    const note: NewMessage | null = input.note
      ? {
          dialogId: row.id,
          authorKind: 'system',
          operatorId: operator.id,
          body: `Transfer note from ${name}: ${input.note}`,
          authorName: name,
        }
      : null;
    let result: DispatchResult;
    if (input.toGroupId) {
      const groupId = input.toGroupId;
      if (!decisions().hasGroup(groupId)) throw badRequest(`unknown group ${groupId}`, 'toGroupId');
      const route = decisions().resolveRoute({ choice: { groupId } }, clock());
      result = await dialogs.dispatch(
        row.id,
        { type: 'TRANSFER_TO_GROUP', groupId, fallbackChain: route.fallbackChain },
        this.movedInStore(row, from, (context) => ({ kind: 'group', groupId, priority: context.priority }), {
          note,
          field: 'toGroupId',
        }),
      );
    } else {
      const target = input.toOperatorId!;
      if (target === operator.id) throw badRequest('the dialog is already yours', 'toOperatorId');
      await this.requireRoutable(target, 'toOperatorId');
      result = await dialogs.dispatch(
        row.id,
        { type: 'TRANSFERRED', toOperatorId: target },
        this.movedInStore(row, from, () => ({ kind: 'operator', operatorId: target, ignoreGroup: true }), {
          note,
          field: 'toOperatorId',
        }),
      );
    }
    if (!result.accepted) throw new AppError('conflict', 'the dialog cannot be transferred now');
    await this.triggerGroupsOf(operator.id);
    return this.summaryOf(result);
  }

  /**
   * A supervisor hands a queued dialog to a named operator, who must be online with room (any group):
   * the dialog leaves its queue and takes his slot in one store step, in the transition's transaction.
   */
  async assign(
    supervisor: Operator,
    input: z.infer<typeof AssignSchema>,
  ): Promise<{ summary: DialogSummary; groupId: string }> {
    const { dialogs, metrics } = this.deps;
    requireSupervisor(supervisor);
    const row = await this.requireDialog(input.dialogId);
    const state = stateName(row.state);
    if (state !== 'queued')
      throw new AppError('conflict', `only a queued dialog can be assigned; this one is ${state}`);
    const groupId = row.groupId ?? '';
    await this.requireRoutable(input.operatorId, 'operatorId');
    const result = await dialogs.dispatch(
      row.id,
      { type: 'ASSIGNED', operatorId: input.operatorId, groupId },
      this.movedInStore(
        row,
        { kind: 'queue' },
        () => ({ kind: 'operator', operatorId: input.operatorId, ignoreGroup: true }),
        { note: null, field: 'operatorId' },
      ),
    );
    if (!result.accepted) throw new AppError('conflict', 'the dialog is no longer waiting');
    metrics.assignments.inc({ group: groupId });
    // dialog:assigned and self:update for him, as a queue assignment.
    this.deps.assignments.announce(result.change, { operatorId: input.operatorId, groupId });
    return { summary: await this.summaryOf(result), groupId };
  }

  /**
   * A supervisor takes a held dialog over: it becomes his and the previous holder's slot is freed by
   * the same store step. He needs room under his own limit like anyone else (never above it).
   */
  async takeOver(
    supervisor: Operator,
    dialogId: string,
  ): Promise<{ detail: DialogDetail; previousOperatorId: string }> {
    const { dialogs } = this.deps;
    requireSupervisor(supervisor);
    const row = await this.requireDialog(dialogId);
    const previousOperatorId = row.operatorId;
    if (!previousOperatorId || !HELD_STATES.includes(stateName(row.state)))
      throw new AppError(
        'conflict',
        `only an assigned or active dialog can be taken over; this one is ${row.state}`,
      );
    if (previousOperatorId === supervisor.id) throw badRequest('the dialog is already yours', 'dialogId');
    const result = await dialogs.dispatch(
      row.id,
      { type: 'TRANSFERRED', toOperatorId: supervisor.id },
      this.movedInStore(
        row,
        { kind: 'operator', operatorId: previousOperatorId },
        () => ({ kind: 'operator', operatorId: supervisor.id, ignoreGroup: true }),
        { note: null, field: 'dialogId' },
      ),
    );
    if (!result.accepted) throw new AppError('conflict', 'the dialog cannot be taken over now');
    await this.triggerGroupsOf(previousOperatorId);
    return { detail: await this.detailOf(result), previousOperatorId };
  }

  /**
   * The hook that moves the dialog in the routing store inside the transition's transaction, last (so
   * nothing after it can roll back a move already made): a refusal throws, which rolls back the
   * transition and the note. Only a failed commit after a successful move leaves the two apart, which
   * the reconciler repairs from Postgres.
   */
  private movedInStore(
    row: Dialog,
    from: TransferSource,
    to: (context: DialogContext) => TransferTarget,
    options: { note: NewMessage | null; field: string },
  ): DispatchHooks {
    const { store, clock } = this.deps;
    return {
      messages: options.note ? [options.note] : [],
      inTransaction: async (_trx, context) => {
        const target = to(context);
        const moved = await store.transferDialog(
          { dialogId: row.id, groupId: row.groupId ?? '' },
          from,
          target,
          clock(),
        );
        if (moved.kind === 'rejected') {
          const who =
            target.kind === 'operator'
              ? 'the operator cannot take it'
              : 'the dialog cannot be transferred now';
          throw new AppError('conflict', `${who}: ${moved.reason}`, options.field);
        }
      },
    };
  }

  /** A freed slot: what waits in the operator's groups may go to him now. */
  private async triggerGroupsOf(operatorId: string) {
    const routing = await this.deps.store.getOperator(operatorId);
    for (const g of routing?.groups ?? []) void this.deps.assignments.trigger(g.groupId);
  }

  /** Like `sendMessage`, decided on the row the write is checked against: one statement. */
  async close(operator: Operator, input: z.infer<typeof CloseSchema>): Promise<DialogSummary> {
    const result = await this.deps.dialogs.dispatch(
      input.dialogId,
      { type: 'CLOSE', by: 'operator', outcome: input.outcome },
      { authorize: this.deps.access.actOnDialog(operator) },
    );
    const change = result.change;
    if (!result.accepted || !change)
      throw new AppError('conflict', `a ${result.row.state} dialog cannot be closed`);
    if (stateName(change.from) === 'lead' || change.previous.contact)
      this.deps.metrics.leadsFollowedUp.inc({ outcome: input.outcome });
    return this.summaryOf(result);
  }

  /**
   * Picking up a lead makes it his dialog: it counts toward his limit like any other. The slot is
   * taken inside the transition's transaction, so a refused slot or a lost race leaves nothing behind.
   */
  async pickLead(operator: Operator, dialogId: string): Promise<DialogDetail> {
    const { store, dialogs, clock } = this.deps;
    const row = await this.deps.access.pickableLead(operator, dialogId);
    if (stateName(row.state) !== 'lead') throw new AppError('conflict', 'not a lead any more');
    const result = await dialogs.dispatch(
      dialogId,
      { type: 'LEAD_PICKED', operatorId: operator.id },
      {
        inTransaction: async () => {
          const assigned = await store.assignDialog(
            { dialogId, groupId: row.groupId ?? '' },
            operator.id,
            clock(),
            { ignoreGroup: operator.role === 'supervisor' },
          );
          if (assigned.kind === 'rejected')
            throw new AppError('conflict', `cannot pick it up: ${assigned.reason}`);
        },
      },
    );
    if (!result.accepted) throw new AppError('conflict', 'someone else picked it up');
    return this.detailOf(result);
  }

  async acceptOffer(operator: Operator, dialogId: string): Promise<DialogDetail> {
    const { store, dialogs, clock, metrics } = this.deps;
    const assignment = await store.acceptOffer(dialogId, operator.id, clock());
    if (!assignment) throw new AppError('conflict', 'the offer is gone (expired or withdrawn)');
    const result = await dialogs.dispatch(dialogId, { type: 'ASSIGNED', operatorId: operator.id });
    metrics.assignments.inc({ group: assignment.groupId });
    return this.detailOf(result);
  }

  async declineOffer(operatorId: string, dialogId: string, reason: 'declined' | 'expired') {
    const { store, dialogs, assignments } = this.deps;
    const holder = await store.holder(dialogId);
    if (!holder?.offered || holder.operatorId !== operatorId) return false;
    if (!(await store.declineOffer(dialogId, operatorId))) return false;
    await dialogs.dispatch(dialogId, { type: 'OFFER_DECLINED', operatorId, reason });
    void assignments.trigger(holder.groupId);
    return true;
  }

  /** Every visitor blocked here goes to `listener` once his dialog is closed (his tabs are dropped). */
  onVisitorBlocked(listener: (visitorId: string) => void) {
    this.blockListeners.push(listener);
  }

  async block(operator: Operator, input: z.infer<typeof BlockSchema>): Promise<void> {
    const row = await this.deps.access.actionableDialog(operator, input.dialogId);
    await this.deps.blockVisitor(row.visitorId, input.reason);
    if (OPEN_STATES.includes(stateName(row.state))) {
      await this.deps.dialogs.dispatch(row.id, { type: 'CLOSE', by: 'operator', outcome: 'spam' });
    }
    for (const listener of this.blockListeners) listener(row.visitorId);
  }

  /** A slot for a file the operator sends in a dialog he may write to. */
  async prepareAttachment(
    operator: Operator,
    input: z.infer<typeof OperatorAttachmentPrepareSchema>,
  ): Promise<AttachmentSlot> {
    const dialog = await this.deps.access.uploadableDialog(operator, input.dialogId);
    return this.deps.attachments.prepare(
      { kind: 'operator', id: operator.id },
      { dialogId: dialog.id, siteId: dialog.siteId },
      input,
    );
  }

  /** The live dashboard, for a supervisor. */
  dashboardFor(operator: Operator): Promise<GroupLiveStats[]> {
    requireSupervisor(operator);
    return this.dashboard();
  }

  async dashboard(): Promise<GroupLiveStats[]> {
    const { store, decisions, clock, reader, repo } = this.deps;
    const rules = decisions();
    const now = clock();
    // In progress counts each held dialog once, in its own group (not the operators' loads, which
    // would count a dialog in every group its operator belongs to).
    const held = await repo.dialogsInStates([...HELD_STATES]);
    const heldIn = (groupId: string) => held.filter((d) => d.groupId === groupId).length;
    return Promise.all(
      rules.groupIds().map(async (groupId) => {
        const { queue, operators } = await store.groupView(groupId);
        return {
          groupId,
          name: rules.groupName(groupId),
          waiting: queue.length,
          longestWaitSeconds: queue.length
            ? Math.round((now - Math.min(...queue.map((q) => q.enqueuedAt))) / 1000)
            : 0,
          inProgress: heldIn(groupId),
          operators: await Promise.all(
            operators.map(async (o) => ({
              operatorId: o.operatorId,
              name: (await reader.operatorName(o.operatorId))?.name ?? o.operatorId,
              status: o.status,
              load: o.load,
              limit: o.limit,
            })),
          ),
        };
      }),
    );
  }

  /** A named target must be an active account the routing store knows; an unknown id is a conflict, not a foreign-key 500. */
  private async requireRoutable(operatorId: string, field: string) {
    if (!(await this.deps.store.getOperator(operatorId)))
      throw new AppError('conflict', 'the operator cannot take it: unknown-operator', field);
  }

  /** The summary the committed change carries; read only for an event that changed nothing. */
  private async summaryOf(result: DispatchResult): Promise<DialogSummary> {
    return result.change?.views.summary ?? this.deps.reader.summary(result.row);
  }

  /** The detail a hand-over's change read (docs/message-path.md), else read now. */
  private async detailOf(result: DispatchResult): Promise<DialogDetail> {
    return result.change?.views.detail ?? this.deps.reader.detail(result.row);
  }

  private async requireDialog(dialogId: string): Promise<Dialog> {
    const row = await this.deps.repo.findDialog(dialogId);
    if (!row) throw notFound('dialog');
    return row;
  }

  private async requireHeld(operator: Operator, dialogId: string): Promise<Dialog> {
    const row = await this.requireDialog(dialogId);
    heldBy(operator)(row);
    return row;
  }
}

/** Only the dialog's holder, while he holds it (assigned, active): else `forbidden`. */
function heldBy(operator: Operator): (row: Dialog) => void {
  return (row) => {
    if (row.operatorId !== operator.id || !HELD_STATES.includes(stateName(row.state)))
      throw forbidden('this dialog is not assigned to you');
  };
}
