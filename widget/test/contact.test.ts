import { normalizeContact } from '@hotline/routing-rules/contact';
import { expect } from 'chai';
import { checkContact, normalizeEmail, normalizePhone } from '../src/contact';

describe('widget contact validation', () => {
  it('when a phone has the characters of one and 5 to 17 digits, then it passes the pre-check as typed (00 as +)', () => {
    expect(normalizePhone(' +1 (555) 123-45-67 ')).to.equal('+1 (555) 123-45-67');
    expect(normalizePhone('8 912 345-67-89')).to.equal('8 912 345-67-89');
    expect(normalizePhone('0049 30 901820')).to.equal('+49 30 901820');
    expect(normalizePhone('020 7946 0958')).to.equal('020 7946 0958');
  });

  it('when a phone has fewer than 5 or more than 17 digits or letters, then it is refused', () => {
    expect(normalizePhone('12-34')).to.equal(null);
    expect(normalizePhone('+1234')).to.equal(null);
    expect(normalizePhone('+123456789012345678')).to.equal(null);
    expect(normalizePhone('call me maybe')).to.equal(null);
    expect(normalizePhone('12345abc678')).to.equal(null);
    expect(normalizePhone('++71234567890')).to.equal(null);
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
      value: '+7 912 345 67 89',
    });
    expect(checkContact('maria@')).to.deep.equal({ ok: false, reason: 'email' });
    expect(checkContact('12-34')).to.deep.equal({ ok: false, reason: 'phone' });
    expect(checkContact('   ')).to.deep.equal({ ok: false, reason: 'empty' });
  });

  it('when compared with the engine rules (routing-rules normalizeContact, several countries), then the pre-check never refuses what the engine accepts, and agrees on e-mails', () => {
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
    let refusedByBoth = 0;
    for (const country of ['RU', 'GB', 'US', 'DE']) {
      for (const input of [...inputs, '020 7946 0958', '(415) 555-2671', '030 901820']) {
        const server = normalizeContact(input, country);
        const client = checkContact(input);
        if (server.ok) expect(client.ok, `${input} in ${country}`).to.equal(true);
        else if (!client.ok) refusedByBoth += 1;
        if (input.includes('@')) expect(client, input).to.deep.equal(server.ok ? server : client);
      }
    }
    expect(refusedByBoth, 'the pre-check catches the obvious mistakes itself').to.be.greaterThan(20);
  });

  it('when the contact is refused, then the reason says which field message to show', () => {
    expect(checkContact('   ')).to.deep.equal({ ok: false, reason: 'empty' });
    expect(checkContact('maria@')).to.deep.equal({ ok: false, reason: 'email' });
    expect(checkContact('maria@example')).to.deep.equal({ ok: false, reason: 'email' });
    expect(checkContact('12-34')).to.deep.equal({ ok: false, reason: 'phone' });
    expect(checkContact('call me maybe')).to.deep.equal({ ok: false, reason: 'phone' });
  });

  it('when a call-back number is checked, then only a phone passes (an e-mail is not one)', () => {
    expect(normalizePhone('+7 (912) 345-67-89')).to.equal('+7 (912) 345-67-89');
    expect(normalizePhone('maria@example.com')).to.equal(null);
    expect(normalizePhone('12-34')).to.equal(null);
    expect(normalizePhone('')).to.equal(null);
  });
});
