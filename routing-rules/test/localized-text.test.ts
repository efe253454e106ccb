import { expect } from 'chai';
import { localizedText } from '../src/localized-text';

describe('localizedText', () => {
  it('when the locale is given, then its text is used', () => {
    expect(localizedText({ en: 'Hello', ru: 'Привет' }, 'ru')).to.equal('Привет');
  });
  it('when the locale is missing, then English, else the first given', () => {
    expect(localizedText({ de: 'Hallo', en: 'Hello' }, 'fr')).to.equal('Hello');
    expect(localizedText({ de: 'Hallo', ru: 'Привет' }, 'fr')).to.equal('Hallo');
  });
  it('when the text is plain or absent, then it is used as is or empty', () => {
    expect(localizedText('Hi', 'ru')).to.equal('Hi');
    expect(localizedText(null, 'en')).to.equal('');
    expect(localizedText(undefined, 'en')).to.equal('');
    expect(localizedText({}, 'en')).to.equal('');
  });
});
