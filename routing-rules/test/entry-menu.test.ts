import { expect } from 'chai';
import { choiceLabel, type EntryMenu } from '../src/index';

describe('choiceLabel', () => {
  const bot: EntryMenu = {
    kind: 'bot',
    root: {
      question: 'About?',
      buttons: [
        {
          label: { en: 'Returns and warranty', ru: 'Возврат и гарантия' },
          next: {
            question: 'Which?',
            buttons: [
              { label: { en: 'Return an item', ru: 'Вернуть товар' }, target: { topicId: 'returns' } },
              { label: 'Warranty', target: { topicId: 'warranty' } },
            ],
          },
        },
        { label: 'Choosing a product', target: { groupId: 'sales', topicId: 'tariffs' } },
      ],
    },
  };

  it('when a bot leaf leads to the choice, then the labels on the way are joined in the locale', () => {
    expect(choiceLabel(bot, { topicId: 'returns' }, 'ru')).to.equal('Возврат и гарантия › Вернуть товар');
    expect(choiceLabel(bot, { topicId: 'returns' }, 'en')).to.equal('Returns and warranty › Return an item');
    expect(choiceLabel(bot, { groupId: 'sales', topicId: 'tariffs' }, 'en')).to.equal('Choosing a product');
  });

  it('when a choice menu option has the target, then its label', () => {
    const menu: EntryMenu = {
      kind: 'choice',
      options: [
        { label: 'Sales', target: { groupId: 'sales' } },
        { label: { en: 'Delivery' }, target: { groupId: 'delivery' } },
      ],
    };
    expect(choiceLabel(menu, { groupId: 'delivery' }, 'ru')).to.equal('Delivery');
  });

  it('when no entry leads there, no choice was made or there is no menu, then null', () => {
    expect(choiceLabel(bot, { topicId: 'returns', regionId: 'moscow' }, 'en')).to.equal(null);
    expect(choiceLabel(bot, {}, 'en')).to.equal(null);
    expect(choiceLabel(undefined, { topicId: 'returns' }, 'en')).to.equal(null);
  });
});
