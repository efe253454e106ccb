import type { DialogKind } from '@hotline/routing-rules';
import type { DialogPolicy } from '../dialog/dialog-policy';
import type { AutoMessageKind } from '../dialog/dialog-machine';
import type { OperatorRouting } from '../routing-store/routing-store';

/**
 * The routing-rules decisions the engine needs, bound to the current config version.
 * Implemented in routing-decisions-impl.ts on top of @hotline/routing-rules; the engine never reads
 * the config's shape anywhere else.
 */
/** What ranking needs to know of the dialog being placed. */
export interface DialogToRank {
  waitedMs: number;
  widened: boolean;
  excludedOperatorIds: string[];
  /** When each exclusion began (epoch ms); exclusions expire after the group's exclusionSeconds. */
  excludedAt?: Record<string, number> | undefined;
  kind?: DialogKind;
  topicId?: string | null;
  regionId?: string | null;
  /** The visitor's language (locale), matched against operators' language skills. */
  language?: string | null;
}

export interface RoutingDecisions {
  readonly version: number;
  readonly policy: DialogPolicy;
  resolveRoute(
    context: {
      choice?: { groupId?: string | undefined; topicId?: string | undefined; regionId?: string | undefined };
      pageUrl?: string | undefined;
      language?: string | undefined;
      returningVisitor?: boolean;
      kind?: DialogKind;
    },
    now: number,
  ): {
    groupId: string;
    topicId: string | null;
    regionId: string | null;
    priority: number;
    fallbackChain: string[];
    reason: string;
  };
  groupIds(): string[];
  groupName(groupId: string): string;
  hasGroup(groupId: string): boolean;
  offerTimeoutMs(groupId: string): number | null;
  secondaryTierAfterMs(groupId: string): number;
  /** How long an operator gone offline keeps his dialogs before they go back to the queue (0 = at once). */
  keepDialogsOnOfflineMs(groupId: string): number;
  /**
   * Operators ranked by the group's strategy; only eligible ones, best first. `emailOf` links an
   * operator to his routing profile (skills, takesCalls), which is keyed by e-mail; without it, or for
   * an operator without a profile, no preference applies.
   */
  rankOperators(
    groupId: string,
    operators: OperatorRouting[],
    dialog: DialogToRank,
    now: number,
    emailOf?: (operatorId: string) => string | undefined,
  ): string[];
  autoMessage(
    groupId: string,
    kind: AutoMessageKind,
    locale: string,
    vars: {
      visitorName?: string | null;
      operatorName?: string | null;
      position?: number | null;
      etaMinutes?: number | null;
    },
  ): { text: string; authorName: string; authorAvatarUrl: string | null };
  estimateWait(
    position: number,
    freeableCapacity: number,
    recentHandleTimesMs: number[],
  ): { minutes: number; qualifier: 'about' | 'less-than' } | null;
  /** Routing profiles keyed by operator e-mail: groups with tier and the effective limit. */
  operatorProfiles(): Map<
    string,
    { limit: number; groups: { groupId: string; tier: 'primary' | 'secondary' }[] }
  >;
  locale(requested: string | undefined | null): string;
  /** Public widget config of a site, null when the site does not exist. */
  site(siteId: string): Record<string, unknown> | null;
  /** The entry-menu labels that lead to `choice` on the site ("Returns › Return an item"), null when none. */
  choiceLabel(
    siteId: string,
    choice: { groupId?: string | undefined; topicId?: string | undefined; regionId?: string | undefined },
    locale: string,
  ): string | null;
  /** The country (ISO 3166 alpha-2) a visitor's phone without `+` is read in: the site's, else RU. */
  phoneCountry(siteId: string): string;
}
