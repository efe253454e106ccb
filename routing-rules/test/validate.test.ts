import { expect } from 'chai';
import { type ConfigError, validateRoutingConfig } from '../src/index';
import { rawConfig, setThen } from './support/fixtures';

type Raw = ReturnType<typeof rawConfig>;

function errorsOf(edit: (raw: Raw) => void): ConfigError[] {
  const raw = rawConfig();
  edit(raw);
  const result = validateRoutingConfig(raw);
  expect(result.ok, 'expected the config to be invalid').to.equal(false);
  return result.ok ? [] : result.errors;
}

function expectError(edit: (raw: Raw) => void, path: string, message?: RegExp | string) {
  const errors = errorsOf(edit);
  const found = errors.find((e) => e.path === path);
  expect(found, `no error at ${path}; got ${JSON.stringify(errors)}`).to.not.equal(undefined);
  if (typeof message === 'string') expect(found!.message).to.equal(message);
  else if (message) expect(found!.message).to.match(message);
}

const group = (raw: Raw, i: number) => raw.groups[i]!;

describe('validateRoutingConfig', () => {
  it('when the config is valid, then it returns it with defaults filled', () => {
    const result = validateRoutingConfig(rawConfig());
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    const sales = result.config.groups[0]!;
    expect(sales.limits.default).to.equal(3);
    expect(sales.strategy).to.equal('least-loaded');
    expect(sales.thresholds.unansweredSeconds).to.equal(30);
    expect(sales.thresholds.offlineReplyDelaySeconds).to.equal(3);
    expect(sales.thresholds.unansweredRepeat).to.equal(false);
    expect(sales.offerMode).to.deep.equal({ enabled: false, timeoutSeconds: 20 });
    expect(sales.texts.en!.offlineReply).to.be.a('string');
    expect(sales.texts.ru!.queuePosition).to.contain('{position}');
    expect(sales.voice).to.deep.equal({ name: 'Sales', as: 'team' });
  });

  it('when the input is not an object, then it reports an error instead of throwing', () => {
    for (const input of [null, 42, 'x', []]) {
      const result = validateRoutingConfig(input);
      expect(result.ok).to.equal(false);
    }
  });

  it('when a group limit is below 1, then the path points at limits.default', () => {
    expectError(
      (raw) => Object.assign(group(raw, 2), { limits: { default: 0 } }),
      'groups[2].limits.default',
      'must be >= 1',
    );
  });

  it('when an operator personal limit is below 1, then the path points at it', () => {
    expectError(
      (raw) => Object.assign(raw.operators[0]!, { limit: 0 }),
      'operators[0].limit',
      'must be >= 1',
    );
  });

  it('when a required field is missing, then it says is required', () => {
    expectError((raw) => delete group(raw, 1).name, 'groups[1].name', 'is required');
  });

  it('when a field has the wrong type, then it names the expected type', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { takesCalls: 'yes' }),
      'groups[0].takesCalls',
      'must be a boolean',
    );
  });

  it('when an enum value is unknown, then it lists the allowed values', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { strategy: 'random' }),
      'groups[0].strategy',
      'must be one of: least-loaded, round-robin, longest-idle',
    );
  });

  it('when a key is misspelled, then it is reported as an unknown key', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { workinghours: {} }),
      'groups[0].workinghours',
      'unknown key',
    );
  });

  it('when a rule points at an unknown group, then the path is rules[i].then.groupId', () => {
    expectError(
      (raw) => setThen(raw.rules[0]!, { groupId: 'nope' }),
      'rules[0].then.groupId',
      'unknown group "nope"',
    );
  });

  it('when a rule choice names an unknown topic, then the path is rules[i].when.choice.topicId', () => {
    expectError(
      (raw) => Object.assign(raw.rules[0]!, { when: { choice: { topicId: 'ghost' } } }),
      'rules[0].when.choice.topicId',
      'unknown topic "ghost"',
    );
  });

  it('when a rule region condition names an unknown region, then the path is rules[i].when.region[j]', () => {
    expectError(
      (raw) => Object.assign(raw.rules[0]!, { when: { region: ['moscow', 'kazan'] } }),
      'rules[0].when.region[1]',
      'unknown region "kazan"',
    );
  });

  it('when a bot leaf targets an unknown region, then the path follows the bot tree', () => {
    expectError(
      (raw) => {
        const root = (
          raw.sites[0]!.entryMenu as { root: { buttons: { next?: { buttons: { target: object }[] } }[] } }
        ).root;
        root.buttons[1]!.next!.buttons[0]!.target = { regionId: 'mars' };
      },
      'sites[0].entryMenu.root.buttons[1].next.buttons[0].target.regionId',
      'unknown region "mars"',
    );
  });

  it('when a choice menu option targets an unknown group, then the path is the option target', () => {
    expectError(
      (raw) => {
        raw.sites[0]!.entryMenu = { kind: 'choice', options: [{ label: 'x', target: { groupId: 'nope' } }] };
      },
      'sites[0].entryMenu.options[0].target.groupId',
      'unknown group "nope"',
    );
  });

  it('when a topic maps to an unknown group, then the path is topics[i].groupId', () => {
    expectError(
      (raw) => Object.assign(raw.topics[0]!, { groupId: 'nope' }),
      'topics[0].groupId',
      'unknown group "nope"',
    );
  });

  it('when a region maps to an unknown group, then the path is regions[i].groupId', () => {
    expectError(
      (raw) => Object.assign(raw.regions[0]!, { groupId: 'nope' }),
      'regions[0].groupId',
      'unknown group "nope"',
    );
  });

  it('when an operator belongs to an unknown group, then the path is operators[i].groups[j].groupId', () => {
    expectError(
      (raw) => (raw.operators[0]!.groups as object[]).push({ groupId: 'nope', tier: 'secondary' }),
      'operators[0].groups[1].groupId',
      'unknown group "nope"',
    );
  });

  it('when an operator has an unknown skill topic, then the path is the skill', () => {
    expectError(
      (raw) => Object.assign(raw.operators[0]!, { skills: { topics: ['returns', 'ghost'] } }),
      'operators[0].skills.topics[1]',
      'unknown topic "ghost"',
    );
  });

  it('when the fallback group is unknown, then the path is groups[i].fallbackGroupId', () => {
    expectError(
      (raw) => Object.assign(group(raw, 2), { fallbackGroupId: 'nope' }),
      'groups[2].fallbackGroupId',
      'unknown group "nope"',
    );
  });

  it('when the default route group is unknown, then the path is defaultRoute.groupId', () => {
    expectError(
      (raw) => Object.assign(raw, { defaultRoute: { groupId: 'nope' } }),
      'defaultRoute.groupId',
      'unknown group "nope"',
    );
  });

  it('when two groups share an id, then the later one is reported', () => {
    expectError(
      (raw) => Object.assign(group(raw, 2), { id: 'sales' }),
      'groups[2].id',
      'duplicate id "sales" (also groups[0])',
    );
  });

  it('when two operator profiles share an e-mail in different case, then the later one is reported', () => {
    expectError(
      (raw) => raw.operators.push({ operatorEmail: 'Anna@Example.com', groups: [] }),
      'operators[1].operatorEmail',
      /duplicate id/,
    );
  });

  it('when fallbacks form a cycle, then it is reported once with the chain', () => {
    const errors = errorsOf((raw) => Object.assign(group(raw, 1), { fallbackGroupId: 'sales' }));
    const cycles = errors.filter((e) => e.message.startsWith('fallback cycle'));
    expect(cycles).to.deep.equal([
      { path: 'groups[0].fallbackGroupId', message: 'fallback cycle: sales → support → sales' },
    ]);
  });

  it('when a group falls back to itself, then it is a cycle', () => {
    expectError(
      (raw) => Object.assign(group(raw, 2), { fallbackGroupId: 'night' }),
      'groups[2].fallbackGroupId',
      /fallback cycle/,
    );
  });

  it('when a bot node has no buttons, then it is an empty menu leaf', () => {
    expectError(
      (raw) => {
        const root = (raw.sites[0]!.entryMenu as { root: { buttons: { next?: { buttons: unknown[] } }[] } })
          .root;
        root.buttons[1]!.next!.buttons = [];
      },
      'sites[0].entryMenu.root.buttons[1].next.buttons',
      /at least one button/,
    );
  });

  it('when a bot button has neither next nor target, then it is a dead end', () => {
    expectError(
      (raw) => {
        const root = (raw.sites[0]!.entryMenu as { root: { buttons: object[] } }).root;
        root.buttons[0] = { label: 'Nowhere' };
      },
      'sites[0].entryMenu.root.buttons[0]',
      /next or target/,
    );
  });

  it('when the entry menu kind is unknown, then the path is entryMenu.kind', () => {
    expectError(
      (raw) => Object.assign(raw.sites[0]!, { entryMenu: { kind: 'form' } }),
      'sites[0].entryMenu.kind',
    );
  });

  it('when a working-hours time is malformed, then the path points at the time', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { workingHours: { mon: [{ from: '25:00', to: '26:00' }] } }),
      'groups[0].workingHours.mon[0].from',
      /HH:MM/,
    );
  });

  it('when a working-hours range has from >= to, then it is reported on the range', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { workingHours: { tue: [{ from: '18:00', to: '09:00' }] } }),
      'groups[0].workingHours.tue[0]',
      /from must be before to/,
    );
  });

  it('when working-hours ranges overlap, then the later range is reported', () => {
    expectError(
      (raw) =>
        Object.assign(group(raw, 0), {
          workingHours: {
            wed: [
              { from: '09:00', to: '13:00' },
              { from: '12:00', to: '18:00' },
            ],
          },
        }),
      'groups[0].workingHours.wed[1]',
      'overlaps range [0]',
    );
  });

  it('when the time zone is unknown, then the path is groups[i].timeZone', () => {
    expectError(
      (raw) => Object.assign(group(raw, 1), { timeZone: 'Mars/Olympus' }),
      'groups[1].timeZone',
      /IANA time zone/,
    );
  });

  it('when a holiday is not a real date, then the path is the holiday', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { holidays: ['2026-01-01', '2026-02-30'] }),
      'groups[0].holidays[1]',
      'must be a date YYYY-MM-DD',
    );
  });

  it('when a text uses an unknown variable, then the path is the text and the message lists allowed ones', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { texts: { en: { offlineReply: 'Hi {foo}' } } }),
      'groups[0].texts.en.offlineReply',
      'unknown variable {foo} (allowed: {visitorName}, {groupName})',
    );
  });

  it('when a text uses a variable known elsewhere but not allowed for it, then it is an error', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { texts: { en: { offlineReply: 'You are {position}' } } }),
      'groups[0].texts.en.offlineReply',
      /unknown variable \{position\}/,
    );
  });

  it('when a declared locale has no built-in texts and the group gives none, then each missing text is reported', () => {
    const errors = errorsOf((raw) => Object.assign(raw, { locales: ['en', 'ru', 'de'] }));
    expect(errors.map((e) => e.path)).to.include('groups[0].texts.de.offlineReply');
    expect(errors.find((e) => e.path === 'groups[0].texts.de.greeting')?.message).to.equal(
      'missing text for declared locale "de" (no built-in default)',
    );
  });

  it('when a declared locale has built-in texts, then missing group texts are filled, not errors', () => {
    const raw = rawConfig();
    Object.assign(raw.groups[0]!, { texts: { ru: { greeting: 'Привет' } } });
    const result = validateRoutingConfig(raw);
    expect(result.ok).to.equal(true);
    if (result.ok) {
      expect(result.config.groups[0]!.texts.ru!.greeting).to.equal('Привет');
      expect(result.config.groups[0]!.texts.ru!.closed).to.contain('Диалог');
      expect(result.config.groups[0]!.texts.en!.greeting).to.equal('Hello! How can we help?');
    }
  });

  it('when texts are given for an undeclared locale, then it is reported', () => {
    expectError(
      (raw) => Object.assign(group(raw, 0), { texts: { fr: { greeting: 'Bonjour' } } }),
      'groups[0].texts.fr',
      'locale "fr" is not declared in locales',
    );
  });

  it('when defaultLocale is not in locales, then it is reported', () => {
    expectError(
      (raw) => Object.assign(raw, { defaultLocale: 'de' }),
      'defaultLocale',
      /must be one of the locales/,
    );
  });

  it('when a rule priority is out of 0..9, then the path is rules[i].then.priority', () => {
    expectError(
      (raw) => setThen(raw.rules[0]!, { groupId: 'sales', priority: 12 }),
      'rules[0].then.priority',
      'must be <= 9',
    );
  });

  it('when a rule pageUrl regex does not compile, then it is reported', () => {
    expectError(
      (raw) => Object.assign(raw.rules[0]!, { when: { pageUrl: 're:(' } }),
      'rules[0].when.pageUrl',
      /regular expression/,
    );
  });

  it('when an id is not a slug, then it is reported', () => {
    expectError((raw) => Object.assign(group(raw, 2), { id: 'Night Shift' }), 'groups[2].id', /slug/);
  });

  it('when there are several errors, then all are reported at once (shape and references together)', () => {
    const errors = errorsOf((raw) => {
      Object.assign(group(raw, 0), { limits: { default: 0 } });
      Object.assign(group(raw, 1), { timeZone: 'Nowhere/City' });
      setThen(raw.rules[0]!, { groupId: 'ghost' });
    });
    expect(errors.map((e) => e.path)).to.include.members([
      'groups[0].limits.default',
      'groups[1].timeZone',
      'rules[0].then.groupId',
    ]);
  });
});
