import { expect } from 'chai';
import { acceptLanguages, localizedText, pickLocale } from '../src/index';

describe('the one locale rule', () => {
  const supported = ['en', 'ru'];

  it('takes the explicit choice, then the browser among offered languages, then the site default, then English', () => {
    expect(pickLocale({ supported, explicit: 'ru', browser: ['en-US'] })).to.equal('ru');
    expect(pickLocale({ supported, browser: ['de-DE', 'ru-RU'], siteLocales: ['en', 'ru'] })).to.equal('ru');
    expect(pickLocale({ supported, browser: ['ru-RU'], siteLocales: ['en'], siteDefault: 'en' })).to.equal(
      'en',
    );
    expect(pickLocale({ supported, browser: ['de'], siteDefault: 'ru' })).to.equal('ru');
    expect(pickLocale({ supported, explicit: 'xx', browser: ['de'] })).to.equal('en');
  });

  it('reads Accept-Language best first by q-value', () => {
    expect(acceptLanguages('de;q=0.5, ru-RU, en;q=0.8, *')).to.deep.equal(['ru-RU', 'en', 'de']);
    expect(acceptLanguages('en;q=0')).to.deep.equal([]);
    expect(acceptLanguages(undefined)).to.deep.equal([]);
  });

  it('gives a text in the exact locale, else its primary language, else English', () => {
    const text = { en: 'Hello', ru: 'Привет' };
    expect(localizedText(text, 'ru-RU')).to.equal('Привет');
    expect(localizedText(text, 'de')).to.equal('Hello');
  });
});
