/**
 * Runs `work` over `items`, at most `lanes` at a time, in order of start. Background passes use it so a
 * burst (due thresholds, a reconcile over every open dialog) is not one slow line of round trips.
 * Callers keep each item's work independent (its own dialog, its own lock).
 */
export async function inLanes<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}
