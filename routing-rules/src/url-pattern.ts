import safeRegex from 'safe-regex2';

/** Counts the comparisons of a glob match, so tests can bound its work without timing it. */
export interface MatchMeter {
  steps: number;
}

/**
 * Whether `subject` matches the glob `pattern` as a whole (`*` = any characters, `?` = exactly one),
 * case-insensitively. Two pointers that, on a mismatch, go back to the last `*` only: a later star
 * can absorb whatever an earlier one would have, so no other backtracking is needed. O(n·m) worst
 * case, never exponential or polynomial in the number of stars (a regex of `.*` pieces is n^stars).
 */
export function globMatches(pattern: string, subject: string, meter?: MatchMeter): boolean {
  const p = pattern.toLowerCase();
  const s = subject.toLowerCase();
  let pi = 0;
  let si = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (si < s.length) {
    if (meter) meter.steps++;
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      starAt = pi++;
      resumeAt = si;
    } else if (starAt >= 0) {
      pi = starAt + 1;
      si = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/**
 * Why a `re:` pattern may not be used, or null when it may: it must compile and must not backtrack
 * catastrophically (nested quantifiers such as `(a+)+`, checked by safe-regex2's star height).
 * Config validation refuses such patterns with their path; matching ignores them (see pageUrlMatches).
 */
export function regexPatternProblem(source: string): string | null {
  try {
    new RegExp(source);
  } catch {
    return 'is not a valid regular expression';
  }
  return safeRegex(source)
    ? null
    : 'may backtrack catastrophically (nested quantifiers such as (a+)+); simplify it';
}

/** Compiled `re:` patterns; null for the ones regexPatternProblem refuses. */
const compiled = new Map<string, RegExp | null>();
const COMPILED_LIMIT = 1000;

function compiledRegex(source: string): RegExp | null {
  let regex = compiled.get(source);
  if (regex === undefined) {
    regex = regexPatternProblem(source) === null ? new RegExp(source, 'i') : null;
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(source, regex);
  }
  return regex;
}

/**
 * `re:<regex>` tests the whole URL; a glob (`*` = any characters, `?` = one) must match the whole
 * path (with query) when it starts with `/`, else the whole URL. Case-insensitive. A `re:` pattern
 * that validation would refuse (saved before the check existed) never matches rather than stall.
 */
export function pageUrlMatches(pattern: string, url: string): boolean {
  if (pattern.startsWith('re:')) return compiledRegex(pattern.slice(3))?.test(url) ?? false;
  let subject = url.split('#')[0] ?? '';
  if (pattern.startsWith('/')) {
    try {
      const parsed = new URL(subject, 'http://relative.invalid');
      subject = parsed.pathname + parsed.search;
    } catch {
      return false;
    }
  }
  return globMatches(pattern, subject);
}
