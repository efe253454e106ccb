/**
 * Mounts the widget into its shadow root: launcher, greeting bubble and the chat panel (a dialog with
 * header, connection banner, menu / chat / call-back views, typing line and composer). Each part
 * re-renders from the store when its slice of state changes.
 */
import { isDialogOpen, type WidgetState } from '../store';
import { localized } from '../site-config';
import { styles } from '../styles';
import { callbackForm } from './callback-form';
import { composer } from './composer';
import type { Ctx } from './context';
import { h, ICONS, icon } from './dom';
import { menuView } from './menu';
import { messageList } from './message-list';

export interface Mounted {
  destroy(): void;
  focusLauncher(): void;
  focusPanel(): void;
}

/**
 * The widget's stylesheet in its shadow root: a constructed stylesheet where the browser has them, as
 * a Content-Security-Policy without 'unsafe-inline' in style-src (a strict customer page, our demo)
 * blocks a <style> element but not a constructed sheet; else a <style> element.
 */
function adoptStyles(shadow: ShadowRoot): () => void {
  if (
    'adoptedStyleSheets' in shadow &&
    typeof CSSStyleSheet !== 'undefined' &&
    'replaceSync' in CSSStyleSheet.prototype
  ) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(styles);
    shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];
    return () => {
      shadow.adoptedStyleSheets = shadow.adoptedStyleSheets.filter((s) => s !== sheet);
    };
  }
  const style = h('style', {}, styles);
  shadow.append(style);
  return () => style.remove();
}

