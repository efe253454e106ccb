import { expect } from 'chai';
import {
  type AutoMessageTexts,
  DEFAULT_TEXTS,
  validateRoutingConfig,
  withDefaults,
  withoutDefaultTexts,
} from '../src/index';
import { rawConfig } from './support/fixtures';

/** The built-in texts of a later release: one English text changed. */
const changedDefaults: Record<string, AutoMessageTexts> = {
  ...DEFAULT_TEXTS,
  en: { ...DEFAULT_TEXTS.en!, greeting: 'Hi there! What can we do for you?' },
};

describe('config defaults (stored as entered, applied when read)', () => {
  it('when a built-in text changes, then it reaches a group that did not override it and not one that did', () => {
    const raw = rawConfig();
    expect(raw.groups.length).to.be.greaterThan(1);
    const entered = {
      ...raw,
      groups: raw.groups.map((group, i) =>
        i === 0
          ? { ...group, texts: {} }
          : i === 1
            ? { ...group, texts: { en: { greeting: 'Welcome to our own shop!' } } }
            : group,
      ),
    };
    const result = validateRoutingConfig(entered);
    expect(result.ok, JSON.stringify(!result.ok && result.errors)).to.equal(true);
    if (!result.ok) return;
    // What the engine stores is `entered`; reading it in a later release applies that release's texts.
    const later = withDefaults(
      {
        locales: ['en'],
        groups: [{ texts: {} }, { texts: { en: { greeting: 'Welcome to our own shop!' } } }],
      },
      changedDefaults,
    );
    expect(later.groups[0]!.texts.en!.greeting).to.equal('Hi there! What can we do for you?');
    expect(later.groups[1]!.texts.en!.greeting).to.equal('Welcome to our own shop!');
    // Validation applies today's texts the same way.
    expect(result.config.groups[0]!.texts.en!.greeting).to.equal(DEFAULT_TEXTS.en!.greeting);
    expect(result.config.groups[1]!.texts.en!.greeting).to.equal('Welcome to our own shop!');
  });

  it('when an editor sends back the filled texts, then those equal to the built-in ones are not stored as overrides', () => {
    const raw = rawConfig();
    const group = raw.groups[0]!;
    const stored = withoutDefaultTexts({
      ...raw,
      groups: [{ ...group, texts: { en: { ...DEFAULT_TEXTS.en!, closed: 'Bye from us.' } } }],
    }) as { groups: { texts: Record<string, Record<string, string>> }[] };
    expect(stored.groups[0]!.texts.en).to.deep.equal({ closed: 'Bye from us.' });
    expect(withoutDefaultTexts('not a config')).to.equal('not a config');
  });
});
