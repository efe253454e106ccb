import type { z } from 'zod';
import { DEFAULT_TEXTS } from './default-texts';
import { type RoutingConfig, RoutingConfigSchema } from './schema';
import { TEXT_KEYS } from './templates';
import { withCurrentKeys } from './renamed-keys';
import { regexPatternProblem } from './url-pattern';

/** One problem in a config: `path` like `groups[2].limits.default`, `message` like `must be >= 1`. */
export interface ConfigError {
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; config: RoutingConfig } | { ok: false; errors: ConfigError[] };

/**
 * Validates a whole routing config and reports every error at once: the shape (types, ranges, clock
 * and date formats, time zones, overlapping hours, template variables, dead-end menus) and the
 * cross-references (unknown group/topic/region/locale ids, duplicate ids, fallback cycles).
 * On success the config has all defaults filled in. Never throws.
 */
export function validateRoutingConfig(input: unknown): ValidationResult {
  const errors: ConfigError[] = [];
  const parsed = RoutingConfigSchema.safeParse(input);
  if (!parsed.success) errors.push(...parsed.error.issues.flatMap(issueToErrors));
  errors.push(...crossReferenceErrors(input));
  const unique = dedupe(errors);
  if (unique.length > 0 || !parsed.success) return { ok: false, errors: unique };
  return { ok: true, config: parsed.data };
}

