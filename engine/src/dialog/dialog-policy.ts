/**
 * What the dialog machine asks of the routing rules, bound to one config version.
 * `policyFromConfig` (routing-policy.ts) implements it with routing-rules' pure functions;
 * machine tests may build one by hand with a controlled clock.
 */
export interface ThresholdPlan {
  key: string;
  kind: 'offline-reply' | 'unanswered' | 'queue-position' | 'queue-offer-contact' | 'overflow' | 'widen';
  dueAt: number;
}

export interface ThresholdTiming {
  phase: 'offline' | 'queued' | 'assigned' | 'active';
  firstVisitorMessageAt?: number;
  lastVisitorMessageAt?: number;
  lastOperatorMessageAt?: number;
  queuedAt?: number;
  assignedAt?: number;
  offlineSince?: number;
  fired: string[];
}

export interface DialogPolicy {
  groupOpen(groupId: string, now: number): boolean;
  nextThreshold(groupId: string, timing: ThresholdTiming, now: number): ThresholdPlan | null;
  unansweredRepeat(groupId: string): boolean;
  rerouteOnUnanswered(groupId: string): boolean;
  /** How long after the holder typed or wrote his unanswered threshold waits for him (default 15 s). */
  unansweredGraceMs?(groupId: string): number;
  fallbackGroup(groupId: string): string | null;
}

/** A policy that never fires anything: the machine's structure without a config (diagrams, docs). */
export const inertPolicy: DialogPolicy = {
  groupOpen: () => true,
  nextThreshold: () => null,
  unansweredRepeat: () => false,
  rerouteOnUnanswered: () => false,
  unansweredGraceMs: () => 15_000,
  fallbackGroup: () => null,
};
