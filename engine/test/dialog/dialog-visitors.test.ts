import { expect } from 'chai';
import { DialogVisitors } from '../../src/dialog/change-consumers/dialog-visitors';
import type { DialogRepository } from '../../src/storage/dialog-repository';

/** The repository's visitor-id lookup over a fixed set of dialogs; it records the ids each query asked for. */
function fakeRepo(known: string[]) {
  const asked: string[][] = [];
  const repo: Pick<DialogRepository, 'visitorsOf'> = {
    visitorsOf: async (ids) => {
      asked.push([...ids]);
      return new Map(ids.filter((id) => known.includes(id)).map((id) => [id, `visitor-of-${id}`]));
    },
  };
  return { repo, asked };
}

describe('dialog → visitor ids for queue-position pushes', () => {
  it('when the same queue is looked at again, then Postgres is asked only about the dialogs it has not seen', async () => {
    const { repo, asked } = fakeRepo(['d1', 'd2', 'd3']);
    const visitors = new DialogVisitors(repo);
    expect([...(await visitors.of(['d1', 'd2'])).entries()]).to.deep.equal([
      ['d1', 'visitor-of-d1'],
      ['d2', 'visitor-of-d2'],
    ]);
    const second = await visitors.of(['d1', 'd2', 'd3']);
    expect(second.get('d3')).to.equal('visitor-of-d3');
    await visitors.of(['d1', 'd2', 'd3']);
    expect(asked).to.deep.equal([['d1', 'd2'], ['d3']]);
  });

  it('when a dialog does not exist, then it is left out and asked about again next time', async () => {
    const { repo, asked } = fakeRepo(['d1']);
    const visitors = new DialogVisitors(repo);
    expect((await visitors.of(['d1', 'gone'])).has('gone')).to.equal(false);
    await visitors.of(['d1', 'gone']);
    expect(asked).to.deep.equal([['d1', 'gone'], ['gone']]);
  });

  it('when more dialogs pass than the limit, then the least recently used are forgotten', async () => {
    const { repo, asked } = fakeRepo(['d1', 'd2', 'd3', 'd4']);
    const visitors = new DialogVisitors(repo, 3);
    await visitors.of(['d1', 'd2', 'd3']);
    await visitors.of(['d1']); // d1 is fresh again, d2 is now the oldest
    await visitors.of(['d4']);
    expect(visitors.size).to.equal(3);
    asked.length = 0;
    await visitors.of(['d1', 'd2', 'd3', 'd4']);
    expect(asked).to.deep.equal([['d2']]);
  });
});