export function mountApp(shadow: ShadowRoot, ctx: Ctx): Mounted {
  const { t, store } = ctx;
  const removeStyles = adoptStyles(shadow);

  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = h('button', {
    type: 'button',
    class: 'launcher',
    'aria-controls': 'hl-panel',
    'aria-expanded': 'false',
  });
  launcher.addEventListener('click', () => (store.get().open ? ctx.close() : ctx.open()));

  const greetingText = h('button', { type: 'button', class: 'greeting-text', onclick: () => ctx.open() });
  const greeting = h(
    'div',
    { class: 'greeting', role: 'status', hidden: true },
    greetingText,
    h(
      'button',
      {
        type: 'button',
        class: 'icon-btn',
        'aria-label': t('greetingClose'),
        onclick: () => store.update({ greetingVisible: false }),
      },
      icon(ICONS.close, 16),
    ),
  );

  const logo = h('img', { class: 'logo', alt: '', hidden: true });
  // A logo that does not load is left out rather than shown broken.
  logo.addEventListener('error', () => {
    logo.hidden = true;
  });
  const title = h('h2', { class: 'title', id: 'hl-title' });
  const subtitle = h('p', { class: 'subtitle', 'aria-live': 'polite' });
  const endButton = h(
    'button',
    { type: 'button', class: 'end-btn', hidden: true, onclick: () => void ctx.connection.close() },
    t('endChat'),
  );
  const closeButton = h(
    'button',
    { type: 'button', class: 'icon-btn close', 'aria-label': t('closeChat'), onclick: () => ctx.close() },
    icon(ICONS.close, 22),
  );
  // Not a <header>: inside the page it would be a second banner landmark.
  const header = h(
    'div',
    { class: 'header' },
    logo,
    h('div', { class: 'titles' }, title, subtitle),
    endButton,
    closeButton,
  );
  const banner = h('div', { class: 'banner', role: 'status', hidden: true });

  const menu = menuView(ctx);
  const log = messageList(ctx);
  const callback = callbackForm(ctx);
  const blockedNote = h('p', { class: 'blocked', role: 'status', hidden: true }, t('blocked'));
  const body = h('div', { class: 'body' }, menu.el, log.el, callback.el, blockedNote);
  const typing = h('div', { class: 'typing', 'aria-live': 'polite' });
  const input = composer(ctx);
  const panel = h(
    'section',
    {
      class: 'panel',
      id: 'hl-panel',
      role: 'dialog',
      'aria-modal': 'false',
      'aria-labelledby': 'hl-title',
      hidden: true,
    },
    header,
    banner,
    body,
    typing,
    input.el,
  );
  // The whole panel takes dropped files (the composer ignores them without an open dialog).
  panel.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    panel.classList.add('dropping');
  });
  panel.addEventListener('dragleave', (event) => {
    if (!panel.contains(event.relatedTarget as Node | null)) panel.classList.remove('dropping');
  });
  panel.addEventListener('drop', (event) => {
    panel.classList.remove('dropping');
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    input.addFiles(event.dataTransfer.files);
  });
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      ctx.close();
      launcher.focus();
    }
  });

  // Stay at the latest message while the layout changes under it (the composer appears after a
  // reload, a picture loads, the phone's keyboard opens), unless the visitor scrolled up to read.
  let atBottom = true;
  body.addEventListener('scroll', () => {
    atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 80;
  });
  const resizes =
    typeof ResizeObserver === 'undefined'
      ? null
      : new ResizeObserver(() => {
          if (atBottom) log.scrollToBottom();
        });
  resizes?.observe(body);
  resizes?.observe(log.el);

  const root = h('div', { class: 'root' }, greeting, panel, launcher);
  shadow.append(root);

  const render = (state: WidgetState, previous: WidgetState | null) => {
    const changed = <K extends keyof WidgetState>(...keys: K[]) =>
      !previous || keys.some((k) => state[k] !== previous[k]);
    if (changed('config', 'locale')) {
      const { look } = state.config;
      root.className = `root ${look.position}${state.open ? ' is-open' : ''}`;
      root.style.setProperty('--hl-primary', look.primaryColor);
      root.style.setProperty('--hl-on-primary', look.textColor);
      title.textContent = localized(look.title, state.locale) || t('chatTitle');
      logo.hidden = !look.logoUrl;
      if (look.logoUrl) logo.src = look.logoUrl;
      // "We are online" only when someone can answer: else the greeting says what will happen.
      greetingText.textContent =
        state.config.available === false ? t('greetingOffline') : localized(look.greeting, state.locale);
    }
    if (changed('open', 'unread', 'blocked')) {
      panel.hidden = !state.open;
      // A reload (or reopening) shows the latest messages, as a hidden log cannot be scrolled.
      if (state.open && !previous?.open) log.scrollToBottom();
      root.classList.toggle('is-open', state.open);
      launcher.setAttribute('aria-expanded', String(state.open));
      launcher.setAttribute(
        'aria-label',
        state.open ? t('closeChat') : state.blocked ? t('blocked') : t('openChat'),
      );
      launcher.title = state.blocked && !state.open ? t('blocked') : '';
      launcher.replaceChildren(icon(state.open ? ICONS.close : ICONS.chat, 28), badge);
      badge.hidden = state.open || state.unread === 0;
      badge.textContent = String(state.unread);
    }
    if (changed('greetingVisible', 'open', 'config'))
      greeting.hidden = !state.greetingVisible || state.open || !state.config.look.greeting;
    if (changed('config', 'botPath', 'view', 'locale')) menu.update();
    if (changed('view', 'blocked')) {
      // Blocked: one clear sentence instead of controls that could only fail.
      menu.el.hidden = state.blocked || state.view !== 'menu';
      log.el.hidden = state.blocked || state.view !== 'chat';
      callback.el.hidden = state.blocked || (state.view !== 'callback' && state.view !== 'callback-done');
      blockedNote.hidden = !state.blocked;
    }
    if (changed('view', 'callbackPhone')) callback.update();
    if (changed('messages', 'dialog', 'queue', 'starting', 'rated', 'locale', 'choice')) log.update();
    if (changed('dialog', 'view', 'connection', 'starting', 'blocked', 'rateLimitedUntil')) {
      const chat = state.view === 'chat' && !state.blocked;
      const open = isDialogOpen(state.dialog) || state.starting;
      endButton.hidden = !chat || !isDialogOpen(state.dialog);
      input.el.hidden = !chat || !(open || state.dialog === null);
      input.update();
      // After a menu choice the pressed button is gone: typing goes on in the message box.
      if (previous?.view === 'menu' && state.view === 'chat' && state.open && !input.el.hidden) input.focus();
      subtitle.textContent =
        state.dialog?.operatorName && open && !state.blocked ? state.dialog.operatorName : '';
      subtitle.hidden = !subtitle.textContent;
      const wait =
        state.rateLimitedUntil === null
          ? 0
          : Math.max(1, Math.ceil((state.rateLimitedUntil - Date.now()) / 1000));
      const status = state.blocked
        ? ''
        : wait > 0
          ? t('rateLimited', { s: wait })
          : state.connection === 'reconnecting'
            ? t('reconnecting')
            : state.connection === 'connecting' && chat
              ? t('connecting')
              : '';
      banner.textContent = status;
      banner.hidden = !status;
    }
    if (changed('operatorTyping', 'dialog')) {
      const name = state.dialog?.operatorName;
      typing.textContent = state.operatorTyping
        ? name
          ? t('operatorTyping', { name })
          : t('someoneTyping')
        : '';
    }
  };
  render(store.get(), null);
  const unsubscribe = store.subscribe((state, previous) => render(state, previous));

  return {
    destroy() {
      unsubscribe();
      resizes?.disconnect();
      log.destroy();
      root.remove();
      removeStyles();
    },
    focusLauncher: () => launcher.focus(),
    focusPanel() {
      const { view } = store.get();
      const target =
        view === 'chat' && !input.el.hidden
          ? input.el.querySelector('textarea')
          : store.get().blocked
            ? closeButton
            : (body.querySelector<HTMLElement>('.menu .choice, .callback-form input, .ended-card button') ??
              closeButton);
      target?.focus();
    },
  };
}
