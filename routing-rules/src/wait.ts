export interface WaitInput {
  /** 1-based position in the queue. */
  position: number;
  /** Sum of the limits of the group's online operators. */
  freeableCapacity: number;
  /** Recent dialog handle times, newest first. */
  recentHandleTimesMs: number[];
}

export interface WaitEstimate {
  minutes: number;
  qualifier: 'about' | 'less-than';
}

export const MIN_SAMPLES = 3;
const MAX_SAMPLES = 20;
const DECAY = 0.8;

/**
 * What a wait estimate needs besides the position: the group's capacity and the recency-weighted mean
 * handle time. The engine sends it with queue moves so a widget recomputes its ETA from its own position.
 */
export interface WaitBasis {
  freeableCapacity: number;
  meanHandleMs: number;
}

/**
 * The basis of the estimate: the recency-weighted mean handle time (weights 0.8^i, newest first, at
 * most 20 samples) and the capacity. Null — hide the estimate — with fewer than 3 valid samples or no
 * capacity: never invented.
 */
export function waitBasis(freeableCapacity: number, recentHandleTimesMs: number[]): WaitBasis | null {
  const samples = recentHandleTimesMs.filter((t) => Number.isFinite(t) && t > 0).slice(0, MAX_SAMPLES);
  if (samples.length < MIN_SAMPLES) return null;
  if (!(freeableCapacity > 0) || !Number.isFinite(freeableCapacity)) return null;
  let weighted = 0;
  let weights = 0;
  samples.forEach((t, i) => {
    const w = DECAY ** i;
    weighted += w * t;
    weights += w;
  });
  return { freeableCapacity, meanHandleMs: weighted / weights };
}

/**
 * (floor((position-1)/capacity)+1) × the mean handle time. Under a minute → `less-than 1`, else
 * `about N` (rounded). Null without a basis or a valid position.
 */
export function estimateWaitFrom(position: number, basis: WaitBasis | null): WaitEstimate | null {
  if (!basis || !(basis.freeableCapacity > 0) || !(basis.meanHandleMs > 0)) return null;
  if (!(position >= 1) || !Number.isFinite(position)) return null;
  const rounds = Math.floor((Math.floor(position) - 1) / basis.freeableCapacity) + 1;
  const ms = rounds * basis.meanHandleMs;
  if (ms < 60_000) return { minutes: 1, qualifier: 'less-than' };
  return { minutes: Math.round(ms / 60_000), qualifier: 'about' };
}

/** Capacity-aware wait estimate: `estimateWaitFrom` on the `waitBasis` of the input. */
export function estimateWait(input: WaitInput): WaitEstimate | null {
  return estimateWaitFrom(input.position, waitBasis(input.freeableCapacity, input.recentHandleTimesMs));
}
