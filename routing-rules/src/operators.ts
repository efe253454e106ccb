import { primaryLanguage } from './locale';
import type { Presence, RoutingStrategy } from './vocabulary';

/** The routing model's name for an operator's presence. */
export type OperatorStatus = Presence;
export type { RoutingStrategy };

export interface OperatorCandidate {
  operatorId: string;
  status: OperatorStatus;
  /** Dialogs held plus pending offers. */
  load: number;
  limit: number;
  tier: 'primary' | 'secondary';
  lastAssignedAt: number | null;
  onlineSince: number | null;
  skills?: { topics?: string[]; regions?: string[]; languages?: string[] } | undefined;
  /** From the operator's profile: false = takes no call-back requests, true = prefers them. */
  takesCalls?: boolean | undefined;
}

export interface RankInput {
  strategy: RoutingStrategy;
  candidates: OperatorCandidate[];
  now: number;
  /** How long the dialog has waited; secondary tier is eligible once waitedMs >= secondaryTierAfterMs. */
  waitedMs: number;
  secondaryTierAfterMs: number;
  /** Round-robin cursor: the operator who got the previous dialog. */
  lastAssignedOperatorId?: string | undefined;
  /**
   * Operators who declined or let an offer of this dialog time out, or were silent on it (unanswered
   * reroute). An exclusion holds only while someone else is eligible, and at most `exclusionMs`.
   */
  excludeOperatorIds?: string[] | undefined;
  /** When each exclusion began (epoch ms); an exclusion without a time holds until the round ends. */
  excludedAt?: Record<string, number> | undefined;
  /** How long an exclusion holds at most (the group's `thresholds.exclusionSeconds`); absent = no time limit. */
  exclusionMs?: number | undefined;
  /**
   * A call-back request (the visitor asked to be called): operators whose profile says
   * `takesCalls: false` are not eligible, those with `takesCalls: true` come first within their tier.
   */
  callback?: boolean | undefined;
  /** A preference: among equals of a tier, operators with more of these skills come first. */
  requiredSkills?:
    | { topicId?: string | undefined; regionId?: string | undefined; language?: string | undefined }
    | undefined;
}

/**
 * The exclusions that still hold (L2: an exclusion never strands a dialog): those younger than
 * `exclusionMs`, and none at all once every operator eligible apart from exclusions is excluded
 * (everyone who could take it declined: the round is over and it starts again with them).
 */
export function activeExclusions(
  input: Pick<
    RankInput,
    | 'candidates'
    | 'now'
    | 'waitedMs'
    | 'secondaryTierAfterMs'
    | 'excludeOperatorIds'
    | 'excludedAt'
    | 'exclusionMs'
    | 'callback'
  >,
): string[] {
  const { excludedAt, exclusionMs, now } = input;
  const holding = (input.excludeOperatorIds ?? []).filter((id) => {
    const since = excludedAt?.[id];
    return exclusionMs === undefined || since === undefined || now - since < exclusionMs;
  });
  if (holding.length === 0) return holding;
  const open = { ...input, excludeOperatorIds: [] };
  const someoneElse = input.candidates.some((c) => !holding.includes(c.operatorId) && isEligible(c, open));
  return someoneElse ? holding : [];
}

/**
 * Eligible = online, load < limit, not excluded, takes calls when it is a call-back, and primary tier
 * or the dialog waited long enough to widen.
 */
export function isEligible(
  candidate: OperatorCandidate,
  input: Pick<RankInput, 'waitedMs' | 'secondaryTierAfterMs' | 'excludeOperatorIds' | 'callback'>,
): boolean {
  return (
    candidate.status === 'online' &&
    !(input.callback && candidate.takesCalls === false) &&
    Number.isFinite(candidate.load) &&
    candidate.load < candidate.limit &&
    !(input.excludeOperatorIds ?? []).includes(candidate.operatorId) &&
    (candidate.tier === 'primary' || input.waitedMs >= input.secondaryTierAfterMs)
  );
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** null (never assigned / unknown) sorts first for lastAssignedAt. */
const nullFirst = (a: number | null, b: number | null) =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a - b;
/** null (unknown) sorts last for onlineSince. */
const nullLast = (a: number | null, b: number | null) =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a - b;

/** `language`: the wanted language's primary subtag, lower case ('' for none). */
function skillScore(
  candidate: OperatorCandidate,
  wanted: RankInput['requiredSkills'],
  language: string,
): number {
  if (!wanted || !candidate.skills) return 0;
  let score = 0;
  if (wanted.topicId && candidate.skills.topics?.includes(wanted.topicId)) score++;
  if (wanted.regionId && candidate.skills.regions?.includes(wanted.regionId)) score++;
  if (language && candidate.skills.languages?.some((l) => l.toLowerCase() === language)) score++;
  return score;
}

/**
 * The eligible operators, best first, for the engine's atomic assign script (which takes the first
 * still eligible). Order: primary tier before secondary; for a call-back, operators who take calls
 * first; then more matching skills; then the strategy:
 * - least-loaded: lowest load/limit, then lower load, then longest idle, then id;
 * - round-robin: the next id after `lastAssignedOperatorId` in sorted id order, wrapping;
 * - longest-idle: oldest lastAssignedAt (never assigned first), then earliest onlineSince, then id.
 * Exclusions apply as `activeExclusions` says (expired ones and those of a finished round do not).
 * Deterministic and independent of the candidates' input order (ids compared by code unit);
 * duplicate ids keep only the best-ranked entry.
 */
export function rankOperators(input: RankInput): OperatorCandidate[] {
  const rules = { ...input, excludeOperatorIds: activeExclusions(input) };
  const eligible = input.candidates.filter((c) => isEligible(c, rules));
  const cursor = input.lastAssignedOperatorId;
  const strategy = (a: OperatorCandidate, b: OperatorCandidate): number => {
    switch (input.strategy) {
      case 'least-loaded':
        return (
          a.load / a.limit - b.load / b.limit ||
          a.load - b.load ||
          nullFirst(a.lastAssignedAt, b.lastAssignedAt)
        );
      case 'round-robin': {
        if (cursor === undefined) return 0;
        return Number(a.operatorId <= cursor) - Number(b.operatorId <= cursor);
      }
      case 'longest-idle':
        return nullFirst(a.lastAssignedAt, b.lastAssignedAt) || nullLast(a.onlineSince, b.onlineSince);
    }
  };
  // Scored once per candidate, not twice per comparison of the sort.
  const language = primaryLanguage(input.requiredSkills?.language);
  const scores = new Map(eligible.map((c) => [c, skillScore(c, input.requiredSkills, language)]));
  const score = (c: OperatorCandidate) => scores.get(c) ?? 0;
  const ranked = eligible.sort(
    (a, b) =>
      Number(a.tier === 'secondary') - Number(b.tier === 'secondary') ||
      (input.callback ? Number(b.takesCalls === true) - Number(a.takesCalls === true) : 0) ||
      score(b) - score(a) ||
      strategy(a, b) ||
      byId(a.operatorId, b.operatorId) ||
      a.load - b.load ||
      a.limit - b.limit ||
      nullFirst(a.lastAssignedAt, b.lastAssignedAt) ||
      nullLast(a.onlineSince, b.onlineSince),
  );
  const seen = new Set<string>();
  return ranked.filter((c) => !seen.has(c.operatorId) && seen.add(c.operatorId));
}

/** The best eligible operator (the head of rankOperators), or null when nobody is eligible. */
export function pickOperator(input: RankInput): OperatorCandidate | null {
  return rankOperators(input)[0] ?? null;
}