/** `['groups', 2, 'limits', 'default']` → `groups[2].limits.default`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(root)';
}

function issueToErrors(issue: z.core.$ZodIssue): ConfigError[] {
  const path = formatPath(issue.path);
  // Messages written in the schema (refinements, regexes, custom minimums) are kept as they are.
  if (!/^(Too small|Too big|Invalid|Unrecognized)/.test(issue.message))
    return [{ path, message: issue.message }];
  switch (issue.code) {
    case 'invalid_type':
      if (/received undefined$/.test(issue.message)) return [{ path, message: 'is required' }];
      return [{ path, message: `must be ${article(issue.expected === 'int' ? 'integer' : issue.expected)}` }];
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set')
        return [{ path, message: `must have at least ${min} item(s)` }];
      if (issue.origin === 'string')
        return [{ path, message: min <= 1 ? 'must not be empty' : `must be at least ${min} characters` }];
      return [{ path, message: issue.inclusive === false ? `must be > ${min}` : `must be >= ${min}` }];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'string')
        return [{ path, message: `must have at most ${max}` }];
      return [{ path, message: issue.inclusive === false ? `must be < ${max}` : `must be <= ${max}` }];
    }
    case 'invalid_value':
      return [{ path, message: `must be one of: ${issue.values.map((v) => String(v)).join(', ')}` }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key' }));
    case 'invalid_union': {
      if ('note' in issue && issue.note === 'No matching discriminator') {
        return [{ path, message: 'must be one of: choice, bot' }];
      }
      if (issue.path.length > 0 && issue.errors.length === 2)
        return [{ path, message: 'must be a text or a map of locale → text' }];
      return [{ path, message: 'has an invalid shape' }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---- cross-references, read tolerantly from the raw input so they are reported together with shape errors

type Raw = Record<string, unknown>;
const obj = (value: unknown): Raw =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function crossReferenceErrors(input: unknown): ConfigError[] {
  const errors: ConfigError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message });
  const root = obj(input);
  const groups = list(root.groups).map(obj);
  const topics = list(root.topics).map(obj);
  const regions = list(root.regions).map(obj);
  const operators = list(obj(withCurrentKeys(root)).operators).map(obj);
  const sites = list(root.sites).map(obj);
  const rules = list(root.rules).map(obj);

  const ids = (items: Raw[], collection: string, key = 'id', normalize = (v: string) => v) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const id = str(item[key]);
      if (id === undefined) return;
      const norm = normalize(id);
      const earlier = first.get(norm);
      if (earlier === undefined) first.set(norm, i);
      else add(`${collection}[${i}].${key}`, `duplicate id "${id}" (also ${collection}[${earlier}])`);
    });
    return new Set(first.keys());
  };
  const groupIds = ids(groups, 'groups');
  const topicIds = ids(topics, 'topics');
  const regionIds = ids(regions, 'regions');
  ids(sites, 'sites');
  ids(rules, 'rules');
  ids(operators, 'operators', 'operatorEmail', (v) => v.toLowerCase());

  const ref = (kind: 'group' | 'topic' | 'region', known: Set<string>, value: unknown, path: string) => {
    const id = str(value);
    if (id !== undefined && !known.has(id)) add(path, `unknown ${kind} "${id}"`);
  };
  const target = (value: unknown, path: string) => {
    const t = obj(value);
    ref('group', groupIds, t.groupId, `${path}.groupId`);
    ref('topic', topicIds, t.topicId, `${path}.topicId`);
    ref('region', regionIds, t.regionId, `${path}.regionId`);
  };

  // locales
  const locales = list(root.locales ?? ['en', 'ru']).filter((l): l is string => typeof l === 'string');
  const defaultLocale = str(root.defaultLocale) ?? 'en';
  if (locales.length > 0 && !locales.includes(defaultLocale))
    add('defaultLocale', `must be one of the locales (${locales.join(', ')})`);

  groups.forEach((group, i) => {
    ref('group', groupIds, group.fallbackGroupId, `groups[${i}].fallbackGroupId`);
    const texts = obj(group.texts);
    for (const locale of Object.keys(texts)) {
      if (!locales.includes(locale))
        add(`groups[${i}].texts.${locale}`, `locale "${locale}" is not declared in locales`);
    }
    for (const locale of locales) {
      if (DEFAULT_TEXTS[locale]) continue;
      const own = obj(texts[locale]);
      for (const key of TEXT_KEYS) {
        if (str(own[key]) === undefined) {
          add(
            `groups[${i}].texts.${locale}.${key}`,
            `missing text for declared locale "${locale}" (no built-in default)`,
          );
        }
      }
    }
  });
  errors.push(...fallbackCycles(groups));

  topics.forEach((topic, i) => {
    ref('group', groupIds, topic.groupId, `topics[${i}].groupId`);
  });
  regions.forEach((region, i) => {
    ref('group', groupIds, region.groupId, `regions[${i}].groupId`);
  });

  operators.forEach((operator, i) => {
    const seen = new Set<string>();
    list(operator.groups).forEach((membership, j) => {
      const groupId = str(obj(membership).groupId);
      ref('group', groupIds, groupId, `operators[${i}].groups[${j}].groupId`);
      if (groupId !== undefined && seen.has(groupId))
        add(`operators[${i}].groups[${j}].groupId`, `duplicate group "${groupId}"`);
      if (groupId !== undefined) seen.add(groupId);
    });
    const skills = obj(operator.skills);
    list(skills.topics).forEach((t, j) => {
      ref('topic', topicIds, t, `operators[${i}].skills.topics[${j}]`);
    });
    list(skills.regions).forEach((r, j) => {
      ref('region', regionIds, r, `operators[${i}].skills.regions[${j}]`);
    });
  });

  sites.forEach((site, i) => {
    const locale = str(site.locale);
    if (locale !== undefined && !locales.includes(locale))
      add(`sites[${i}].locale`, `locale "${locale}" is not declared in locales`);
    const menu = obj(site.entryMenu);
    if (menu.kind === 'choice') {
      list(menu.options).forEach((option, j) => {
        target(obj(option).target, `sites[${i}].entryMenu.options[${j}].target`);
      });
    } else if (menu.kind === 'bot') {
      walkBot(menu.root, `sites[${i}].entryMenu.root`, target, new Set());
    }
  });

  rules.forEach((rule, i) => {
    const when = obj(rule.when);
    if (when.choice !== undefined) target(when.choice, `rules[${i}].when.choice`);
    list(when.region).forEach((r, j) => {
      ref('region', regionIds, r, `rules[${i}].when.region[${j}]`);
    });
    const pageUrl = str(when.pageUrl);
    const problem = pageUrl?.startsWith('re:') ? regexPatternProblem(pageUrl.slice(3)) : null;
    if (problem) add(`rules[${i}].when.pageUrl`, problem);
    const then = obj(rule.then);
    ref('group', groupIds, then.groupId, `rules[${i}].then.groupId`);
    ref('topic', topicIds, then.topicId, `rules[${i}].then.topicId`);
  });

  const defaultRoute = obj(root.defaultRoute);
  ref('group', groupIds, defaultRoute.groupId, 'defaultRoute.groupId');
  ref('topic', topicIds, defaultRoute.topicId, 'defaultRoute.topicId');
  return errors;
}

function walkBot(
  node: unknown,
  path: string,
  target: (value: unknown, path: string) => void,
  seen: Set<unknown>,
) {
  if (seen.has(node)) return;
  seen.add(node);
  list(obj(node).buttons).forEach((raw, j) => {
    const button = obj(raw);
    if (button.target !== undefined) target(button.target, `${path}.buttons[${j}].target`);
    if (button.next !== undefined) walkBot(button.next, `${path}.buttons[${j}].next`, target, seen);
  });
}

/** One error per fallback cycle, at the first group (in config order) that is part of it. */
function fallbackCycles(groups: Raw[]): ConfigError[] {
  const index = new Map<string, number>();
  groups.forEach((g, i) => {
    const id = str(g.id);
    if (id !== undefined && !index.has(id)) index.set(id, i);
  });
  const reported = new Set<string>();
  const errors: ConfigError[] = [];
  groups.forEach((group, i) => {
    const start = str(group.id);
    if (start === undefined || reported.has(start)) return;
    const chain = [start];
    let current = str(group.fallbackGroupId);
    while (current !== undefined && index.has(current)) {
      if (current === start) {
        for (const id of chain) reported.add(id);
        errors.push({
          path: `groups[${i}].fallbackGroupId`,
          message: `fallback cycle: ${[...chain, start].join(' → ')}`,
        });
        return;
      }
      if (chain.includes(current)) return;
      chain.push(current);
      current = str(groups[index.get(current)!]?.fallbackGroupId);
    }
  });
  return errors;
}
