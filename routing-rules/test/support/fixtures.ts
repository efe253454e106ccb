import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRoutingYaml, type RoutingConfig, validateRoutingConfig } from '../../src/index';

export const EXAMPLE_PATH = fileURLToPath(new URL('../../../routing.yaml', import.meta.url));

/** The shipped routing.yaml, validated. */
export function exampleConfig(): RoutingConfig {
  const result = parseRoutingYaml(readFileSync(EXAMPLE_PATH, 'utf8'));
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.config;
}

/** A small valid raw config; tests break one thing in it. */
export function rawConfig(): Record<string, unknown> & {
  groups: Record<string, unknown>[];
  topics: Record<string, unknown>[];
  regions: Record<string, unknown>[];
  operators: Record<string, unknown>[];
  sites: Record<string, unknown>[];
  rules: Record<string, unknown>[];
} {
  return {
    locales: ['en', 'ru'],
    defaultLocale: 'en',
    groups: [
      { id: 'sales', name: 'Sales', timeZone: 'Europe/Moscow', fallbackGroupId: 'support' },
      { id: 'support', name: 'Support', timeZone: 'UTC', takesCalls: true },
      { id: 'night', name: 'Night', timeZone: 'UTC' },
    ],
    topics: [{ id: 'returns', name: 'Returns', groupId: 'support' }],
    regions: [{ id: 'moscow', name: 'Moscow', groupId: 'sales' }],
    operators: [{ operatorEmail: 'anna@example.com', groups: [{ groupId: 'sales', tier: 'primary' }] }],
    sites: [
      {
        id: 'demo',
        name: 'Demo',
        entryMenu: {
          kind: 'bot',
          root: {
            question: 'What about?',
            buttons: [
              { label: 'Buy', target: { groupId: 'sales' } },
              {
                label: 'More',
                next: { question: 'Which?', buttons: [{ label: 'Returns', target: { topicId: 'returns' } }] },
              },
            ],
          },
        },
      },
    ],
    rules: [rule('vip', { pageUrl: '/vip/*' }, { groupId: 'sales', priority: 7 })],
    defaultRoute: { groupId: 'support' },
  };
}

/** A valid config from rawConfig() after `edit`. */
export function config(edit: (raw: ReturnType<typeof rawConfig>) => void = () => {}): RoutingConfig {
  const raw = rawConfig();
  edit(raw);
  const result = validateRoutingConfig(raw);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.config;
}

/**
 * A raw rule. Built through a helper because biome's noThenProperty flags object literals with a
 * `then` key (thenable confusion); rules are never awaited.
 */
export function rule(
  id: string,
  when: Record<string, unknown>,
  target: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries([
    ['id', id],
    ['when', when],
    ['then', target],
  ]);
}

/** Sets a raw rule's `then` (see rule()). */
export function setThen(raw: Record<string, unknown>, target: Record<string, unknown>): void {
  Reflect.set(raw, 'then', target);
}
