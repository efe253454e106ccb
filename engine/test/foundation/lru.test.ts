import { expect } from 'chai';
import { Lru } from '../../src/lru';

describe('Lru (the bounded map behind the dialog cache and the known visitors)', () => {
  it('when it grows past its capacity, then the least recently set entry goes first', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).to.deep.equal([undefined, 2, 3]);
    expect(lru.size).to.equal(2);
  });

  it('when an entry is read, then it counts as recently used and stays', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).to.equal(1);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).to.deep.equal([1, undefined, 3]);
  });

  it('when an entry is set again, then it is replaced and counts as recently used', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 10);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).to.deep.equal([10, undefined, 3]);
    expect(lru.size).to.equal(2);
  });

  it('when an entry is deleted, then it is gone and frees its place', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.delete('a');
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).to.deep.equal([undefined, 2, 3]);
  });
});
