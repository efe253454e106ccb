import { expect } from 'chai';
import { normalizeContact } from '../src/index';

describe('normalizeContact', () => {
  const phone = (input: string) => normalizeContact(input);

  it('when a Russian number starts with 8, then it becomes +7 in E.164', () => {
    expect(phone('8 (916) 123-45-67')).to.deep.equal({ ok: true, kind: 'phone', value: '+79161234567' });
  });

  it('when a number has +, spaces, dashes and parentheses, then they are stripped', () => {
    expect(phone('+44 (20) 7946-0958')).to.deep.equal({ ok: true, kind: 'phone', value: '+442079460958' });
    expect(phone('0049 30 901820')).to.deep.equal({ ok: true, kind: 'phone', value: '+4930901820' });
    expect(phone('79161234567')).to.deep.equal({ ok: true, kind: 'phone', value: '+79161234567' });
  });

  it('when a number is too short, too long or has no country code, then it is rejected with a reason', () => {
    expect(phone('+1234567').ok).to.equal(false);
    expect(phone('+1234567890123456').ok).to.equal(false);
    expect(phone('9161234567')).to.deep.equal({
      ok: false,
      reason: 'phone number must start with + and the country code',
    });
    expect(phone('+0123456789').ok).to.equal(false);
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

  it('when the input is empty or words, then it is rejected', () => {
    expect(normalizeContact('   ').ok).to.equal(false);
    expect(normalizeContact('call me maybe')).to.deep.equal({
      ok: false,
      reason: 'not a phone number or e-mail',
    });
  });
});
