import { expect } from 'chai';
import { translator } from '../src/i18n';
import { queueText } from '../src/ui/queue-line';

describe('widget queue line', () => {
  const t = translator('en');
  const at = (minutes: number, qualifier: 'about' | 'less-than') => ({
    dialogId: 'd',
    position: 2,
    exact: true,
    eta: { minutes, qualifier },
  });

  it('when the estimate has just come, then the line says it as the engine did', () => {
    expect(queueText(at(3, 'about'), 0, t)).to.equal('You are number 2 in the queue, about 3 min');
    expect(queueText(at(1, 'less-than'), 0, t)).to.equal('You are number 2 in the queue, less than 1 min');
  });

  it('when time passes without a new position, then the estimate counts down', () => {
    expect(queueText(at(3, 'about'), 90_000, t)).to.equal('You are number 2 in the queue, about 2 min');
    expect(queueText(at(3, 'about'), 150_000, t)).to.equal('You are number 2 in the queue, about 1 min');
  });

  it('when the estimated time is used up, then only the position shows (never "less than 1 min" after 2.5 min)', () => {
    expect(queueText(at(1, 'less-than'), 150_000, t)).to.equal('You are number 2 in the queue');
    expect(queueText(at(3, 'about'), 180_000, t)).to.equal('You are number 2 in the queue');
    expect(queueText({ dialogId: 'd', position: 1, exact: true, eta: null }, 0, t)).to.equal(
      'You are number 1 in the queue',
    );
  });

  it('when he is behind the exact head, then the line says which first places he is behind, in both languages', () => {
    const behind = { dialogId: 'd', position: 750, exact: false, eta: null };
    expect(queueText(behind, 0, t)).to.equal('You are in the queue, behind the first 750');
    expect(queueText(behind, 0, translator('ru'))).to.equal('Вы в очереди, после первых 750');
  });
});
