import { expect } from 'chai';
import { autoMessage, renderTemplate, templateVariables } from '../src/index';
import { config } from './support/fixtures';

describe('renderTemplate', () => {
  it('when every variable has a value, then they are substituted', () => {
    expect(
      renderTemplate('Hi {visitorName}, {operatorName} from {groupName} here.', {
        visitorName: 'Ivan',
        operatorName: 'Anna',
        groupName: 'Sales',
      }),
    ).to.equal('Hi Ivan, Anna from Sales here.');
    expect(
      renderTemplate('You are number {position}, wait {etaMinutes} min', { position: 3, etaMinutes: 0 }),
    ).to.equal('You are number 3, wait 0 min');
  });

  it('when visitorName is missing, then it renders nothing and the punctuation is tidied', () => {
    expect(renderTemplate('Hello, {visitorName}! We are offline.', {})).to.equal('Hello! We are offline.');
    expect(renderTemplate('Thank you, {visitorName}.', { visitorName: '  ' })).to.equal('Thank you.');
    expect(renderTemplate('{visitorName}, we will call you.', {})).to.equal('we will call you.');
    expect(renderTemplate('Sorry {visitorName} for the wait', {})).to.equal('Sorry for the wait');
  });

  it('when an optional [segment] has a variable without value, then the whole segment is dropped', () => {
    const template = 'You are number {position}.[ Estimated wait: about {etaMinutes} min.]';
    expect(renderTemplate(template, { position: 2 })).to.equal('You are number 2.');
    expect(renderTemplate(template, { position: 2, etaMinutes: 4 })).to.equal(
      'You are number 2. Estimated wait: about 4 min.',
    );
    expect(renderTemplate('Plain [brackets] stay', {})).to.equal('Plain [brackets] stay');
  });

  it('when rendering, then a known placeholder never survives', () => {
    const out = renderTemplate('{visitorName}{operatorName} {position} {etaMinutes} {groupName}', {});
    expect(out).to.not.match(/\{\w+\}/);
  });

  it('when listing variables, then each is named once in order', () => {
    expect(templateVariables('{a} {b} {a}')).to.deep.equal(['a', 'b']);
  });
});

describe('autoMessage', () => {
  const cfg = config((raw) => {
    Object.assign(raw.groups[0]!, {
      voice: { name: 'Anna', as: 'operator', avatarUrl: 'https://x/a.png' },
      texts: { ru: { offlineReply: 'Привет, {visitorName}! Это {groupName}.' } },
    });
  });

  it('when the locale has the text, then it is rendered in that locale with the group name', () => {
    const message = autoMessage(cfg, 'sales', 'offline-reply', 'ru-RU', { visitorName: 'Иван' });
    expect(message).to.deep.equal({
      text: 'Привет, Иван! Это Sales.',
      author: { name: 'Anna', as: 'operator', avatarUrl: 'https://x/a.png' },
    });
  });

  it('when the locale is not declared, then the default locale is used', () => {
    const message = autoMessage(cfg, 'support', 'queue-position', 'fr', { position: 4 });
    expect(message.text).to.equal('You are number 4 in the queue.');
    expect(message.author).to.deep.equal({ name: 'Support', as: 'team' });
  });

  it('when the kind is given as a text key, then it is accepted too', () => {
    expect(autoMessage(cfg, 'support', 'unansweredReply', 'en', {}).text).to.equal(
      'Sorry for the wait. We will answer in a moment.',
    );
  });

  it('when the group is unknown, then it throws', () => {
    expect(() => autoMessage(cfg, 'nope', 'greeting', 'en', {})).to.throw(/unknown group/);
  });
});
