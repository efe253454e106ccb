/** The chat log: messages with author, time and delivery state, then the queue line and inline cards. */
import { type ChatMessage, isDialogOpen } from '../store';
import { contactCard } from './contact-card';
import type { Ctx, View } from './context';
import { endedCard } from './ended-card';
import { h, initials } from './dom';
import { attachmentList, bodyText } from './message-body';

export function messageList(ctx: Ctx): View {
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
  log.appendChild(tail);
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
    const author = mine ? t('you') : (m.authorName ?? '');
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
      !mine && author ? h('div', { class: 'author' }, author) : null,
      m.body ? bodyText(m.body) : null,
      attachmentList(m.attachments, t),
      meta,
    );
    const avatar = mine
      ? null
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

  const update = () => {
    const state = ctx.store.get();
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
      let entry = rendered.get(m.key);
      if (!entry || entry.message !== m) {
        const el = renderMessage(m);
        if (entry) entry.el.replaceWith(el);
        else grew = true;
        entry = { message: m, el };
        rendered.set(m.key, entry);
      }
      const expectedNext: Element | null = previous ? previous.nextElementSibling : log.firstElementChild;
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
      const { position, eta } = state.queue;
      queueLine.textContent = !eta
        ? t('queuePosition', { n: position })
        : t(eta.qualifier === 'less-than' ? 'queueEtaLess' : 'queueEta', { n: position, m: eta.minutes });
      queueLine.hidden = false;
    } else if (queued && (state.starting || isDialogOpen(dialog))) {
      queueLine.textContent = t('waitingOperator');
      queueLine.hidden = false;
    } else {
      queueLine.hidden = true;
    }
    contact.update();
    ended.update();
    if (scroller && (grew || nearBottom)) scroller.scrollTop = scroller.scrollHeight;
  };

  return { el: log, update };
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
