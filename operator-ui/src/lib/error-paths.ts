/** One validation problem as the API reports it in `error.details`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** "groups[2].limits.default", "groups.2.limits.default" and "/groups/2/limits/default" all become "groups.2.limits.default". */
export function normalizePath(path: string): string {
  return path
    .replace(/\[(\d+|"[^"]*"|'[^']*')\]/g, (_all, key: string) => `.${key.replace(/^["']|["']$/g, '')}`)
    .replace(/\//g, '.')
    .replace(/^\.+|\.+$/g, '')
    .replace(/\.{2,}/g, '.');
}

export interface FieldErrors {
  /** Messages by field path relative to the edited part ("limits.default", "texts.en.unanswered"). */
  fields: Record<string, string>;
  /** Problems elsewhere in the config, shown above the form. */
  other: ErrorDetail[];
}

/**
 * Splits a 400's details into errors of the form being edited and the rest. `prefix` is where the part
 * lives in the whole config ("groups.2" for the third group; per-part PUTs report whole-config paths).
 * An empty prefix maps every path as is. The first message of a field wins.
 */
export function mapErrorDetails(details: ErrorDetail[] | undefined, prefix = ''): FieldErrors {
  const result: FieldErrors = { fields: {}, other: [] };
  const base = normalizePath(prefix);
  for (const detail of details ?? []) {
    const path = normalizePath(detail.path);
    let relative: string | null = null;
    if (!base) relative = path;
    else if (path === base) relative = '';
    else if (path.startsWith(`${base}.`)) relative = path.slice(base.length + 1);
    if (relative === null) result.other.push({ path, message: detail.message });
    else if (!(relative in result.fields)) result.fields[relative] = detail.message;
  }
  return result;
}

/**
 * The message to show at a form field: its own error, or the first error nested under it (a
 * "workingHours" field shows "workingHours.mon.0.from: ..." too).
 */
export function errorAt(fields: Record<string, string>, field: string): string | null {
  const key = normalizePath(field);
  if (fields[key] !== undefined) return fields[key]!;
  const nested = Object.keys(fields).find((path) => path.startsWith(`${key}.`));
  return nested !== undefined ? `${nested.slice(key.length + 1)}: ${fields[nested]}` : null;
}

/** Where a part lands in its collection after a per-part PUT: its index, or the end when it is new. */
export function partIndex<T>(items: T[], matches: (item: T) => boolean): number {
  const index = items.findIndex(matches);
  return index === -1 ? items.length : index;
}
