import { expect } from 'chai';
import { pickWidgetLocale as pickLocale, translator } from '../src/i18n';

describe('widget i18n', () => {
  it('when the embedder names a locale, then it wins over the browser and the site', () => {
    expect(pickLocale({ explicit: 'ru', browser: ['en-US'], siteDefault: 'en' })).to.equal('ru');
  });

  it('when the browser language is offered by the site, then it is used (primary subtag only)', () => {
    expect(pickLocale({ browser: ['ru-RU', 'en'], siteDefault: 'en', siteLocales: ['en', 'ru'] })).to.equal(
      'ru',
    );
    expect(pickLocale({ browser: ['ru-RU'], siteDefault: 'en', siteLocales: ['en'] })).to.equal('en');
  });

  it('when nothing matches, then the site default or English is used', () => {
    expect(pickLocale({ browser: ['de-DE'], siteDefault: 'ru' })).to.equal('ru');
    expect(pickLocale({ explicit: 'xx', browser: ['de'] })).to.equal('en');
  });

  it('when a string has placeholders, then they are filled; site texts override built-ins', () => {
    const t = translator('en');
    expect(t('queueEta', { n: 3, m: 4 })).to.equal('You are number 3 in the queue, about 4 min');
    expect(translator('ru')('queuePosition', { n: 2 })).to.equal('Ваш номер в очереди: 2');
    expect(translator('en', { chatTitle: 'Talk to Acme' })('chatTitle')).to.equal('Talk to Acme');
  });

  it('when a locale is unknown, then English strings are used', () => {
    expect(translator('zz')('send')).to.equal('Send');
  });
});
