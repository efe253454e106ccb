/**
 * Key names of one tenant's routing state. Every key carries the same hash tag `{tenant}`, so each
 * script touches a single slot and runs unchanged on Redis Cluster.
 */
export function routingKeys(prefix: string, tenant: string) {
  if (/[{}]/.test(tenant) || /[{}]/.test(prefix))
    throw new Error('prefix and tenant must not contain { or }');
  const base = `${prefix}:{${tenant}}:`;
  return {
    base,
    /** SCAN pattern matching every key of the tenant (glob characters in the names escaped). */
    pattern: `${base.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`,
    /** ZSET per group: dialogId scored priority-then-FIFO (see queue-score.ts). */
    queue: (groupId: string) => `${base}q:${groupId}`,
    /** HASH dialogId → `groupId|score|enqueuedAt` for queued dialogs. */
    queued: `${base}queued`,
    /** SET of groups whose queue is non-empty. */
    queuedGroups: `${base}qgroups`,
    /** INCR counter giving FIFO order inside a priority. */
    seq: `${base}seq`,
    /** HASHes operatorId → field. `onlineSince` is absent while not online; `groups` is JSON. */
    opStatus: `${base}op:status`,
    opLimit: `${base}op:limit`,
    opLastAssigned: `${base}op:last`,
    opOnlineSince: `${base}op:since`,
    opGroups: `${base}op:groups`,
    /** Lex ZSET `groupId|operatorId` (score 0): group membership and listing by group. */
    groupOperators: `${base}gops`,
    /** HASH dialogId → `operatorId|groupId|enqueuedAt|offered|expiresAt|score` for held dialogs. */
    held: `${base}held`,
    /** Lex ZSET `operatorId|dialogId` (score 0): dialogs per operator. */
    operatorDialogs: `${base}opd`,
    /** HASH operatorId → his load (held dialogs and offers), kept by the scripts that change `operatorDialogs`. */
    opLoad: `${base}op:load`,
    /** ZSET dialogId → offer expiry. */
    offers: `${base}offers`,
    /** Lex ZSET `dialogId|operatorId`: who declined the dialog's current attempt. */
    declined: `${base}declined`,
    /** ZSET `dialogId|key` → dueAt, for timers not currently claimed. */
    timers: `${base}timers`,
    /** Lex ZSET `dialogId|key` (score 0): every timer of a dialog, claimed or not. */
    timerIndex: `${base}tidx`,
    /** ZSET `dialogId|key` → lease deadline, for claimed timers. */
    claims: `${base}claims`,
    /** HASH `dialogId|key` → `token|dueAt` for claimed timers. */
    claimTokens: `${base}ctok`,
    /** STRING per `dialogId|operatorId` → when he last showed typing; expires by itself. */
    typing: (dialogId: string, operatorId: string) => `${base}typing:${dialogId}|${operatorId}`,
    /** ZSET per operator: connectionId → alive-until (epoch ms); durable presence. */
    heartbeats: (operatorId: string) => `${base}hb:${operatorId}`,
    /** STRING random value written last by rebuild: missing means the state was lost. */
    epoch: `${base}epoch`,
  };
}

export type RoutingKeys = ReturnType<typeof routingKeys>;

/** Lex range bounds selecting members `id|…` of a lex ZSET (`}` is the character after `|`). */
export function lexPrefixRange(id: string): [string, string] {
  return [`[${id}|`, `(${id}}`];
}
