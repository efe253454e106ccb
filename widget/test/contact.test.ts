import { expect } from 'chai';
import { normalizeContact } from '@hotline/routing-rules';
import { checkContact, normalizeEmail, normalizePhone } from '../src/contact';

describe('widget contact validation', () => {
  it('when a phone has spaces, dashes and brackets, then it is normalised to E.164', () => {
    expect(normalizePhone('+1 (555) 123-45-67')).to.equal('+15551234567');
    expect(normalizePhone('+49 30 901820')).to.equal('+4930901820');
  });

  it('when a Russian national number starts with 8 and has 11 digits, then it becomes +7', () => {
    expect(normalizePhone('8 912 345-67-89')).to.equal('+79123456789');
    expect(normalizePhone('7 (912) 345-67-89')).to.equal('+79123456789');
    expect(normalizePhone('0049 30 901820')).to.equal('+4930901820');
  });

  it('when a phone has fewer than 8 or more than 15 digits or letters, then it is refused', () => {
    expect(normalizePhone('1234567')).to.equal(null);
    expect(normalizePhone('49 30 901820'), 'no + and country code').to.equal(null);
    expect(normalizePhone('+0123456789')).to.equal(null);
    expect(normalizePhone('+1234567890123456')).to.equal(null);
    expect(normalizePhone('call me maybe')).to.equal(null);
    expect(normalizePhone('12345abc678')).to.equal(null);
    expect(normalizePhone('')).to.equal(null);
  });

  it('when an e-mail is well formed, then it is trimmed and lower-cased', () => {
    expect(normalizeEmail('  Maria@Example.COM ')).to.equal('maria@example.com');
    expect(normalizeEmail('maria@example')).to.equal(null);
    expect(normalizeEmail('maria @example.com')).to.equal(null);
  });

  it('when input has an @, then it is judged as an e-mail, otherwise as a phone', () => {
    expect(checkContact('maria@example.com')).to.deep.equal({
      ok: true,
      kind: 'email',
      value: 'maria@example.com',
    });
    expect(checkContact('+7 912 345 67 89')).to.deep.equal({
      ok: true,
      kind: 'phone',
      value: '+79123456789',
    });
    expect(checkContact('maria@')).to.deep.equal({ ok: false, reason: 'email' });
    expect(checkContact('12-34')).to.deep.equal({ ok: false, reason: 'phone' });
    expect(checkContact('   ')).to.deep.equal({ ok: false, reason: 'empty' });
  });

  it('when compared with the engine rules (routing-rules normalizeContact) on many inputs, then both agree', () => {
    const inputs = [
      '+1 (555) 123-45-67',
      '8 912 345-67-89',
      '7 912 345 67 89',
      '0049 30 901820',
      '89123456789',
      '912 345 67 89',
      '+7912',
      '+1234567890123456',
      '12-34',
      'abc',
      '+44 20 7946 0958',
      'maria@example.com',
      'Maria@Example.COM',
      'maria@example',
      'a b@example.com',
      'x@y.co',
      '++71234567890',
      '+7 912 345 67 89 ext 2',
      ' +49.30.901820 ',
      '',
    ];
    for (const input of inputs) {
      const server = normalizeContact(input);
      const client = checkContact(input);
      expect(client.ok, input).to.equal(server.ok);
      if (client.ok && server.ok) expect(client.value, input).to.equal(server.value);
    }
  });
});
