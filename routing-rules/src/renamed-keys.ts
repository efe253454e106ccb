import type { z } from 'zod';

/**
 * Keys of the routing config that were renamed: configs written before the rename (YAML files, stored
 * versions) keep loading, the old key read as the new one, and every save writes the new name.
 */
export const RENAMED_KEYS = [{ collection: 'operators', from: 'operatorId', to: 'operatorEmail' }] as const;

type Renamed = (typeof RENAMED_KEYS)[number];
type Raw = Record<string, unknown>;
const isRaw = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One item with `from` read as `to` (zod preprocess): only the old key, or both with the same value,
 * gives the new key alone; both with different values is an issue at the old key. Anything else
 * passes through unchanged for the schema to judge.
 */
export function renameKey(rename: Renamed) {
  return (item: unknown, ctx: z.core.$RefinementCtx): unknown => {
    if (!isRaw(item) || !(rename.from in item)) return item;
    const { [rename.from]: old, ...rest } = item;
    if (rename.to in item && item[rename.to] !== old) {
      ctx.addIssue({
        code: 'custom',
        path: [rename.from],
        message: `is the deprecated name of ${rename.to} and differs from it; keep only ${rename.to}`,
      });
      return rest;
    }
    return { ...rest, [rename.to]: old };
  };
}

/**
 * The config as entered with deprecated keys renamed: what is saved and edited. Items giving both
 * keys with different values keep them, for validation to refuse.
 */
export function withCurrentKeys(input: unknown): unknown {
  if (!isRaw(input)) return input;
  const out: Raw = { ...input };
  for (const rename of RENAMED_KEYS) {
    const items = out[rename.collection];
    if (!Array.isArray(items)) continue;
    out[rename.collection] = items.map((item: unknown) => {
      if (!isRaw(item) || !(rename.from in item)) return item;
      const { [rename.from]: old, ...rest } = item;
      if (rename.to in item && item[rename.to] !== old) return item;
      return { ...rest, [rename.to]: old };
    });
  }
  return out;
}

/** Where the config still uses a deprecated key (`operators[1].operatorId`), for a warning. */
export function deprecatedKeys(input: unknown): { path: string; message: string }[] {
  if (!isRaw(input)) return [];
  return RENAMED_KEYS.flatMap((rename) => {
    const items = input[rename.collection];
    return (Array.isArray(items) ? items : []).flatMap((item: unknown, i) =>
      isRaw(item) && rename.from in item
        ? [
            {
              path: `${rename.collection}[${i}].${rename.from}`,
              message: `is deprecated: write ${rename.to}`,
            },
          ]
        : [],
    );
  });
}
