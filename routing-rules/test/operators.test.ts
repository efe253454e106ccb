import { expect } from 'chai';
import fc from 'fast-check';
import {
  activeExclusions,
  type OperatorCandidate,
  pickOperator,
  type RankInput,
  rankOperators,
} from '../src/index';

const op = (operatorId: string, over: Partial<OperatorCandidate> = {}): OperatorCandidate => ({
  operatorId,
  status: 'online',
  load: 0,
  limit: 3,
  tier: 'primary',
  lastAssignedAt: null,
  onlineSince: 0,
  ...over,
});

const input = (candidates: OperatorCandidate[], over: Partial<RankInput> = {}): RankInput => ({
  strategy: 'least-loaded',
  candidates,
  now: 1_000_000,
  waitedMs: 0,
  secondaryTierAfterMs: 60_000,
  ...over,
});

const ids = (list: OperatorCandidate[]) => list.map((c) => c.operatorId);

describe('rankOperators / pickOperator', () => {
  it('when operators are offline, away, full or excluded, then they are not ranked', () => {
    const ranked = rankOperators(
      input(
        [
          op('a', { status: 'offline' }),
          op('b', { status: 'away' }),
          op('c', { load: 3, limit: 3 }),
          op('d', { load: 4, limit: 3 }),
          op('e'),
          op('f'),
        ],
        { excludeOperatorIds: ['f'] },
      ),
    );
    expect(ids(ranked)).to.deep.equal(['e']);
  });

  it('when nobody is eligible, then pickOperator returns null', () => {
    expect(pickOperator(input([op('a', { status: 'away' })]))).to.equal(null);
    expect(pickOperator(input([]))).to.equal(null);
  });

  it('when least-loaded, then the lowest load/limit ratio wins, then lower load, then longest idle, then id', () => {
    const ranked = rankOperators(
      input([
        op('half', { load: 2, limit: 4 }),
        op('third', { load: 1, limit: 3 }),
        op('half-small', { load: 1, limit: 2 }),
        op('idle-b', { load: 0, limit: 3, lastAssignedAt: 500 }),
        op('idle-a', { load: 0, limit: 3, lastAssignedAt: 100 }),
        op('never', { load: 0, limit: 5, lastAssignedAt: null }),
      ]),
    );
    expect(ids(ranked)).to.deep.equal(['never', 'idle-a', 'idle-b', 'third', 'half-small', 'half']);
  });

  it('when round-robin, then the next id after the cursor comes first, wrapping around', () => {
    const candidates = [op('carl'), op('anna'), op('dina'), op('boris')];
    expect(
      ids(rankOperators(input(candidates, { strategy: 'round-robin', lastAssignedOperatorId: 'boris' }))),
    ).to.deep.equal(['carl', 'dina', 'anna', 'boris']);
    expect(
      ids(rankOperators(input(candidates, { strategy: 'round-robin', lastAssignedOperatorId: 'dina' }))),
    ).to.have.ordered.members(['anna', 'boris', 'carl', 'dina']);
    expect(ids(rankOperators(input(candidates, { strategy: 'round-robin' })))[0]).to.equal('anna');
  });

  it('when round-robin and the cursor operator left, then the next id after it still comes first', () => {
    const ranked = rankOperators(
      input([op('anna'), op('dina')], { strategy: 'round-robin', lastAssignedOperatorId: 'boris' }),
    );
    expect(ids(ranked)).to.deep.equal(['dina', 'anna']);
  });

  it('when longest-idle, then never-assigned first, then oldest assignment, ties by onlineSince then id', () => {
    const ranked = rankOperators(
      input(
        [
          op('recent', { lastAssignedAt: 900 }),
          op('old', { lastAssignedAt: 100 }),
          op('new-late', { lastAssignedAt: null, onlineSince: 50 }),
          op('new-early', { lastAssignedAt: null, onlineSince: 10 }),
        ],
        { strategy: 'longest-idle' },
      ),
    );
    expect(ids(ranked)).to.deep.equal(['new-early', 'new-late', 'old', 'recent']);
  });

  it('when the dialog has not waited long enough, then secondary-tier operators are not eligible', () => {
    const candidates = [op('sec', { tier: 'secondary' }), op('pri', { load: 2 })];
    expect(ids(rankOperators(input(candidates, { waitedMs: 59_999 })))).to.deep.equal(['pri']);
  });

  it('when the dialog waited past the widening time, then secondary tier is eligible but after primary', () => {
    const candidates = [op('sec', { tier: 'secondary' }), op('pri', { load: 2 })];
    expect(ids(rankOperators(input(candidates, { waitedMs: 60_000 })))).to.deep.equal(['pri', 'sec']);
  });

  it('when skills are wanted, then matching operators come first within a tier (a preference, not a filter)', () => {
    const candidates = [
      op('anna', { skills: { languages: ['ru'] } }),
      op('carl', { load: 2, skills: { languages: ['en'], topics: ['returns'] } }),
      op('dina'),
    ];
    const ranked = rankOperators(
      input(candidates, { requiredSkills: { topicId: 'returns', language: 'en-GB' } }),
    );
    expect(ids(ranked)).to.deep.equal(['carl', 'anna', 'dina']);
  });

  it('when a call-back is ranked, then operators who take no calls are skipped and those who take them come first', () => {
    const candidates = [
      op('anna', { takesCalls: false }),
      op('boris'),
      op('carl', { load: 2, takesCalls: true }),
      op('dina', { tier: 'secondary', takesCalls: true }),
    ];
    expect(ids(rankOperators(input(candidates, { callback: true, waitedMs: 120_000 })))).to.deep.equal([
      'carl',
      'boris',
      'dina',
    ]);
    // A chat ignores the profile's call preference.
    expect(ids(rankOperators(input(candidates, { waitedMs: 120_000 })))).to.deep.equal([
      'anna',
      'boris',
      'carl',
      'dina',
    ]);
  });

  describe('exclusions (declined offers, unanswered reroutes)', () => {
    it('when someone else who is not excluded may take the dialog, then the exclusion holds', () => {
      expect(ids(rankOperators(input([op('a'), op('b')], { excludeOperatorIds: ['a'] })))).to.deep.equal([
        'b',
      ]);
    });

    it('when every operator who may take the dialog declined it, then the round is over and they are ranked again', () => {
      const ranked = rankOperators(
        input([op('a'), op('b', { load: 1 }), op('c', { load: 3, limit: 3 }), op('d', { status: 'away' })], {
          excludeOperatorIds: ['a', 'b'],
        }),
      );
      expect(ids(ranked)).to.deep.equal(['a', 'b']);
    });

    it('when an exclusion is older than exclusionMs, then it no longer holds, while a younger one does', () => {
      const now = 1_000_000;
      const ranked = rankOperators(
        input([op('a'), op('b'), op('c')], {
          now,
          excludeOperatorIds: ['a', 'b'],
          excludedAt: { a: now - 120_000, b: now - 1_000 },
          exclusionMs: 120_000,
        }),
      );
      expect(ids(ranked)).to.deep.equal(['a', 'c']);
    });

    it('when the only other operator is full, away or in a tier not yet open, then the decliner is ranked again', () => {
      for (const other of [
        op('b', { load: 3 }),
        op('b', { status: 'away' }),
        op('b', { tier: 'secondary' }),
      ]) {
        expect(ids(rankOperators(input([op('a'), other], { excludeOperatorIds: ['a'] })))).to.deep.equal([
          'a',
        ]);
      }
    });
  });

  describe('properties', () => {
    const candidateArb = fc.record({
      operatorId: fc.constantFrom('a@x', 'b@x', 'c@x', 'd@x', 'e@x', 'f@x', 'g@x'),
      status: fc.constantFrom('online', 'away', 'offline') as fc.Arbitrary<OperatorCandidate['status']>,
      load: fc.integer({ min: 0, max: 6 }),
      limit: fc.integer({ min: 1, max: 5 }),
      tier: fc.constantFrom('primary', 'secondary') as fc.Arbitrary<OperatorCandidate['tier']>,
      lastAssignedAt: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
      onlineSince: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
      takesCalls: fc.option(fc.boolean(), { nil: undefined }),
    });
    const uniqueCandidates = fc.uniqueArray(candidateArb, { selector: (c) => c.operatorId, maxLength: 7 });
    const inputArb = fc.record({
      strategy: fc.constantFrom('least-loaded', 'round-robin', 'longest-idle') as fc.Arbitrary<
        RankInput['strategy']
      >,
      candidates: uniqueCandidates,
      now: fc.constant(2000),
      waitedMs: fc.integer({ min: 0, max: 120_000 }),
      secondaryTierAfterMs: fc.integer({ min: 0, max: 120_000 }),
      lastAssignedOperatorId: fc.option(fc.constantFrom('a@x', 'c@x', 'e@x', 'zz@x'), { nil: undefined }),
      excludeOperatorIds: fc.subarray(['a@x', 'b@x', 'c@x', 'd@x']),
      callback: fc.boolean(),
    });

    it('when ranking any input, then no ineligible operator is ever returned', () => {
      fc.assert(
        fc.property(inputArb, (rank) => {
          const ranked = rankOperators(rank);
          for (const c of ranked) {
            expect(c.status).to.equal('online');
            expect(c.load).to.be.lessThan(c.limit);
            expect(activeExclusions(rank)).to.not.include(c.operatorId);
            if (c.tier === 'secondary') expect(rank.waitedMs).to.be.at.least(rank.secondaryTierAfterMs);
            if (rank.callback) expect(c.takesCalls).to.not.equal(false);
          }
          const picked = pickOperator(rank);
          expect(picked).to.deep.equal(ranked[0] ?? null);
        }),
        { numRuns: 500 },
      );
    });

    it('when anyone may take the dialog apart from exclusions, then somebody is ranked (an exclusion never strands it)', () => {
      fc.assert(
        fc.property(inputArb, (rank) => {
          const open = rankOperators({ ...rank, excludeOperatorIds: [] });
          expect(rankOperators(rank).length > 0).to.equal(open.length > 0);
          for (const c of rankOperators(rank)) {
            if (rank.excludeOperatorIds?.includes(c.operatorId))
              expect(open.every((o) => rank.excludeOperatorIds?.includes(o.operatorId))).to.equal(true);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('when ranking any input, then every eligible operator is returned once, primary before secondary', () => {
      fc.assert(
        fc.property(inputArb, (rank) => {
          const ranked = rankOperators(rank);
          const eligible = rank.candidates.filter(
            (c) =>
              c.status === 'online' &&
              c.load < c.limit &&
              !activeExclusions(rank).includes(c.operatorId) &&
              !(rank.callback && c.takesCalls === false) &&
              (c.tier === 'primary' || rank.waitedMs >= rank.secondaryTierAfterMs),
          );
          expect(ids(ranked)).to.have.members(ids(eligible));
          const firstSecondary = ranked.findIndex((c) => c.tier === 'secondary');
          if (firstSecondary >= 0)
            expect(ranked.slice(firstSecondary).every((c) => c.tier === 'secondary')).to.equal(true);
        }),
        { numRuns: 300 },
      );
    });

    it('when the same input is given twice or in another order, then the ranking is the same', () => {
      fc.assert(
        fc.property(inputArb, fc.func(fc.integer()), (rank, key) => {
          const first = ids(rankOperators(rank));
          expect(ids(rankOperators(structuredClone(rank)))).to.deep.equal(first);
          const shuffled = [...rank.candidates].sort((a, b) => key(a.operatorId) - key(b.operatorId));
          expect(ids(rankOperators({ ...rank, candidates: shuffled }))).to.deep.equal(first);
          expect(ids(rankOperators({ ...rank, candidates: [...rank.candidates].reverse() }))).to.deep.equal(
            first,
          );
        }),
        { numRuns: 500 },
      );
    });

    // Exclusions aside: a decliner re-admitted because nobody else could take the dialog is excluded
    // again once the widened tier brings someone who can.
    it('when waiting longer, then eligibility apart from exclusions only widens (bullseye never narrows)', () => {
      fc.assert(
        fc.property(inputArb, fc.integer({ min: 0, max: 120_000 }), (ranked, extra) => {
          const rank = { ...ranked, excludeOperatorIds: [] };
          const before = new Set(ids(rankOperators(rank)));
          const after = new Set(ids(rankOperators({ ...rank, waitedMs: rank.waitedMs + extra })));
          for (const id of before) expect(after.has(id)).to.equal(true);
        }),
        { numRuns: 300 },
      );
    });
  });
});
