import { expect } from 'chai';
import { acceptLanguages, fallbackLocale, fillTexts, localizedText, pickLocale } from '../src/index';
import { DEFAULT_TEXTS } from '../src/default-texts';

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

  it('falls back the one way for anything kept per locale: exact tag, primary language, the defaults in order, then the first', () => {
    expect(fallbackLocale(['en', 'pt-br', 'pt'], 'pt-BR')).to.equal('pt-br');
    expect(fallbackLocale(['en', 'ru'], 'ru-RU')).to.equal('ru');
    expect(fallbackLocale(['en', 'ru'], 'de', ['ru', 'en'])).to.equal('ru');
    expect(fallbackLocale(['en', 'ru'], 'de')).to.equal('en');
    expect(fallbackLocale(['ru', 'kk'], undefined)).to.equal('ru');
    expect(fallbackLocale([], 'ru')).to.equal(undefined);
    // Its users agree: a text, the built-in texts of a declared locale.
    expect(localizedText({ ru: 'Привет', kk: 'Сәлем' }, 'de')).to.equal('Привет');
    expect(fillTexts({}, ['ru-RU'])['ru-RU']!.greeting).to.equal(DEFAULT_TEXTS.ru!.greeting);
  });
});
