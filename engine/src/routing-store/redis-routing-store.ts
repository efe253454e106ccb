import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { RedisClient } from '../storage/redis-connection';
import { luaCommands, registeredName } from './lua-commands';
import { assertId, assertPriority, queueScore } from './queue-score';
import { lexPrefixRange, type RoutingKeys, routingKeys } from './redis-keys';
import type {
  ArrivalResult,
  AssignHeadResult,
  Assignment,
  HeldNew,
  ClaimedTimer,
  DirectAssignResult,
  DuePoll,
  GroupView,
  Offer,
  OperatorRouting,
  OperatorUpsert,
  Presence,
  QueuedDialog,
  QueueWindows,
  QueueWindowsRequest,
  OperatorLoad,
  ReleasedHolder,
  RoutingSnapshot,
  RoutingStore,
  StoreOverview,
  Tier,
  TimerEntry,
  TransferRejection,
  TransferResult,
  TransferSource,
  TransferTarget,
} from './routing-store';
import { ErrorCode, routingStoreError } from './routing-store-error';
import {
  assertDialogIds,
  assertEnqueue,
  assertOperatorIds,
  assertSnapshotQueue,
  assertTransfer,
  compareStrings,
  type HeldRecord,
  holderView,
  offerView,
  queuedDialog,
  requeueOrder,
  splitTimerMember,
  timerMember,
} from './store-common';

export interface RedisRoutingStoreOptions {
  /** First part of every key; default 'hl'. */
  prefix?: string;
  /** One routing state per tenant, all its keys under the hash tag `{tenant}`; default 'default'. */
  tenant?: string;
}

type CommandFn = (...args: (string | number)[]) => Promise<unknown>;
type CommandName =
  | 'upsertOperator'
  | 'setPresence'
  | 'enqueue'
  | 'enqueueAndAssign'
  | 'holdNewWithTimers'
  | 'dequeue'
  | 'assignHead'
  | 'offerHead'
  | 'acceptOffer'
  | 'declineOffer'
  | 'assignDialog'
  | 'release'
  | 'releaseHolder'
  | 'readLoad'
  | 'transferDialog'
  | 'applyTimers'
  | 'cancelDialogTimers'
  | 'claimDueTimers'
  | 'ackTimer'
  | 'markTyping'
  | 'offerDialog'
  | 'requeueHeld'
  | 'beatConnection'
  | 'beatConnections'
  | 'sweepConnections'
  | 'forgetConnections'
  | 'pollDue'
  | 'readOperators'
  | 'countOnline'
  | 'readGroup'
  | 'queueWindows';

/** A dialog may move between queues between our read and the script; a few retries settle it. */
const MAX_RETRIES = 8;

/**
 * Runs `attempt` until it answers (anything but undefined), MAX_RETRIES times at most; then gives up
 * with a Contention error naming `what`.
 */
async function settle<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < MAX_RETRIES; i += 1) {
    const answer = await attempt();
    if (answer !== undefined) return answer;
  }
  throw routingStoreError(ErrorCode.Contention, what);
}

const rejectionOf: Record<number, Extract<DirectAssignResult, { kind: 'rejected' }>['reason']> = {
  [-10]: 'operator-offline',
  [-11]: 'operator-at-limit',
  [-12]: 'already-held',
  [-13]: 'not-in-group',
};

const transferRejectionOf: Record<number, TransferRejection> = {
  ...rejectionOf,
  [-14]: 'not-held',
  [-15]: 'not-queued',
};

function unexpected(command: string, reply: unknown): Error {
  return routingStoreError(ErrorCode.UnexpectedReply, `${command} answered ${JSON.stringify(reply)}`);
}

function list(command: string, reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw unexpected(command, reply);
  return reply;
}

const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const num = (value: unknown): number => Number(value);

/**
 * Ranked operator ids as one script argument, joined by `|` (one argument instead of one per operator
 * costs both sides less). An id with `|` cannot belong to an operator (upserts refuse it): left out.
 */
const rankedArg = (ids: string[]) => ids.filter((id) => id !== '' && !id.includes('|')).join('|');

/** `a|b|c` → fields; ids never contain `|` (checked on the way in), so this is lossless. */
const fields = (record: string) => record.split('|');

function parseHeld(record: string): HeldRecord {
  const [operatorId = '', groupId = '', enqueuedAt = '0', offered = '0', expiresAt = '0', score = '0'] =
    fields(record);
  return {
    operatorId,
    groupId,
    enqueuedAt: num(enqueuedAt),
    offered: offered === '1',
    expiresAt: num(expiresAt),
    score: num(score),
  };
}

/** Claimed timers from a flat reply {member, dueAt, token, ...} (see includes/claim-due.lua). */
function claimedTimers(reply: unknown[]): ClaimedTimer[] {
  const claimed: ClaimedTimer[] = [];
  for (let i = 0; i + 2 < reply.length; i += 3) {
    claimed.push({
      ...splitTimerMember(str(reply[i])),
      dueAt: num(reply[i + 1]),
      claimToken: str(reply[i + 2]),
    });
  }
  return claimed;
}

