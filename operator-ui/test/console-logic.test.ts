import type { MessageView } from '@hotline/protocol';
import { expect } from 'chai';
import { assignCandidates } from '../src/lib/assign-candidates';
import { errorAt, mapErrorDetails, normalizePath, partIndex } from '../src/lib/error-paths';
import { hotkeyFor, stepThrough } from '../src/lib/hotkeys';
import { mergeMessages } from '../src/lib/messages';
import { insertReply, type QuickReply, searchQuickReplies, slashQueryAt } from '../src/lib/quick-replies';
import { renderTemplate } from '../src/lib/routing-config';
import {
  removedNotice,
  rerouteCountdown,
  sortByUrgency,
  urgencyLevel,
  waitingSeconds,
} from '../src/lib/urgency';
import { describeUserAgent, parseUserAgent } from '../src/lib/user-agent';

const NOW = Date.parse('2026-03-02T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const dialog = (
  id: string,
  waitingFor: number | null,
  extra: { groupId?: string; priority?: number } = {},
) => ({
  dialog: {
    id,
    state: 'active' as const,
    waitingSince: waitingFor === null ? null : ago(waitingFor),
    createdAt: ago(600),
    priority: extra.priority ?? 0,
    groupId: extra.groupId ?? 'sales',
    lastMessage: null,
  },
});

const message = (id: string, seq: number, extra: Partial<MessageView> = {}): MessageView => ({
  id,
  dialogId: 'd1',
  seq,
  authorKind: 'operator',
  authorName: 'Anna',
  authorAvatarUrl: null,
  operatorId: 'o1',
  autoKind: null,
  clientMessageId: null,
  body: `m${seq}`,
  createdAt: ago(100 - seq),
  ...extra,
});

