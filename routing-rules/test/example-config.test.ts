import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { isGroupOpen, parseRoutingYaml, resolveRoute, validateRoutingConfig } from '../src/index';
import { EXAMPLE_PATH, exampleConfig } from './support/fixtures';

const BIN = fileURLToPath(new URL('../bin/routing-rules.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('shipped routing.yaml', () => {
  it('when validated, then it is valid', () => {
    const result = parseRoutingYaml(readFileSync(EXAMPLE_PATH, 'utf8'));
    expect(result.ok, JSON.stringify(!result.ok && result.errors)).to.equal(true);
  });

  it('when the validated config is saved as JSON and validated again, then it is unchanged', () => {
    const cfg = exampleConfig();
    const again = validateRoutingConfig(JSON.parse(JSON.stringify(cfg)));
    expect(again.ok, JSON.stringify(!again.ok && again.errors)).to.equal(true);
    if (again.ok) expect(again.config).to.deep.equal(cfg);
  });

  it('when loaded, then it has the documented demo operators, groups and site', () => {
    const cfg = exampleConfig();
    expect(cfg.operators.map((o) => o.operatorEmail)).to.have.members([
      'anna@example.com',
      'boris@example.com',
      'carl@example.com',
      'dina@example.com',
    ]);
    expect(cfg.groups.map((g) => g.id)).to.have.members(['sales', 'delivery', 'support']);
    expect(cfg.sites.map((s) => s.id)).to.deep.equal(['demo']);
    expect(cfg.groups.find((g) => g.id === 'sales')?.offerMode.enabled).to.equal(true);
  });

  it('when the sales group is checked on its holiday, then it is closed', () => {
    const sales = exampleConfig().groups.find((g) => g.id === 'sales')!;
    expect(isGroupOpen(sales, new Date('2026-01-01T09:00:00Z')).open).to.equal(false);
  });

  it('when any visitor context is routed, then the route group exists and the fallback chain has known groups and no cycle', () => {
    const cfg = exampleConfig();
    const groupIds = cfg.groups.map((g) => g.id);
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const context = fc.record({
      choice: maybe(
        fc.record({
          groupId: maybe(fc.constantFrom(...groupIds, 'ghost')),
          topicId: maybe(fc.constantFrom(...cfg.topics.map((t) => t.id), 'ghost')),
          regionId: maybe(fc.constantFrom(...cfg.regions.map((r) => r.id), 'ghost')),
        }),
      ),
      pageUrl: maybe(
        fc.oneof(fc.webUrl(), fc.constantFrom('https://shop.example/vip/1', '/cart', '/checkout/x')),
      ),
      language: maybe(fc.constantFrom('en', 'ru', 'ru-RU', 'de', '')),
      regionId: maybe(fc.constantFrom('moscow', 'spb', 'ghost')),
      returningVisitor: maybe(fc.boolean()),
      kind: maybe(fc.constantFrom('chat' as const, 'callback' as const)),
    });
    fc.assert(
      fc.property(
        context,
        fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }),
        (ctx, at) => {
          const route = resolveRoute(cfg, ctx, new Date(at));
          expect(groupIds).to.include(route.groupId);
          expect(route.priority).to.be.within(0, 9);
          expect(route.reason).to.be.a('string').and.not.equal('');
          expect(new Set([route.groupId, ...route.fallbackChain]).size).to.equal(
            route.fallbackChain.length + 1,
          );
          for (const id of route.fallbackChain) expect(groupIds).to.include(id);
          if (ctx.kind === 'callback')
            expect(cfg.groups.find((g) => g.id === route.groupId)?.takesCalls).to.equal(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('routing-rules check (CLI)', () => {
  it('when the file is valid, then it prints ok and exits 0', () => {
    const result = run('check', EXAMPLE_PATH);
    expect(result.stdout).to.equal('ok\n');
    expect(result.status).to.equal(0);
  });

  it('when the file has errors, then it prints each as path: message and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routing-rules-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'groups:',
        '  - { id: sales, name: Sales, limits: { default: 0 }, fallbackGroupId: nowhere }',
        'defaultRoute: { groupId: sales }',
      ].join('\n'),
    );
    const result = run('check', file);
    expect(result.status).to.equal(1);
    expect(result.stdout.trim().split('\n')).to.have.members([
      'groups[0].limits.default: must be >= 1',
      'groups[0].fallbackGroupId: unknown group "nowhere"',
    ]);
  });

  it('when the YAML does not parse, then it reports the line and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routing-rules-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'groups: [\n  { id: sales\n');
    const result = run('check', file);
    expect(result.status).to.equal(1);
    expect(result.stdout).to.match(/^yaml: line \d+/);
  });

  it('when called without a file, then it prints usage and exits 2', () => {
    const result = run();
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/usage: routing-rules check/);
  });
});