const byOperatorId = (a: OperatorRouting, b: OperatorRouting) => compareStrings(a.operatorId, b.operatorId);

/** Operators from a script's rows of 7 fields (see commands/includes/operator-rows.lua). */
function operatorRows(reply: unknown[]): OperatorRouting[] {
  const out: OperatorRouting[] = [];
  for (let i = 0; i + 6 < reply.length; i += 7) {
    const [id, status, limit, last, since, groups, load] = reply.slice(i, i + 7).map(str) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    out.push({
      operatorId: id,
      status: status as Presence,
      limit: num(limit),
      load: num(load),
      lastAssignedAt: last ? num(last) : null,
      onlineSince: since ? num(since) : null,
      groups: JSON.parse(groups) as { groupId: string; tier: Tier }[],
    });
  }
  return out;
}

/** An operator's load from a script's {status, limit, load} (see includes/operator-load.lua); {}: unknown. */
function operatorLoad(operatorId: string, reply: unknown[]): OperatorLoad | null {
  if (reply.length < 3) return null;
  const [status, limit, load] = reply.map(str) as [string, string, string];
  return { operatorId, status: status as Presence, limit: num(limit), load: num(load) };
}

/**
 * Production store on Redis, shared by every engine node. Each state change is one Lua script
 * (engine/src/routing-store/commands), so invariants hold across nodes without locks; reads use
 * plain commands. All keys of a tenant share one hash tag, so it works on Redis Cluster.
 */
export class RedisRoutingStore implements RoutingStore {
  readonly kind = 'redis' as const;
  readonly keys: RoutingKeys;

