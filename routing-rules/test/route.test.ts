import { expect } from 'chai';
import { effectiveLimit, groupById, operatorGroups, pageUrlMatches, resolveRoute } from '../src/index';
import { config, rule } from './support/fixtures';

const now = new Date('2026-03-02T10:00:00Z');

describe('resolveRoute', () => {
  const cfg = config((raw) => {
    raw.rules.push(
      rule(
        'english-returns',
        { choice: { topicId: 'returns' }, language: ['en'] },
        { groupId: 'night', priority: 2 },
      ),
      rule('back-again', { returningVisitor: true, region: ['moscow'] }, { groupId: 'support', priority: 4 }),
      rule(
        'night-shift',
        { timeOfDay: { from: '22:00', to: '06:00', timeZone: 'Europe/Moscow' } },
        { groupId: 'night' },
      ),
    );
  });

  it('when a rule matches the page, then its group and priority win and the reason names the rule', () => {
    const route = resolveRoute(cfg, { pageUrl: 'https://shop.example/vip/gold?x=1' }, now);
    expect(route).to.deep.include({
      groupId: 'sales',
      priority: 7,
      reason: 'rule "vip" matched: pageUrl /vip/*',
    });
    expect(route.fallbackChain).to.deep.equal(['support']);
  });

  it('when several rules match, then the first in order wins', () => {
    const route = resolveRoute(
      cfg,
      { pageUrl: '/vip/x', choice: { topicId: 'returns' }, language: 'en' },
      now,
    );
    expect(route.groupId).to.equal('sales');
  });

  it('when all conditions of a rule hold (choice and language subtag), then it matches', () => {
    const route = resolveRoute(cfg, { choice: { topicId: 'returns' }, language: 'en-US' }, now);
    expect(route).to.deep.include({ groupId: 'night', topicId: 'returns', priority: 2 });
    expect(route.reason).to.equal('rule "english-returns" matched: choice topicId=returns, language en');
  });

  it('when one condition fails, then the rule does not match and the choice decides', () => {
    const route = resolveRoute(cfg, { choice: { topicId: 'returns' }, language: 'ru' }, now);
    expect(route).to.deep.include({ groupId: 'support', topicId: 'returns', priority: 0 });
    expect(route.reason).to.equal('visitor chose topic "returns" → group "support"');
  });

  it('when a returning visitor comes from a region, then the returning-visitor rule applies', () => {
    expect(resolveRoute(cfg, { returningVisitor: true, regionId: 'moscow' }, now).groupId).to.equal(
      'support',
    );
    expect(resolveRoute(cfg, { returningVisitor: false, regionId: 'moscow' }, now).reason).to.match(
      /default route/,
    );
  });

  it('when the time of day falls in an overnight rule window, then it matches across midnight', () => {
    expect(resolveRoute(cfg, {}, new Date('2026-03-02T21:30:00Z')).groupId).to.equal('night'); // 00:30 Moscow
    expect(resolveRoute(cfg, {}, new Date('2026-03-02T19:30:00Z')).groupId).to.equal('night'); // 22:30
    expect(resolveRoute(cfg, {}, new Date('2026-03-02T03:00:00Z')).groupId).to.equal('support'); // 06:00
  });

  it('when the visitor chose a group or a region mapped to a group, then that group is used', () => {
    expect(resolveRoute(cfg, { choice: { groupId: 'night' } }, now).groupId).to.equal('night');
    const byRegion = resolveRoute(cfg, { choice: { regionId: 'moscow' } }, now);
    expect(byRegion).to.deep.include({ groupId: 'sales', regionId: 'moscow' });
  });

  it('when the choice names unknown ids (a stale widget), then the default route is used and no stale id is kept', () => {
    const route = resolveRoute(
      cfg,
      { choice: { groupId: 'gone', topicId: 'gone', regionId: 'atlantis' } },
      now,
    );
    expect(route).to.deep.include({
      groupId: 'support',
      priority: 0,
      reason:
        'unknown group "gone", topic "gone", region "atlantis"; no rule or choice matched: default route',
    });
    expect(route).not.to.have.property('topicId');
    expect(route).not.to.have.property('regionId');
  });

  it('when only the group is unknown but the topic is known, then the topic decides', () => {
    const route = resolveRoute(cfg, { choice: { groupId: 'gone', topicId: 'returns' }, language: 'ru' }, now);
    expect(route).to.deep.include({ groupId: 'support', topicId: 'returns' });
  });

  it('when the topic is unknown but a region is known, then the region decides and the topic is dropped', () => {
    const route = resolveRoute(cfg, { choice: { topicId: 'gone', regionId: 'moscow' } }, now);
    expect(route).to.deep.include({ groupId: 'sales', regionId: 'moscow' });
    expect(route).not.to.have.property('topicId');
  });

  it('when a callback lands on a group that takes no calls, then the first fallback that takes calls is used', () => {
    const route = resolveRoute(cfg, { choice: { groupId: 'sales' }, kind: 'callback' }, now);
    expect(route.groupId).to.equal('support');
    expect(route.reason).to.match(/callback: "sales" takes no calls, routed to "support"/);
    expect(route.fallbackChain).to.deep.equal([]);
  });

  it('when a chat lands on a group that takes no calls, then it stays there', () => {
    expect(resolveRoute(cfg, { choice: { groupId: 'sales' }, kind: 'chat' }, now).groupId).to.equal('sales');
  });
});

describe('pageUrlMatches', () => {
  it('when the glob starts with /, then it matches the whole path and query, case-insensitively', () => {
    expect(pageUrlMatches('/vip/*', 'https://shop.example/VIP/a/b')).to.equal(true);
    expect(pageUrlMatches('/vip/*', 'https://shop.example/novip/a')).to.equal(false);
    expect(pageUrlMatches('/cart', 'https://shop.example/cart#top')).to.equal(true);
    expect(pageUrlMatches('/item?', 'https://shop.example/item7')).to.equal(true);
  });

  it('when the glob is a full URL or a re: pattern, then it tests the whole URL', () => {
    expect(pageUrlMatches('https://*.example/*', 'https://shop.example/x')).to.equal(true);
    expect(pageUrlMatches('re:/(cart|checkout)(/|$)', 'https://shop.example/checkout/pay')).to.equal(true);
    expect(pageUrlMatches('re:(', 'x')).to.equal(false);
  });
});

describe('config lookups', () => {
  const cfg = config((raw) => {
    raw.operators.push({
      operatorEmail: 'Boris@Example.com',
      groups: [{ groupId: 'support', tier: 'secondary' }],
      limit: 7,
    });
  });

  it('when an operator has a personal limit, then it overrides the group default', () => {
    expect(effectiveLimit(cfg, 'boris@example.com', 'support')).to.equal(7);
    expect(effectiveLimit(cfg, 'anna@example.com', 'sales')).to.equal(3);
    expect(effectiveLimit(cfg, 'anna@example.com', 'nope')).to.equal(null);
  });

  it('when asked for an operator groups by e-mail in any case, then memberships with tiers come back', () => {
    expect(operatorGroups(cfg, 'BORIS@example.com')).to.deep.equal([
      { groupId: 'support', tier: 'secondary' },
    ]);
    expect(operatorGroups(cfg, 'nobody@example.com')).to.deep.equal([]);
    expect(groupById(cfg, 'sales')?.name).to.equal('Sales');
  });
});