describe('console logic', () => {
  describe('supervisor assign', () => {
    const op = (operatorId: string, status: 'online' | 'away' | 'offline', load: number, limit: number) => ({
      operatorId,
      name: operatorId,
      status,
      load,
      limit,
    });
    const stats = [
      {
        groupId: 'sales',
        name: 'Sales',
        waiting: 1,
        longestWaitSeconds: 5,
        inProgress: 3,
        operators: [op('anna', 'online', 2, 2), op('boris', 'online', 1, 4), op('away', 'away', 0, 3)],
      },
      {
        groupId: 'support',
        name: 'Support',
        waiting: 0,
        longestWaitSeconds: 0,
        inProgress: 1,
        operators: [op('anna', 'online', 2, 2), op('carl', 'online', 0, 3), op('dina', 'offline', 0, 3)],
      },
    ];

    it('when a queued dialog is to be assigned, then only online operators with room are offered, each once, its group first', () => {
      expect(assignCandidates(stats, 'sales').map((c) => [c.operatorId, c.inGroup])).to.deep.equal([
        ['boris', true],
        ['carl', false],
      ]);
      expect(assignCandidates(stats, 'support').map((c) => c.operatorId)).to.deep.equal(['carl', 'boris']);
      expect(assignCandidates([], 'sales')).to.deep.equal([]);
    });
  });

  describe('reroute countdown and notices', () => {
    it('when a dialog will be taken on silence, then the countdown shows the seconds left and warns in the last ten', () => {
      const at = (s: number) => new Date(NOW + s * 1000).toISOString();
      expect(rerouteCountdown(null, NOW)).to.equal(null);
      expect(rerouteCountdown('garbage', NOW)).to.equal(null);
      expect(rerouteCountdown(at(25), NOW)).to.deep.equal({ secondsLeft: 25, level: 'calm' });
      expect(rerouteCountdown(at(10), NOW)).to.deep.equal({ secondsLeft: 10, level: 'warn' });
      expect(rerouteCountdown(at(0.2), NOW)).to.deep.equal({ secondsLeft: 1, level: 'warn' });
      expect(rerouteCountdown(at(-3), NOW)).to.deep.equal({ secondsLeft: 0, level: 'warn' });
    });

    it('when a dialog leaves the list, then the notice names the visitor and says why in words', () => {
      expect(removedNotice('Maria', 'threshold')).to.equal(
        "Maria's dialog went to another operator: the visitor waited too long for a reply.",
      );
      expect(removedNotice('Maria', 'close')).to.equal("Maria's dialog was closed.");
      expect(removedNotice('Visitor 1a2b', 'operators_gone')).to.equal(
        "Visitor 1a2b's dialog left your list (operators gone).",
      );
    });
  });

  describe('urgency', () => {
    it('when a visitor waits, then the wait counts from waitingSince and is 0 when answered', () => {
      expect(waitingSeconds(ago(42), NOW)).to.equal(42);
      expect(waitingSeconds(null, NOW)).to.equal(0);
      expect(waitingSeconds('garbage', NOW)).to.equal(0);
    });

    it('when the wait nears the threshold, then it turns warn at 60 % and late at 100 %', () => {
      expect(urgencyLevel(10, 30, true)).to.equal('calm');
      expect(urgencyLevel(18, 30, true)).to.equal('warn');
      expect(urgencyLevel(30, 30, true)).to.equal('late');
      expect(urgencyLevel(300, 30, false)).to.equal('none');
      expect(urgencyLevel(29, 0, true)).to.equal('warn', 'a missing threshold falls back to 30 s');
    });

    it('when sorting, then offers come first, then the largest share of the group threshold, then the answered', () => {
      const thresholds: Record<string, number> = { sales: 30, support: 120 };
      const items = [
        dialog('answered', null),
        dialog('support-40s', 40, { groupId: 'support' }),
        dialog('sales-25s', 25),
        { ...dialog('offer', null), offerExpiresAt: new Date(NOW + 10_000).toISOString() },
        dialog('sales-5s', 5),
      ];
      const order = sortByUrgency(items, NOW, (g) => thresholds[g ?? ''] ?? 30).map((i) => i.dialog.id);
      expect(order).to.deep.equal(['offer', 'sales-25s', 'support-40s', 'sales-5s', 'answered']);
    });

    it('when two dialogs used the same share, then the higher priority comes first', () => {
      const order = sortByUrgency([dialog('low', 10), dialog('high', 10, { priority: 5 })], NOW).map(
        (i) => i.dialog.id,
      );
      expect(order).to.deep.equal(['high', 'low']);
    });
  });

  describe('quick replies', () => {
    const replies: QuickReply[] = [
      {
        id: '1',
        scope: 'personal',
        groupId: null,
        shortcut: 'hello',
        title: 'Greeting',
        body: 'Hello {name}, how can I help?',
      },
      {
        id: '2',
        scope: 'group',
        groupId: 'delivery',
        shortcut: 'track',
        title: 'Tracking link',
        body: 'You can track your parcel here.',
      },
      {
        id: '3',
        scope: 'group',
        groupId: 'sales',
        shortcut: 'price',
        title: 'Price list',
        body: 'Prices are on the website.',
      },
      {
        id: '4',
        scope: 'group',
        groupId: 'sales',
        shortcut: 'hel',
        title: 'Help centre',
        body: 'See our help centre.',
      },
    ];

    it('when the query is an exact shortcut, then it comes first, then prefixes, titles and bodies', () => {
      expect(searchQuickReplies(replies, 'hel').map((r) => r.id)).to.deep.equal(['4', '1']);
      expect(searchQuickReplies(replies, 'parcel').map((r) => r.id)).to.deep.equal(['2']);
      expect(searchQuickReplies(replies, 'PRICE list').map((r) => r.id)).to.deep.equal(['3']);
    });

    it("when the dialog has a group, then other groups' replies are left out", () => {
      expect(searchQuickReplies(replies, '', 'sales').map((r) => r.id)).to.deep.equal(['3', '4', '1']);
    });

    it('when typing "/que" at the caret, then the slash query is found and replaced by the body', () => {
      const text = 'Sure! /hel';
      expect(slashQueryAt(text, text.length)).to.deep.equal({ start: 6, query: 'hel' });
      expect(slashQueryAt('a/b', 3)).to.equal(null, 'a slash inside a word is not a query');
      const result = insertReply(text, text.length, replies[0]!.body, { name: 'Maria' });
      expect(result.text).to.equal('Sure! Hello Maria, how can I help?');
      expect(result.caret).to.equal(result.text.length);
    });
  });

  describe('message merging', () => {
    it('when an echo of our message arrives, then the list shows it once', () => {
      const list = mergeMessages(
        [message('a', 1, { clientMessageId: 'c1' })],
        [message('a', 1, { clientMessageId: 'c1' }), message('b', 2)],
      );
      expect(list.map((m) => m.id)).to.deep.equal(['a', 'b']);
    });
  });

  describe('error paths', () => {
    it('when paths come in bracket, dotted or slash form, then they normalise to one form', () => {
      expect(normalizePath('groups[2].limits.default')).to.equal('groups.2.limits.default');
      expect(normalizePath('groups.2.limits.default')).to.equal('groups.2.limits.default');
      expect(normalizePath('groups[0].texts["pt-BR"].greeting')).to.equal('groups.0.texts.pt-BR.greeting');
      expect(normalizePath('/sites/1/look/primaryColor')).to.equal('sites.1.look.primaryColor');
    });

    it("when a per-part PUT fails, then the part's errors map to its fields and the rest go above the form", () => {
      const mapped = mapErrorDetails(
        [
          { path: 'groups[2].limits.default', message: 'must be >= 1' },
          { path: 'groups[2].workingHours.mon[0]', message: 'from must be before to' },
          { path: 'groups[2].limits.default', message: 'second message ignored' },
          { path: 'rules[0].then.groupId', message: 'unknown group' },
        ],
        'groups.2',
      );
      expect(mapped.fields).to.deep.equal({
        'limits.default': 'must be >= 1',
        'workingHours.mon.0': 'from must be before to',
      });
      expect(mapped.other).to.deep.equal([{ path: 'rules.0.then.groupId', message: 'unknown group' }]);
      expect(errorAt(mapped.fields, 'limits.default')).to.equal('must be >= 1');
      expect(errorAt(mapped.fields, 'workingHours')).to.equal('mon.0: from must be before to');
      expect(errorAt(mapped.fields, 'name')).to.equal(null);
    });

    it('when the part is new, then it lands at the end of its collection', () => {
      expect(partIndex([{ id: 'a' }, { id: 'b' }], (g) => g.id === 'b')).to.equal(1);
      expect(partIndex([{ id: 'a' }, { id: 'b' }], (g) => g.id === 'new')).to.equal(2);
    });
  });

  describe('user agent', () => {
    it('when Edge, Chrome, Firefox or Safari on various systems, then the card names them', () => {
      expect(
        describeUserAgent(
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
        ),
      ).to.equal('Chrome 126 on Windows');
      expect(
        describeUserAgent(
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56',
        ),
      ).to.equal('Edge 126 on Windows');
      expect(
        describeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'),
      ).to.equal('Firefox 128 on Linux');
      expect(
        describeUserAgent(
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
        ),
      ).to.equal('Safari 17 on iOS (mobile)');
      expect(
        parseUserAgent(
          'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
        ),
      ).to.deep.include({ browser: 'Samsung Internet', os: 'Android', mobile: true });
      expect(describeUserAgent(null)).to.equal('Unknown');
    });
  });

  describe('hotkeys and templates', () => {
    const key = (over: Partial<Parameters<typeof hotkeyFor>[0]>) =>
      hotkeyFor({
        key: '',
        code: '',
        altKey: false,
        ctrlKey: false,
        metaKey: false,
        shiftKey: false,
        typing: false,
        ...over,
      });

    it('when Alt chords are pressed, then they map by code (Mac Alt+T types †)', () => {
      expect(key({ altKey: true, key: '†', code: 'KeyT' })).to.deep.equal({ kind: 'transfer' });
      expect(key({ altKey: true, key: 'ç', code: 'KeyC', typing: true })).to.deep.equal({ kind: 'close' });
      expect(key({ altKey: true, key: '¡', code: 'Digit1' })).to.deep.equal({
        kind: 'quick-reply',
        index: 0,
      });
      expect(key({ altKey: true, key: 'ArrowDown', code: 'ArrowDown' })).to.deep.equal({
        kind: 'next-dialog',
      });
      expect(key({ key: '?', code: 'Slash', shiftKey: true })).to.deep.equal({ kind: 'help' });
      expect(key({ key: '?', code: 'Slash', shiftKey: true, typing: true })).to.equal(null);
      expect(stepThrough(['a', 'b', 'c'], 'c', 1)).to.equal('a');
      expect(stepThrough(['a', 'b', 'c'], null, -1)).to.equal('c');
    });

    it('when a template has an optional part, then it is dropped when its variable is empty', () => {
      const t = 'You are number {position}.[ About {etaMinutes} min.]';
      expect(renderTemplate(t, { position: '3', etaMinutes: '4' })).to.equal(
        'You are number 3. About 4 min.',
      );
      expect(renderTemplate(t, { position: '3' })).to.equal('You are number 3.');
    });

    it('when the preview leaves a name empty, then the punctuation around it is tidied as the engine does', () => {
      expect(renderTemplate('Hello, {visitorName}!', {})).to.equal('Hello!');
      expect(renderTemplate('Hello, {visitorName}!', { visitorName: 'Maria' })).to.equal('Hello, Maria!');
    });
  });
});
