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
 * Capacity-aware wait estimate: (floor((position-1)/capacity)+1) × the recency-weighted mean handle
 * time (weights 0.8^i, newest first, at most 20 samples). Under a minute → `less-than 1`, else
 * `about N` (rounded). Null — hide it — when there are fewer than 3 valid samples, no capacity or no
 * valid position: never invented.
 */
export function estimateWait(input: WaitInput): WaitEstimate | null {
  const samples = input.recentHandleTimesMs.filter((t) => Number.isFinite(t) && t > 0).slice(0, MAX_SAMPLES);
  if (samples.length < MIN_SAMPLES) return null;
  if (!(input.freeableCapacity > 0) || !Number.isFinite(input.freeableCapacity)) return null;
  if (!(input.position >= 1) || !Number.isFinite(input.position)) return null;
  let weighted = 0;
  let weights = 0;
  samples.forEach((t, i) => {
    const w = DECAY ** i;
    weighted += w * t;
    weights += w;
  });
  const rounds = Math.floor((Math.floor(input.position) - 1) / input.freeableCapacity) + 1;
  const ms = rounds * (weighted / weights);
  if (ms < 60_000) return { minutes: 1, qualifier: 'less-than' };
  return { minutes: Math.round(ms / 60_000), qualifier: 'about' };
}
