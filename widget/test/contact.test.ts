import { normalizeContact } from '@hotline/routing-rules/contact';
import { expect } from 'chai';
import { checkContact, normalizePhone } from '../src/contact';

// The rules themselves are routing-rules' (tested there); the widget only adds the reason's category.
describe('widget contact check', () => {
  it('when the contact is valid, then the widget gets the engine rule’s normalised value', () => {
    for (const input of ['maria@example.com', ' Maria@Example.COM ', '+7 912 345 67 89', '8 912 345-67-89']) {
      const rule = normalizeContact(input);
      expect(rule.ok, input).to.equal(true);
      expect(checkContact(input), input).to.deep.equal(rule);
    }
  });

  it('when the contact is refused, then the reason says which field message to show', () => {
    expect(checkContact('   ')).to.deep.equal({ ok: false, reason: 'empty' });
    expect(checkContact('maria@')).to.deep.equal({ ok: false, reason: 'email' });
    expect(checkContact('maria@example')).to.deep.equal({ ok: false, reason: 'email' });
    expect(checkContact('12-34')).to.deep.equal({ ok: false, reason: 'phone' });
    expect(checkContact('call me maybe')).to.deep.equal({ ok: false, reason: 'phone' });
  });

  it('when a call-back number is checked, then only a phone passes (an e-mail is not one)', () => {
    expect(normalizePhone('+7 (912) 345-67-89')).to.equal('+79123456789');
    expect(normalizePhone('maria@example.com')).to.equal(null);
    expect(normalizePhone('12-34')).to.equal(null);
    expect(normalizePhone('')).to.equal(null);
  });
});
