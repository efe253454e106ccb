/**
 * The chat log: the visitor's menu choice, messages with author, time and delivery state, then the
 * queue line and inline cards. The queue line is the one place for the position and wait: the
 * engine's own "you are number N" auto-message is not repeated above it.
 */
import type { QueuePositionView } from '@hotline/protocol';
import { localized } from '../site-config';
import { type ChatMessage, isDialogOpen } from '../store';
import { contactCard } from './contact-card';
import type { Ctx, View } from './context';
import { endedCard } from './ended-card';
import { h, ICONS, icon, initials } from './dom';
import { attachmentList, bodyText } from './message-body';
import { ETA_TICK_MS, queueText } from './queue-line';

export function messageList(ctx: Ctx): View & { scrollToBottom(): void; destroy(): void } {
  const { t } = ctx;
  const log = h('div', {
    class: 'log',
    role: 'log',
    'aria-live': 'polite',
    'aria-relevant': 'additions',
    'aria-label': t('messagesLabel'),
  });
  const queueLine = h('div', { class: 'queue', role: 'status', hidden: true });
  const contact = contactCard(ctx);
  const ended = endedCard(ctx);
  const tail = h('div', {}, queueLine, contact.el, ended.el);
  tail.style.display = 'contents';
  // The menu choice, as the visitor's first words in the chat.
  const choice = h(
    'div',
    { class: 'msg choice-echo', hidden: true },
    h('div', { class: 'bubble' }, h('div', { class: 'text' })),
  );
  log.append(choice, tail);
  let queueSeen: { queue: QueuePositionView; at: number } | null = null;
  let tick: ReturnType<typeof setInterval> | undefined;
  const rendered = new Map<string, { message: ChatMessage; el: HTMLElement }>();

  const time = (iso: string) => {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? ''
      : date.toLocaleTimeString(ctx.store.get().locale, { hour: '2-digit', minute: '2-digit' });
  };

  const renderMessage = (m: ChatMessage): HTMLElement => {
    if (m.authorKind === 'system') return h('div', { class: 'system', 'data-key': m.key }, bodyText(m.body));
    const mine = m.authorKind === 'visitor';
    const classes = ['msg', mine ? 'mine' : m.authorKind, m.delivery === 'failed' ? 'failed' : ''].join(' ');
    const bot = m.authorKind === 'auto';
    // Automatic messages speak as the site's assistant, never as a person.
    const author = mine ? t('you') : bot ? assistantName() : (m.authorName ?? '');
    const meta = h('div', { class: 'meta' }, h('time', { datetime: m.createdAt }, time(m.createdAt)));
    if (mine && m.delivery === 'sending')
      meta.append(
        h('span', { class: 'delivery', 'data-state': 'sending', title: t('sending') }, '…'),
        h('span', { class: 'sr' }, t('sending')),
      );
    if (mine && m.delivery === 'sent')
      meta.append(
        h(
          'span',
          { class: 'delivery', 'data-state': 'sent', title: t('sent'), 'aria-label': t('sent') },
          '✓',
        ),
      );
    if (mine && m.delivery === 'failed') {
      meta.append(
        h('span', { class: 'delivery', 'data-state': 'failed' }, t('failed')),
        h(
          'button',
          { type: 'button', class: 'retry', onclick: () => ctx.connection.retry(m.clientMessageId ?? '') },
          t('retry'),
        ),
      );
    }
    const bubble = h(
      'div',
      { class: 'bubble' },
      // Read once: the hidden prefix below names the author for screen readers.
      !mine && author ? h('div', { class: 'author', 'aria-hidden': 'true' }, author) : null,
      m.body ? bodyText(m.body) : null,
      attachmentList(m.attachments, t),
      meta,
    );
    const avatar = mine
      ? null
      : bot
        ? h('span', { class: 'avatar bot', 'aria-hidden': 'true' }, icon(ICONS.bot, 18))
        : m.authorAvatarUrl
          ? avatarImage(m.authorAvatarUrl, m.authorName)
          : h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(m.authorName));
    return h(
      'div',
      { class: classes, 'data-key': m.key, 'data-author': m.authorKind },
      mine ? null : h('span', { class: 'sr' }, `${author}: `),
      avatar,
      bubble,
    );
  };

  const assistantName = () => {
    const { config, locale } = ctx.store.get();
    return t('assistantName', { site: localized(config.look.title, locale) || t('chatTitle') });
  };

  const update = () => {
    const state = ctx.store.get();
    choice.hidden = !state.choice;
    choice.querySelector('.text')!.textContent = state.choice ?? '';
    const scroller = log.parentElement;
    const nearBottom = !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    let grew = false;
    const keys = new Set(state.messages.map((m) => m.key));
    for (const [key, entry] of rendered) {
      if (!keys.has(key)) {
        entry.el.remove();
        rendered.delete(key);
      }
    }
    let previous: Element | null = null;
    for (const m of state.messages) {
      if (m.autoKind === 'queue-position') continue;
      let entry = rendered.get(m.key);
      if (!entry || entry.message !== m) {
        const el = renderMessage(m);
        if (entry) entry.el.replaceWith(el);
        else grew = true;
        entry = { message: m, el };
        rendered.set(m.key, entry);
      }
      const expectedNext: Element | null = previous ? previous.nextElementSibling : choice.nextElementSibling;
      if (expectedNext !== entry.el) log.insertBefore(entry.el, expectedNext);
      previous = entry.el;
    }
    const dialog = state.dialog;
    const queued =
      dialog?.state === 'queued' ||
      dialog?.state === 'created' ||
      dialog?.state === 'offered' ||
      state.starting;
    if (queued && isDialogOpen(dialog) && state.queue) {
      if (queueSeen?.queue !== state.queue) queueSeen = { queue: state.queue, at: Date.now() };
      queueLine.textContent = queueText(state.queue, Date.now() - queueSeen.at, t);
      queueLine.hidden = false;
      tick ??= setInterval(update, ETA_TICK_MS);
    } else if (queued && (state.starting || isDialogOpen(dialog))) {
      queueLine.textContent = t('waitingOperator');
      queueLine.hidden = false;
    } else {
      queueLine.hidden = true;
    }
    if (queueLine.hidden) {
      clearInterval(tick);
      tick = undefined;
    }
    contact.update();
    ended.update();
    if (scroller && (grew || nearBottom)) scroller.scrollTop = scroller.scrollHeight;
  };

  return {
    el: log,
    update,
    scrollToBottom() {
      const scroller = log.parentElement;
      if (scroller) scroller.scrollTop = scroller.scrollHeight;
    },
    destroy: () => clearInterval(tick),
  };
}

/** The operator's picture, falling back to initials when it does not load. */
function avatarImage(url: string, name: string | null): HTMLElement {
  const img = h('img', { class: 'avatar', src: url, alt: '' });
  img.addEventListener(
    'error',
    () => img.replaceWith(h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name))),
    { once: true },
  );
  return img;
}
