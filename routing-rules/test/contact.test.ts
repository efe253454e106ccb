import { expect } from 'chai';
import { normalizeContact, SiteSchema } from '../src/index';

describe('normalizeContact', () => {
  const phone = (input: string, country?: string) => normalizeContact(input, country);
  const e164 = (value: string) => ({ ok: true, kind: 'phone', value });

  it('when a Russian number is written nationally (8…, 7… or 10 digits), then it becomes +7 in E.164', () => {
    expect(phone('8 (916) 123-45-67')).to.deep.equal(e164('+79161234567'));
    expect(phone('79161234567')).to.deep.equal(e164('+79161234567'));
    expect(phone('916 123 45 67')).to.deep.equal(e164('+79161234567'));
    expect(phone('8 800 555-35-35')).to.deep.equal(e164('+78005553535'));
  });

  it('when a number has + or 00, then its own country wins over the default one', () => {
    expect(phone('+44 (20) 7946-0958')).to.deep.equal(e164('+442079460958'));
    expect(phone('0049 30 901820')).to.deep.equal(e164('+4930901820'));
    expect(phone('+1 415 555 2671', 'DE')).to.deep.equal(e164('+14155552671'));
    expect(phone('+86 138 0013 8000')).to.deep.equal(e164('+8613800138000'));
  });

  it('when the site is in another country, then national numbers are read in that country', () => {
    expect(phone('020 7946 0958', 'GB')).to.deep.equal(e164('+442079460958'));
    expect(phone('(415) 555-2671', 'US')).to.deep.equal(e164('+14155552671'));
    expect(phone('030 901820', 'DE')).to.deep.equal(e164('+4930901820'));
    expect(phone('06 12 34 56 78', 'FR')).to.deep.equal(e164('+33612345678'));
    expect(phone('06.12.34.56.78', 'fr'), 'an unknown or lower-case code falls back to RU').to.include({
      ok: false,
    });
  });

  it('when a number is too short, too long or impossible, then it is rejected with a sentence', () => {
    expect(phone('12-34')).to.deep.equal({
      ok: false,
      reason: 'not a valid phone number in RU: add + and the country code',
    });
    expect(phone('+7 912 345')).to.deep.equal({ ok: false, reason: 'not a valid phone number' });
    expect(phone('+1234567890123456').ok).to.equal(false);
    expect(phone('+0123456789').ok).to.equal(false);
    expect(phone('020 7946 0958', 'US').ok, 'a British number is not American').to.equal(false);
    expect(phone('12-34', 'DE').ok, 'a valid German number shorter than 8 digits in E.164').to.equal(false);
  });

  it('when an e-mail is given, then it is lowercased', () => {
    expect(normalizeContact('  Ivan.Petrov@Mail.RU ')).to.deep.equal({
      ok: true,
      kind: 'email',
      value: 'ivan.petrov@mail.ru',
    });
  });

  it('when an e-mail is malformed, then it is rejected', () => {
    for (const bad of ['ivan@', '@mail.ru', 'ivan@mail', 'iv an@mail.ru', 'a@b@c.ru']) {
      expect(normalizeContact(bad), bad).to.deep.equal({ ok: false, reason: 'not a valid e-mail' });
    }
  });

  it('when the input is empty, words or letters among digits, then it is rejected', () => {
    expect(normalizeContact('   ')).to.deep.equal({ ok: false, reason: 'enter a phone number or an e-mail' });
    for (const bad of ['call me maybe', '+7 912 ABC 45 67', '8-912-345-67-89 ext', '9'.repeat(41)]) {
      expect(normalizeContact(bad), bad).to.deep.equal({
        ok: false,
        reason: 'not a phone number or e-mail',
      });
    }
  });
});

describe('site defaultCountry', () => {
  const site = (extra: Record<string, unknown>) =>
    SiteSchema.safeParse({ id: 'shop', name: 'Shop', ...extra });

  it('when a site names none, then it is RU; a lower-case code is upper-cased', () => {
    expect(site({}).data?.defaultCountry).to.equal('RU');
    expect(site({ defaultCountry: 'gb' }).data?.defaultCountry).to.equal('GB');
  });

  it('when the code is not a country with phone numbering, then the error names the field', () => {
    for (const bad of ['XX', 'GBR', 'Russia', '']) {
      const result = site({ defaultCountry: bad });
      expect(result.success, bad).to.equal(false);
      expect(result.error?.issues[0]?.path).to.deep.equal(['defaultCountry']);
      expect(result.error?.issues[0]?.message).to.match(/ISO 3166 alpha-2/);
    }
  });
});
