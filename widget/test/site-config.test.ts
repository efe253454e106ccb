import { expect } from 'chai';
import { localized, normalizeConfig } from '../src/site-config';

describe('widget site config', () => {
  it('when the config is missing or partial, then defaults fill the gaps', () => {
    const config = normalizeConfig('demo', null);
    expect(config.look.position).to.equal('right');
    expect(config.entryMenu).to.equal(null);
    expect(config.texts).to.deep.equal({});
    expect(config.callbackEnabled).to.equal(true);
  });

  it('when the look has no title, then the site name is used; an unknown position becomes right', () => {
    const config = normalizeConfig('demo', { name: 'Northwind', look: { position: 'middle' } });
    expect(config.look.title).to.equal('Northwind');
    expect(config.look.position).to.equal('right');
  });

  it('when a choice menu has no options, then there is no menu (the chat starts unrouted)', () => {
    expect(normalizeConfig('demo', { entryMenu: { kind: 'choice', options: [] } }).entryMenu).to.equal(null);
  });

  it('when a text is given per locale, then the locale, else English, else the first one is used', () => {
    expect(localized({ en: 'Sales', ru: 'Продажи' }, 'ru')).to.equal('Продажи');
    expect(localized({ en: 'Sales', ru: 'Продажи' }, 'de')).to.equal('Sales');
    expect(localized({ ru: 'Продажи' }, 'de')).to.equal('Продажи');
    expect(localized('Sales', 'ru')).to.equal('Sales');
    expect(localized(null, 'en')).to.equal('');
  });
});
