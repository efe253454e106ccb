import { estimateWaitFrom, type WaitBasis, type WaitEstimate } from './wait';

/** The first positions of a queue are told exactly; behind them a visitor is told a bound. */
export const EXACT_HEAD = 50;

/** Bounds stop growing here: a visitor further back is told "behind the first 1,000,000". */
const LAST_BOUND = 1_000_000;
const MANTISSAS = [1, 1.5, 2, 3, 5, 7.5];

/**
 * The positions a waiting visitor behind the exact head is told he is behind: 50, 75, 100, 150, 200,
 * 300, 500, 750, 1000, … (1, 1.5, 2, 3, 5, 7.5 per power of ten, ratio at most 2). Roughly geometric,
 * so a queue move changes what only a few visitors see: those that crossed one.
 */
export const QUEUE_BOUNDS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let decade = 10; decade <= LAST_BOUND; decade *= 10)
    for (const m of MANTISSAS) {
      const bound = m * decade;
      if (bound >= EXACT_HEAD && bound <= LAST_BOUND) bounds.push(bound);
    }
  return bounds;
})();

/** The largest bound below `position`; null inside the exact head. */
export function queueBound(position: number): number | null {
  if (!(position > EXACT_HEAD)) return null;
  let found = EXACT_HEAD;
  for (const bound of QUEUE_BOUNDS) {
    if (bound >= position) break;
    found = bound;
  }
  return found;
}

/** What a waiting visitor is shown (the `queue:position` payload without the dialog id). */
export interface ShownPosition {
  /** The exact position, or when not `exact` the bound he is behind (his position is greater). */
  position: number;
  exact: boolean;
  /** Only with an exact position: behind the head a wait would change with every close for everyone. */
  eta: WaitEstimate | null;
}

/**
 * What a visitor at `position` sees: exact with its estimate in the head, else the bound behind
 * which he waits and no estimate. Changes only when he crosses a bound or moves in the head (or,
 * in the head, when the basis changes), which keeps pushes per queue move bounded.
 */
export function shownPosition(position: number, basis: WaitBasis | null): ShownPosition {
  const bound = queueBound(position);
  if (bound === null) return { position, exact: true, eta: estimateWaitFrom(position, basis) };
  return { position: bound, exact: false, eta: null };
}