  constructor(
    private readonly redis: RedisClient,
    options: RedisRoutingStoreOptions = {},
  ) {
    this.keys = routingKeys(options.prefix ?? 'hl', options.tenant ?? 'default');
    for (const command of luaCommands.values()) {
      redis.defineCommand(registeredName(command.name), {
        lua: command.lua,
        ...(command.numberOfKeys === null ? {} : { numberOfKeys: command.numberOfKeys }),
      });
    }
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /** The connection belongs to the caller, who may share it; closing it is his call. */
  async close(): Promise<void> {}

  async upsertOperator(operator: OperatorUpsert, now: number): Promise<void> {
    assertOperatorIds(operator);
    const k = this.keys;
    const groups = operator.groups.map((g) => ({ groupId: g.groupId, tier: g.tier }));
    await this.run(
      'upsertOperator',
      [k.opStatus, k.opLimit, k.opOnlineSince, k.opGroups, k.groupOperators],
      [
        operator.operatorId,
        operator.status,
        operator.limit,
        JSON.stringify(groups),
        now,
        ...groups.map((g) => g.groupId),
      ],
    );
  }

  async setPresence(operatorId: string, status: Presence, now: number): Promise<void> {
    const reply = await this.run(
      'setPresence',
      [this.keys.opStatus, this.keys.opOnlineSince],
      [operatorId, status, now],
    );
    if (num(reply) === ErrorCode.OperatorNotFound)
      throw routingStoreError(ErrorCode.OperatorNotFound, operatorId);
  }

  async getOperator(operatorId: string): Promise<OperatorRouting | null> {
    const [operator] = await this.readOperators(['i', operatorId]);
    return operator ?? null;
  }

  async listOperators(groupId?: string): Promise<OperatorRouting[]> {
    const operators = await this.readOperators(groupId === undefined ? ['a'] : ['g', groupId]);
    return operators.sort(byOperatorId);
  }

  async operatorLoad(operatorId: string): Promise<OperatorLoad | null> {
    const k = this.keys;
    return operatorLoad(
      operatorId,
      await this.runList('readLoad', [k.opStatus, k.opLimit, k.opLoad], [operatorId]),
    );
  }

  async countOnline(groupId: string): Promise<number> {
    return num(await this.run('countOnline', [this.keys.groupOperators, this.keys.opStatus], [groupId]));
  }

  async overview(): Promise<StoreOverview> {
    const k = this.keys;
    const results =
      (await this.redis
        .pipeline()
        .hgetall(k.held)
        .hkeys(k.queued)
        .zrange(k.timers, '0', '-1')
        .hkeys(k.claimTokens)
        .exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    const [held, queued, timers, claims] = results.map(([, value]) => value) as [
      Record<string, string>,
      string[],
      string[],
      string[],
    ];
    const holders = new Map<string, { operatorId: string; offered: boolean }>();
    for (const [dialogId, record] of Object.entries(held ?? {})) {
      const { operatorId, offered } = parseHeld(record);
      holders.set(dialogId, { operatorId, offered });
    }
    const timerKeys = new Map<string, Set<string>>();
    for (const member of [...(timers ?? []), ...(claims ?? [])]) {
      const { dialogId, key } = splitTimerMember(member);
      const keys = timerKeys.get(dialogId) ?? new Set<string>();
      keys.add(key);
      timerKeys.set(dialogId, keys);
    }
    return { holders, queued: new Set(queued ?? []), timerKeys };
  }

  async operatorDialogs(operatorId: string): Promise<string[]> {
    const members = await this.redis.zrangebylex(this.keys.operatorDialogs, ...lexPrefixRange(operatorId));
    return members.map((m) => m.slice(operatorId.length + 1)).sort();
  }

  async enqueue(
    dialog: { dialogId: string; groupId: string; priority: number },
    now: number,
  ): Promise<QueuedDialog> {
    const k = this.keys;
    const arrival = await this.arrive(
      dialog,
      'enqueue',
      [k.queue(dialog.groupId), k.queued, k.queuedGroups, k.held, k.seq],
      [now],
    );
    if (arrival.kind !== 'queued') throw unexpected('enqueue', arrival);
    return arrival.queued;
  }

  async enqueueAndAssign(
    dialog: { dialogId: string; groupId: string; priority: number },
    rankedOperatorIds: string[],
    now: number,
  ): Promise<ArrivalResult> {
    const k = this.keys;
    return this.arrive(
      dialog,
      'enqueueAndAssign',
      [k.queue(dialog.groupId), k.queued, k.queuedGroups, k.held, k.seq, ...this.takerKeys()],
      [now, rankedArg(rankedOperatorIds)],
    );
  }

  /** What a script that gives a dialog to the first able ranked operator reads and writes, in order. */
  private takerKeys(): string[] {
    const k = this.keys;
    return [k.opStatus, k.opLimit, k.groupOperators, k.operatorDialogs, k.opLastAssigned, k.opLoad];
  }

  async holdNew(
    dialog: { dialogId: string; groupId: string; priority: number },
    rankedOperatorIds: string[],
    now: number,
    timers: { key: string; dueAt: number }[] = [],
  ): Promise<HeldNew | null> {
    assertEnqueue(dialog);
    const k = this.keys;
    const { dialogId, groupId } = dialog;
    const reply = await this.runList(
      'holdNewWithTimers',
      [k.queue(groupId), k.queued, k.held, k.seq, ...this.takerKeys(), k.timers, k.timerIndex],
      [
        dialogId,
        groupId,
        dialog.priority,
        now,
        rankedArg(rankedOperatorIds),
        ...timers.flatMap((timer) => [timerMember(dialogId, timer.key), timer.dueAt]),
      ],
    );
    if (num(reply[0]) === 0) return null;
    if (num(reply[0]) !== 4) throw unexpected('holdNew', reply);
    const operatorId = str(reply[1]);
    const holder = operatorLoad(operatorId, reply.slice(4));
    if (!holder) throw unexpected('holdNew', reply);
    return { dialogId, operatorId, groupId, enqueuedAt: num(reply[2]), holder };
  }

  async dequeue(dialogId: string): Promise<boolean> {
    const k = this.keys;
    const record = await this.redis.hget(k.queued, dialogId);
    if (record === null) return false;
    const reply = await this.runInQueue('dequeue', dialogId, fields(record)[0] ?? '', (groupId) => [
      [k.queue(groupId), k.queued, k.queuedGroups, k.declined],
      [dialogId, groupId],
    ]);
    const code = num(reply[0]);
    if (code === 1 || code === 0) return code === 1;
    throw unexpected('dequeue', reply);
  }

  /** Reads the record and the rank in one MULTI, so the position is never mixed from two states. */
  async position(dialogId: string): Promise<QueuedDialog | null> {
    const k = this.keys;
    let record = await this.redis.hget(k.queued, dialogId);
    return settle(`position ${dialogId}`, async () => {
      if (record === null) return null;
      const [groupId = '', score = '0', enqueuedAt = '0'] = fields(record);
      const result = await this.redis
        .multi()
        .hget(k.queued, dialogId)
        .zrank(k.queue(groupId), dialogId)
        .exec();
      const [[, now] = [], [, rank] = []] = result ?? [];
      if (now === record && rank !== null && rank !== undefined)
        return queuedDialog(
          dialogId,
          { groupId, score: num(score), enqueuedAt: num(enqueuedAt) },
          num(rank) + 1,
        );
      record = now === null || now === undefined ? null : str(now);
      return undefined;
    });
  }

  /** Two reads; a dialog that left between them is dropped and positions are counted after that. */
  async queue(groupId: string, limit?: number): Promise<QueuedDialog[]> {
    const k = this.keys;
    if (limit !== undefined && limit < 1) return [];
    const last = limit === undefined ? -1 : Math.floor(limit) - 1;
    const ranked = await this.redis.zrange(k.queue(groupId), '0', String(last));
    const out: QueuedDialog[] = [];
    for (const [dialogId, record] of await this.recordsOf(k.queued, ranked)) {
      const [group = '', score = '0', enqueuedAt = '0'] = fields(record);
      if (group !== groupId) continue;
      out.push(
        queuedDialog(dialogId, { groupId, score: num(score), enqueuedAt: num(enqueuedAt) }, out.length + 1),
      );
    }
    return out;
  }

  async groupView(groupId: string): Promise<GroupView> {
    const reply = await this.runList(
      'readGroup',
      [...this.operatorKeys(), this.keys.queue(groupId), this.keys.queued],
      [groupId],
    );
    const [queueReply, operatorReply] = reply.map((part) => list('readGroup', part)) as [
      unknown[],
      unknown[],
    ];
    const queue: QueuedDialog[] = [];
    for (let i = 0; i + 1 < queueReply.length; i += 2) {
      const [group = '', score = '0', enqueuedAt = '0'] = fields(str(queueReply[i + 1]));
      if (group !== groupId) continue;
      queue.push(
        queuedDialog(
          str(queueReply[i]),
          { groupId, score: num(score), enqueuedAt: num(enqueuedAt) },
          queue.length + 1,
        ),
      );
    }
    return { queue, operators: operatorRows(operatorReply).sort(byOperatorId) };
  }

  async queueWindows(groupId: string, request: QueueWindowsRequest): Promise<QueueWindows> {
    const k = this.keys;
    const { since } = request;
    const reply = await this.runList(
      'queueWindows',
      [...this.operatorKeys(), k.queue(groupId), k.seq, k.epoch],
      [
        request.head,
        request.bounds.join(','),
        since?.epoch ?? '',
        since ? since.seq : '',
        since ? since.scores.map((score) => (score === null ? '' : String(score))).join(',') : '',
        (request.dialogIds ?? []).filter((id) => id !== '' && !id.includes('|')).join('|'),
        request.ranks ? request.ranks.join(',') : '',
        groupId,
      ],
    );
    const [length, head, moved, epoch, seq, scores, operators] = reply;
    const pairs = list('queueWindows', moved);
    const out: QueueWindows['moved'] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2)
      out.push({ dialogId: str(pairs[i]), position: num(pairs[i + 1]) });
    return {
      length: num(length),
      head: list('queueWindows', head).map(str),
      moved: out,
      marks: {
        epoch: str(epoch) || null,
        seq: num(seq),
        scores: list('queueWindows', scores).map((score) => (str(score) === '' ? null : num(score))),
      },
      operators: operatorRows(list('queueWindows', operators)).sort(byOperatorId),
    };
  }

  async queuedGroups(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.queuedGroups)).sort();
  }

  async assignHead(groupId: string, rankedOperatorIds: string[], now: number): Promise<AssignHeadResult> {
    return this.takeHead('assignHead', groupId, this.keys.opLastAssigned, [
      now,
      rankedArg(rankedOperatorIds),
    ]);
  }

  async offerHead(
    groupId: string,
    rankedOperatorIds: string[],
    now: number,
    timeoutMs: number,
  ): Promise<AssignHeadResult> {
    return this.takeHead('offerHead', groupId, this.keys.offers, [
      now,
      now + timeoutMs,
      rankedArg(rankedOperatorIds),
    ]);
  }

  async acceptOffer(dialogId: string, operatorId: string, now: number): Promise<Assignment | null> {
    const k = this.keys;
    const reply = await this.runList(
      'acceptOffer',
      [k.held, k.offers, k.declined, k.opLastAssigned],
      [dialogId, operatorId, now],
    );
    if (num(reply[0]) !== 1) return null;
    return { dialogId, operatorId, groupId: str(reply[1]), enqueuedAt: num(reply[2]) };
  }

  async declineOffer(dialogId: string, operatorId: string): Promise<boolean> {
    const k = this.keys;
    const record = await this.redis.hget(k.held, dialogId);
    if (record === null) return false;
    const reply = await this.runInQueue('declineOffer', dialogId, parseHeld(record).groupId, (groupId) => [
      [k.held, k.operatorDialogs, k.offers, k.declined, k.queue(groupId), k.queued, k.queuedGroups, k.opLoad],
      [dialogId, operatorId, groupId],
    ]);
    const code = num(reply[0]);
    if (code === 1 || code === 0) return code === 1;
    throw unexpected('declineOffer', reply);
  }

  async offerDialog(
    dialog: { dialogId: string; groupId: string },
    rankedOperatorIds: string[],
    now: number,
    timeoutMs: number,
  ): Promise<{ kind: 'offered'; offer: Offer } | { kind: 'not-queued' } | { kind: 'no-capacity' }> {
    assertDialogIds(dialog);
    const k = this.keys;
    const expiresAt = now + timeoutMs;
    const reply = await this.runList(
      'offerDialog',
      [
        k.queue(dialog.groupId),
        k.queued,
        k.queuedGroups,
        k.opStatus,
        k.opLimit,
        k.groupOperators,
        k.operatorDialogs,
        k.held,
        k.offers,
        k.opLoad,
      ],
      [dialog.groupId, dialog.dialogId, expiresAt, rankedArg(rankedOperatorIds)],
    );
    const code = num(reply[0]);
    if (code === 0) return { kind: 'not-queued' };
    if (code === 2) return { kind: 'no-capacity' };
    if (code !== 1) throw unexpected('offerDialog', reply);
    return {
      kind: 'offered',
      offer: { ...dialog, operatorId: str(reply[1]), enqueuedAt: num(reply[2]), expiresAt },
    };
  }

  async requeueHeld(dialogId: string, operatorId: string, priority: number): Promise<boolean> {
    assertPriority(priority);
    const k = this.keys;
    const record = await this.redis.hget(k.held, dialogId);
    if (record === null) return false;
    const reply = await this.runInQueue('requeueHeld', dialogId, parseHeld(record).groupId, (groupId) => [
      [k.held, k.operatorDialogs, k.offers, k.declined, k.queue(groupId), k.queued, k.queuedGroups, k.opLoad],
      [dialogId, operatorId, groupId, queueScore(priority, 0)],
    ]);
    const code = num(reply[0]);
    if (code === 1 || code === 0) return code === 1;
    throw unexpected('requeueHeld', reply);
  }

  async expiredOffers(now: number): Promise<Offer[]> {
    const k = this.keys;
    const dialogIds = await this.redis.zrangebyscore(k.offers, '-inf', String(now));
    const offers: Offer[] = [];
    for (const [dialogId, record] of await this.recordsOf(k.held, dialogIds)) {
      const h = parseHeld(record);
      if (h.offered) offers.push(offerView(dialogId, h));
    }
    return offers;
  }

  async assignDialog(
    dialog: { dialogId: string; groupId: string; enqueuedAt?: number },
    operatorId: string,
    now: number,
    options?: { ignoreGroup?: boolean; ignorePresence?: boolean },
  ): Promise<DirectAssignResult> {
    assertDialogIds(dialog);
    const k = this.keys;
    // Usually the dialog waits in its own group's queue (or none): try that first, retry if told otherwise.
    const reply = await this.runInQueue('assignDialog', dialog.dialogId, dialog.groupId, (queueGroup) => [
      [
        k.held,
        k.queue(queueGroup),
        k.queued,
        k.queuedGroups,
        k.opStatus,
        k.opLimit,
        k.groupOperators,
        k.operatorDialogs,
        k.opLastAssigned,
        k.declined,
        k.opLoad,
      ],
      [
        dialog.dialogId,
        dialog.groupId,
        operatorId,
        now,
        dialog.enqueuedAt ?? now,
        options?.ignoreGroup ? '1' : '0',
        queueGroup,
        options?.ignorePresence ? '1' : '0',
      ],
    ]);
    const code = num(reply[0]);
    if (code === 1) {
      return {
        kind: 'assigned',
        assignment: {
          dialogId: dialog.dialogId,
          operatorId,
          groupId: dialog.groupId,
          enqueuedAt: num(reply[1]),
        },
      };
    }
    const reason = rejectionOf[code];
    if (reason) return { kind: 'rejected', reason };
    throw unexpected('assignDialog', reply);
  }

  async transferDialog(
    dialog: { dialogId: string; groupId: string },
    from: TransferSource,
    to: TransferTarget,
    now: number,
  ): Promise<TransferResult> {
    assertDialogIds(dialog);
    assertTransfer(from, to);
    const k = this.keys;
    const targetGroup = to.kind === 'group' ? to.groupId : dialog.groupId;
    const reply = await this.runInQueue('transferDialog', dialog.dialogId, dialog.groupId, (queueGroup) => [
      [
        k.held,
        k.operatorDialogs,
        k.offers,
        k.declined,
        k.queue(queueGroup),
        k.queue(targetGroup),
        k.queued,
        k.queuedGroups,
        k.seq,
        k.opStatus,
        k.opLimit,
        k.groupOperators,
        k.opLastAssigned,
        k.opLoad,
      ],
      [
        dialog.dialogId,
        from.kind === 'operator' ? from.operatorId : '',
        queueGroup,
        to.kind === 'operator' ? to.operatorId : '',
        targetGroup,
        to.kind === 'operator' && to.ignoreGroup ? '1' : '0',
        to.kind === 'group' ? to.priority : 0,
        now,
        to.kind === 'operator' && to.ignorePresence ? '1' : '0',
      ],
    ]);
    const code = num(reply[0]);
    if (code === 1 && to.kind === 'operator') {
      return {
        kind: 'assigned',
        assignment: {
          dialogId: dialog.dialogId,
          operatorId: to.operatorId,
          groupId: targetGroup,
          enqueuedAt: num(reply[1]),
        },
      };
    }
    if (code === 2 && to.kind === 'group') {
      return {
        kind: 'queued',
        queued: queuedDialog(
          dialog.dialogId,
          { groupId: targetGroup, score: num(reply[3]), enqueuedAt: num(reply[2]) },
          num(reply[1]),
        ),
      };
    }
    const reason = transferRejectionOf[code];
    if (reason) return { kind: 'rejected', reason };
    throw unexpected('transferDialog', reply);
  }

  async holder(dialogId: string): Promise<(Assignment & { offered: boolean }) | null> {
    const record = await this.redis.hget(this.keys.held, dialogId);
    return record === null ? null : holderView(dialogId, parseHeld(record));
  }

  async release(dialogId: string, operatorId: string): Promise<boolean> {
    const k = this.keys;
    const reply = await this.run(
      'release',
      [k.held, k.operatorDialogs, k.offers, k.declined, k.opLoad],
      [dialogId, operatorId],
    );
    return num(reply) === 1;
  }

  async releaseHolder(dialogId: string, operatorId: string): Promise<ReleasedHolder | null> {
    const k = this.keys;
    const reply = await this.runList(
      'releaseHolder',
      [
        k.held,
        k.operatorDialogs,
        k.offers,
        k.declined,
        k.opStatus,
        k.opLimit,
        k.opLoad,
        k.opGroups,
        k.queuedGroups,
      ],
      [dialogId, operatorId],
    );
    if (num(reply[0]) === 0) return null;
    if (num(reply[0]) !== 1) throw unexpected('releaseHolder', reply);
    return {
      operator: operatorLoad(operatorId, list('releaseHolder', reply[1])),
      waitingGroups: list('releaseHolder', reply[2]).map(str),
    };
  }

  async scheduleTimer(timer: TimerEntry): Promise<void> {
    await this.applyTimers(timer.dialogId, [], [timer]);
  }

  async cancelTimer(dialogId: string, key: string): Promise<boolean> {
    return (await this.applyTimers(dialogId, [key], [])) === 1;
  }

  async applyTimers(
    dialogId: string,
    cancel: string[],
    schedule: { key: string; dueAt: number }[],
  ): Promise<number> {
    assertId('dialogId', dialogId);
    const k = this.keys;
    const args: (string | number)[] = [cancel.length, ...cancel.map((key) => timerMember(dialogId, key))];
    for (const timer of schedule) args.push(timerMember(dialogId, timer.key), timer.dueAt);
    return num(await this.run('applyTimers', [k.timers, k.timerIndex, k.claims, k.claimTokens], args));
  }

  async cancelDialogTimers(dialogId: string): Promise<number> {
    const k = this.keys;
    return num(
      await this.run('cancelDialogTimers', [k.timers, k.timerIndex, k.claims, k.claimTokens], [dialogId]),
    );
  }

  async claimDueTimers(now: number, leaseMs: number, max: number): Promise<ClaimedTimer[]> {
    const k = this.keys;
    const reply = await this.runList(
      'claimDueTimers',
      [k.timers, k.claims, k.claimTokens],
      [now, now + leaseMs, max, randomUUID()],
    );
    return claimedTimers(reply);
  }

  async pollDue(now: number, leaseMs: number, max: number): Promise<DuePoll> {
    const k = this.keys;
    const reply = await this.runList(
      'pollDue',
      [k.timers, k.claims, k.claimTokens, k.offers, k.held],
      [now, now + leaseMs, max, randomUUID()],
    );
    const [offerReply, claimReply] = reply.map((part) => list('pollDue', part)) as [unknown[], unknown[]];
    const expiredOffers: Offer[] = [];
    for (let i = 0; i + 1 < offerReply.length; i += 2) {
      const held = parseHeld(str(offerReply[i + 1]));
      if (held.offered) expiredOffers.push(offerView(str(offerReply[i]), held));
    }
    return { expiredOffers, claimed: claimedTimers(claimReply) };
  }

  async ackTimer(timer: ClaimedTimer): Promise<boolean> {
    const k = this.keys;
    const reply = await this.run(
      'ackTimer',
      [k.claims, k.claimTokens, k.timerIndex],
      [timerMember(timer.dialogId, timer.key), timer.claimToken],
    );
    return num(reply) === 1;
  }

  async listTimers(dialogId: string): Promise<TimerEntry[]> {
    const k = this.keys;
    const members = await this.redis.zrangebylex(k.timerIndex, ...lexPrefixRange(dialogId));
    if (members.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const m of members) pipeline.zscore(k.timers, m).hget(k.claimTokens, m);
    const results = (await pipeline.exec()) ?? [];
    const timers: TimerEntry[] = [];
    members.forEach((member, i) => {
      const due = results[2 * i]?.[1];
      const claim = results[2 * i + 1]?.[1];
      const dueAt = due !== null && due !== undefined ? num(due) : claim ? num(fields(str(claim))[1]) : null;
      if (dueAt !== null) timers.push({ ...splitTimerMember(member), dueAt });
    });
    return timers.sort((a, b) => compareStrings(a.key, b.key));
  }

  /**
   * Rare admin path (start-up, or Redis lost its data). Not atomic against concurrent writers: the
   * caller pauses dispatch (e.g. under a lock) while it runs. The epoch is deleted first and written
   * last, so a rebuild that dies half-way leaves `epoch()` null and the next check rebuilds again.
   */
  async beatConnection(operatorId: string, connectionId: string, aliveUntil: number): Promise<void> {
    assertId('operatorId', operatorId);
    await this.run('beatConnection', [this.keys.heartbeats(operatorId)], [connectionId, aliveUntil]);
  }

  async beatConnections(
    beats: { operatorId: string; connectionId: string; aliveUntil: number }[],
  ): Promise<void> {
    if (beats.length === 0) return;
    for (const beat of beats) assertId('operatorId', beat.operatorId);
    await this.runVariadic(
      'beatConnections',
      beats.map((b) => this.keys.heartbeats(b.operatorId)),
      beats.flatMap((b) => [b.connectionId, b.aliveUntil]),
    );
  }

  async sweepConnections(operatorIds: string[], cutoff: number): Promise<Map<string, number | null>> {
    if (operatorIds.length === 0) return new Map();
    const reply = list(
      'sweepConnections',
      await this.runVariadic(
        'sweepConnections',
        operatorIds.map((id) => this.keys.heartbeats(id)),
        [cutoff],
      ),
    );
    return new Map(operatorIds.map((id, i) => [id, str(reply[i]) === '' ? null : num(reply[i])]));
  }

  async connectionsAliveUntil(operatorId: string): Promise<number | null> {
    const [, score] = await this.redis.zrange(this.keys.heartbeats(operatorId), '-1', '-1', 'WITHSCORES');
    return score === undefined ? null : Number(score);
  }

  async forgetConnections(operatorId: string, before: number): Promise<number> {
    return num(await this.run('forgetConnections', [this.keys.heartbeats(operatorId)], [before]));
  }

  async rebuild(snapshot: RoutingSnapshot): Promise<void> {
    const k = this.keys;
    const now = Date.now();
    for (const op of snapshot.operators) assertOperatorIds(op);
    assertSnapshotQueue(snapshot);
    await this.redis.del(k.epoch);
    // On a cluster SCAN sees one node's keys: the tenant's slot lives on one master, scan them all.
    const servers = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, found] = await server.scan(cursor, 'MATCH', k.pattern, 'COUNT', 500);
        cursor = next;
        if (found.length > 0) await this.redis.del(...found);
      } while (cursor !== '0');
    }

    const p = this.redis.pipeline();
    for (const op of snapshot.operators) {
      p.hset(k.opStatus, op.operatorId, op.status);
      p.hset(k.opLimit, op.operatorId, op.limit);
      p.hset(
        k.opGroups,
        op.operatorId,
        JSON.stringify(op.groups.map((g) => ({ groupId: g.groupId, tier: g.tier }))),
      );
      if (op.status === 'online') p.hset(k.opOnlineSince, op.operatorId, now);
      for (const g of op.groups) p.zadd(k.groupOperators, 0, `${g.groupId}|${op.operatorId}`);
    }
    for (const [operatorId, at] of Object.entries(snapshot.lastAssignedAt ?? {})) {
      if (snapshot.operators.some((o) => o.operatorId === operatorId))
        p.hset(k.opLastAssigned, operatorId, at);
    }
    let seq = 0;
    for (const q of requeueOrder(snapshot)) {
      seq += 1;
      const score = queueScore(q.priority, seq);
      p.zadd(k.queue(q.groupId), score, q.dialogId);
      p.hset(k.queued, q.dialogId, `${q.groupId}|${score}|${q.enqueuedAt}`);
      p.sadd(k.queuedGroups, q.groupId);
    }
    p.set(k.seq, seq);
    for (const a of snapshot.assigned) {
      p.hset(k.held, a.dialogId, `${a.operatorId}|${a.groupId}|${a.enqueuedAt}|0|0|0`);
      p.zadd(k.operatorDialogs, 0, `${a.operatorId}|${a.dialogId}`);
      p.hincrby(k.opLoad, a.operatorId, 1);
    }
    for (const t of snapshot.timers) {
      const member = timerMember(t.dialogId, t.key);
      p.zadd(k.timers, t.dueAt, member);
      p.zadd(k.timerIndex, 0, member);
    }
    const results = (await p.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    await this.redis.set(k.epoch, randomUUID());
  }

  async markTyping(dialogId: string, operatorId: string, at: number, ttlMs: number): Promise<void> {
    await this.run(
      'markTyping',
      [this.keys.typing(dialogId, operatorId)],
      [Math.floor(at), Math.max(1, Math.ceil(ttlMs))],
    );
  }

  async typingAt(dialogId: string, operatorId: string, _now: number): Promise<number | null> {
    const value = await this.redis.get(this.keys.typing(dialogId, operatorId));
    return value === null ? null : Number(value);
  }

  async epoch(): Promise<string | null> {
    return this.redis.get(this.keys.epoch);
  }

  /**
   * enqueue and enqueueAndAssign: the same first keys and replies (the latter may also answer
   * {4, operatorId, enqueuedAt, score}). `args` follow dialogId, groupId and priority.
   */
  private async arrive(
    dialog: { dialogId: string; groupId: string; priority: number },
    name: 'enqueue' | 'enqueueAndAssign',
    keys: string[],
    args: (string | number)[],
  ): Promise<ArrivalResult> {
    assertEnqueue(dialog);
    const { dialogId, groupId } = dialog;
    return settle(`${name} ${dialogId}`, async () => {
      const reply = await this.runList(name, keys, [dialogId, groupId, dialog.priority, ...args]);
      const code = num(reply[0]);
      if (code === 4) {
        const assignment = { dialogId, operatorId: str(reply[1]), groupId, enqueuedAt: num(reply[2]) };
        return { kind: 'assigned', assignment } as const;
      }
      const record = { score: num(reply[3]), enqueuedAt: num(reply[2]) };
      if (code === 1)
        return {
          kind: 'queued',
          queued: queuedDialog(dialogId, { groupId, ...record }, num(reply[1])),
        } as const;
      if (code === 3)
        return {
          kind: 'queued',
          queued: queuedDialog(dialogId, { groupId: str(reply[1]), ...record }, 0),
        } as const;
      if (code !== ErrorCode.QueueMoved) throw unexpected(name, reply);
      // Already queued in another group: it keeps that place (unless it left meanwhile: try again).
      const elsewhere = await this.position(dialogId);
      return elsewhere ? ({ kind: 'queued', queued: elsewhere } as const) : undefined;
    });
  }

  private async run(name: CommandName, keys: string[], args: (string | number)[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, CommandFn | undefined>)[registeredName(name)];
    if (!fn) throw routingStoreError(ErrorCode.UnexpectedReply, `script ${name} is not registered`);
    return fn.apply(this.redis, [...keys, ...args]);
  }

  /** A `-n` script: the key count goes first. */
  private async runVariadic(name: CommandName, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.run(name, [String(keys.length), ...keys], args);
  }

  /** A script whose reply must be a list. */
  private async runList(name: CommandName, keys: string[], args: (string | number)[]): Promise<unknown[]> {
    return list(name, await this.run(name, keys, args));
  }

  /**
   * Runs a script against the queue of `groupId`. A script answers {-2, groupId} when the dialog waits
   * in another group's queue than the one it was given; it then runs again against that queue. Returns
   * the first other reply, for the caller to read.
   */
  private async runInQueue(
    name: CommandName,
    dialogId: string,
    groupId: string,
    keysAndArgs: (queueGroup: string) => [keys: string[], args: (string | number)[]],
  ): Promise<unknown[]> {
    let queueGroup = groupId;
    return settle(`${name} ${dialogId}`, async () => {
      const reply = await this.runList(name, ...keysAndArgs(queueGroup));
      if (num(reply[0]) !== ErrorCode.QueueMoved) return reply;
      queueGroup = str(reply[1]);
      return undefined;
    });
  }

  /** assignHead and offerHead: the same keys but the 9th (last-assigned times, or offer expiries). */
  private async takeHead(
    name: 'assignHead' | 'offerHead',
    groupId: string,
    ninthKey: string,
    args: (string | number)[],
  ): Promise<AssignHeadResult> {
    const k = this.keys;
    const r = await this.runList(
      name,
      [
        k.queue(groupId),
        k.queued,
        k.queuedGroups,
        k.opStatus,
        k.opLimit,
        k.groupOperators,
        k.operatorDialogs,
        k.held,
        ninthKey,
        k.declined,
        k.opLoad,
      ],
      [groupId, ...args],
    );
    const code = num(r[0]);
    if (code === 0) return { kind: 'empty' };
    if (code === 1) {
      return {
        kind: 'assigned',
        assignment: { dialogId: str(r[1]), operatorId: str(r[2]), groupId, enqueuedAt: num(r[3]) },
      };
    }
    if (code === 2) {
      return {
        kind: 'no-capacity',
        head: queuedDialog(str(r[1]), { groupId, score: num(r[2]), enqueuedAt: num(r[3]) }, 1),
      };
    }
    throw unexpected(name, r);
  }

  /** The records of `ids` in one HMGET, as [id, record]; ids whose record is gone are left out. */
  private async recordsOf(hashKey: string, ids: string[]): Promise<[string, string][]> {
    if (ids.length === 0) return [];
    const records = await this.redis.hmget(hashKey, ...ids);
    return ids.flatMap((id, i): [string, string][] => {
      const record = records[i];
      return record ? [[id, record]] : [];
    });
  }

  /** The operator hashes and the group ZSET, in the order readOperators-7, readGroup-9 and queueWindows-10 take them. */
  private operatorKeys(): string[] {
    const k = this.keys;
    return [k.opStatus, k.opLimit, k.opLastAssigned, k.opOnlineSince, k.opGroups, k.groupOperators, k.opLoad];
  }

  /** One script reads the operators and their loads (see readOperators-7.lua for `selector`). */
  private async readOperators(selector: string[]): Promise<OperatorRouting[]> {
    return operatorRows(await this.runList('readOperators', this.operatorKeys(), selector));
  }
}
