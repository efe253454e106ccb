import { expect } from 'chai';
import {
  globMatches,
  type MatchMeter,
  pageUrlMatches,
  regexPatternProblem,
  validateRoutingConfig,
} from '../src/index';
import { rawConfig, rule } from './support/fixtures';

/** The reference semantics: the glob turned into an anchored regex (what the matcher replaced). */
function regexGlob(pattern: string, subject: string): boolean {
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'is').test(subject);
}

describe('URL globs in linear time', () => {
  it('when `*a*a*a*b` meets 2,048 characters without a b, then it fails within n·m steps', () => {
    const url = 'a'.repeat(2048);
    const meter: MatchMeter = { steps: 0 };
    const started = performance.now();
    expect(globMatches('*a*a*a*b', url, meter)).to.equal(false);
    const ms = performance.now() - started;
    const bound = (url.length + 1) * ('*a*a*a*b'.length + 1);
    console.log(
      `      *a*a*a*b on 2,048 chars: ${meter.steps} steps (bound n·m = ${bound}), ${ms.toFixed(2)} ms`,
    );
    expect(meter.steps).to.be.at.most(bound);
    // The regex it replaced explores about n^4/24 ≈ 7·10^11 paths here; the matcher ~n·stars.
    expect(meter.steps).to.be.below(4 * url.length * 4);
  });

  it('when many stars meet a long URL that almost matches, then steps stay within n·m', () => {
    const pattern = `${'*a'.repeat(40)}*b`;
    const url = `https://shop.example/${'a'.repeat(2000)}`;
    const meter: MatchMeter = { steps: 0 };
    expect(globMatches(pattern, url, meter)).to.equal(false);
    expect(meter.steps).to.be.at.most((url.length + 1) * (pattern.length + 1));
    expect(globMatches(pattern, `${url}b`)).to.equal(true);
  });

  it('when compared with the regex it replaced on every small pattern and subject, then the answers agree', () => {
    const alphabet = ['a', 'b', '*', '?'];
    const patterns: string[] = [''];
    for (let length = 1; length <= 4; length++) {
      for (const prefix of patterns.filter((p) => p.length === length - 1))
        for (const ch of alphabet) patterns.push(prefix + ch);
    }
    const subjects: string[] = [''];
    for (let length = 1; length <= 5; length++) {
      for (const prefix of subjects.filter((s) => s.length === length - 1))
        for (const ch of ['a', 'b']) subjects.push(prefix + ch);
    }
    let compared = 0;
    for (const pattern of patterns) {
      for (const subject of subjects) {
        expect(globMatches(pattern, subject), `${pattern} ~ ${subject}`).to.equal(
          regexGlob(pattern, subject),
        );
        compared++;
      }
    }
    expect(compared).to.equal(patterns.length * subjects.length);
  });

  it('when the glob has regex characters or another case, then they are literal and case does not matter', () => {
    expect(globMatches('/a.b(c)+?', '/A.B(C)+x')).to.equal(true);
    expect(globMatches('/a.b', '/axb')).to.equal(false);
    expect(pageUrlMatches('/vip/*', 'https://shop.example/VIP/a?x=1#top')).to.equal(true);
  });
});

describe('re: patterns checked for catastrophic backtracking', () => {
  it('when a rule has re:^(a+)+$, then validation refuses it at the rule path', () => {
    const raw = rawConfig();
    raw.rules.push(rule('slow', { pageUrl: 're:^(a+)+$' }, { groupId: 'sales' }));
    const result = validateRoutingConfig(raw);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.errors).to.deep.include({
      path: 'rules[1].when.pageUrl',
      message: 'may backtrack catastrophically (nested quantifiers such as (a+)+); simplify it',
    });
  });

  it('when a re: pattern is simple or broken, then the simple one passes and the broken one is named', () => {
    expect(regexPatternProblem('/(cart|checkout)(/|$)')).to.equal(null);
    expect(regexPatternProblem('(')).to.equal('is not a valid regular expression');
    expect(regexPatternProblem('(x+x+)+y')).to.match(/backtrack/);
  });

  it('when a stored config still holds a refused pattern, then matching ignores it instead of stalling', () => {
    const started = performance.now();
    expect(pageUrlMatches('re:^(a+)+$', `${'a'.repeat(28)}!`)).to.equal(false);
    // The native regex takes ~2^28 steps (seconds) here; the refused pattern is never run.
    expect(performance.now() - started).to.be.below(1000);
    expect(pageUrlMatches('re:/(cart|checkout)(/|$)', 'https://shop.example/checkout/pay')).to.equal(true);
  });
});

describe('site origins', () => {
  it('when an origin has a path or is not a URL, then validation names it', () => {
    const raw = rawConfig();
    raw.sites[0]!.origins = ['https://shop.example', 'https://shop.example/path', 'shop.example'];
    const result = validateRoutingConfig(raw);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    const paths = result.errors.map((e) => e.path);
    expect(paths).to.include.members(['sites[0].origins[1]', 'sites[0].origins[2]']);
    expect(paths).to.not.include('sites[0].origins[0]');
  });
});
