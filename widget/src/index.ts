/**
 * The widget's entry: `<script src="…/widget.js" data-site="demo" async>` or
 * `window.Hotline.init({ siteId, server, locale, position })`. The launcher renders at once; the site
 * config loads in the background and the socket opens when the panel opens (or right after the config,
 * for a visitor who already has a token, so the dialog resumes and the page is reported).
 */
import { Connection } from './connection';
import { pickWidgetLocale, type Translate, translator } from './i18n';
import { browserStorage, type KeyValueStorage } from '@hotline/client/storage';
import { loadSiteConfig, normalizeConfig, type SiteWidgetConfig } from './site-config';
import { joinedOperator, Store, withJoinedNotice } from './store';
import { mountApp, type Mounted } from './ui/app';

export interface InitOptions {
  siteId: string;
  /** Engine origin; default: where widget.js was loaded from. */
  server?: string;
  locale?: string;
  position?: 'left' | 'right';
  /** Open the panel right away. */
  open?: boolean;
}

export interface HotlineApi {
  init(options: InitOptions): void;
  open(): void;
  close(): void;
  destroy(): void;
  version: string;
}

declare global {
  interface Window {
    Hotline?: HotlineApi;
  }
}

const VERSION = '0.1.0';

interface Instance {
  mounted: Mounted;
  ctx: { open(): void; close(): void };
  host: HTMLElement;
  store: Store;
  connection: Connection;
  cleanup: (() => void)[];
}

let instance: Instance | null = null;

function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

function currentPage(): { url: string; title?: string; referrer?: string } {
  return {
    url: clip(location.href, 2048),
    ...(document.title ? { title: clip(document.title, 512) } : {}),
    ...(document.referrer ? { referrer: clip(document.referrer, 2048) } : {}),
  };
}

function init(options: InitOptions): void {
  if (instance) destroy();
  if (!options.siteId) throw new Error('Hotline.init: siteId is required');
  const siteId = options.siteId;
  const server = (options.server ?? scriptOrigin() ?? location.origin).replace(/\/+$/, '');
  const storage: KeyValueStorage = browserStorage();
  const openKey = `hotline:${siteId}:open`;
  const browserLanguages = navigator.languages?.length ? navigator.languages : [navigator.language];

  const initialConfig = normalizeConfig(siteId, {
    look: options.position ? { position: options.position } : {},
  });
  const locale = pickWidgetLocale({ explicit: options.locale, browser: browserLanguages });
  let translate: Translate = translator(locale);
  const t: Translate = (key, vars) => translate(key, vars);

  const store = new Store({
    open: false,
    greetingVisible: false,
    view: 'menu',
    config: initialConfig,
    locale,
    connection: 'idle',
    dialog: null,
    messages: [],
    queue: null,
    operatorTyping: false,
    botPath: [],
    starting: false,
    unread: 0,
    rated: false,
    callbackPhone: null,
    blocked: false,
    rateLimitedUntil: null,
    choice: null,
  });
  // "Carl joined the chat" from the dialog's own state pushes (assignment, transfer): no extra event.
  store.subscribe((state, previous) => {
    const name = joinedOperator(previous, state);
    if (!name || !state.dialog) return;
    const { id } = state.dialog;
    store.update((s) => ({ messages: withJoinedNotice(s.messages, id, t('operatorJoined', { name })) }));
  });
  const connection = new Connection({
    server,
    siteId,
    storage,
    store,
    page: currentPage,
    language: () => navigator.language || undefined,
  });

  const host = document.createElement('hotline-widget');
  host.setAttribute('data-site', siteId);
  const shadow = host.attachShadow({ mode: 'open' });
  const remember = (open: boolean) => {
    try {
      if (open) storage.setItem(openKey, '1');
      else storage.removeItem(openKey);
    } catch {
      // not remembered across pages, that is all
    }
  };
  const ctx = {
    store,
    connection,
    t,
    open() {
      store.update({ open: true, unread: 0, greetingVisible: false });
      remember(true);
      connection.connect();
      mounted.focusPanel();
    },
    close() {
      store.update({ open: false });
      remember(false);
    },
  };
  let mounted = mountApp(shadow, ctx);
  const cleanup: (() => void)[] = [];
  instance = { mounted, ctx, host, store, connection, cleanup };

  const attach = () => document.body.appendChild(host);
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach, { once: true });

  let wasOpen = false;
  try {
    wasOpen = storage.getItem(openKey) === '1';
  } catch {
    wasOpen = false;
  }
  if (options.open || (wasOpen && connection.token)) ctx.open();

  const applyConfig = (config: SiteWidgetConfig) => {
    if (options.position) config.look.position = options.position;
    const chosen = pickWidgetLocale({
      explicit: options.locale,
      browser: browserLanguages,
      siteDefault: config.locale,
      siteLocales: config.locales,
    });
    translate = translator(chosen, config.texts);
    // Strings are baked into the views: rebuild them for the final locale (state lives in the store).
    mounted.destroy();
    mounted = mountApp(shadow, ctx);
    if (instance) instance.mounted = mounted;
    store.update({ config, locale: chosen });
    if (store.get().open) mounted.focusPanel();
    const { greeting, greetingDelaySeconds } = config.look;
    if (greeting && !store.get().open && !sessionFlag(`hotline:${siteId}:greeted`)) {
      const timer = setTimeout(() => {
        const s = store.get();
        if (s.open || s.dialog) return;
        store.update({ greetingVisible: true });
        setSessionFlag(`hotline:${siteId}:greeted`);
      }, Math.max(0, greetingDelaySeconds) * 1000);
      cleanup.push(() => clearTimeout(timer));
    }
  };
  loadSiteConfig(server, siteId)
    .then(applyConfig, () => undefined)
    .finally(() => {
      // A returning visitor: resume now, so the dialog, unread replies and this page are current.
      if (connection.token && instance?.connection === connection) connection.connect();
    });

  const onNavigate = () => setTimeout(() => connection.reportPage(), 0);
  const originalPush = history.pushState;
  history.pushState = function pushState(this: History, ...args: Parameters<History['pushState']>) {
    originalPush.apply(this, args);
    onNavigate();
  };
  window.addEventListener('popstate', onNavigate);
  cleanup.push(() => {
    history.pushState = originalPush;
    window.removeEventListener('popstate', onNavigate);
  });
}

function sessionFlag(key: string): boolean {
  try {
    return sessionStorage.getItem(key) === '1';
  } catch {
    return false;
  }
}

function setSessionFlag(key: string): void {
  try {
    sessionStorage.setItem(key, '1');
  } catch {
    // shown again on the next page, harmless
  }
}

function destroy(): void {
  if (!instance) return;
  for (const fn of instance.cleanup) fn();
  instance.connection.disconnect();
  instance.mounted.destroy();
  instance.host.remove();
  instance = null;
}

const script = document.currentScript as HTMLScriptElement | null;

function scriptOrigin(): string | null {
  const el = script ?? document.querySelector<HTMLScriptElement>('script[data-site][src]');
  if (!el?.src) return null;
  try {
    return new URL(el.src, location.href).origin;
  } catch {
    return null;
  }
}

const api: HotlineApi = {
  init,
  open: () => instance?.ctx.open(),
  close: () => instance?.ctx.close(),
  destroy,
  version: VERSION,
};

window.Hotline = api;

const auto = script ?? document.querySelector<HTMLScriptElement>('script[data-site][src*="widget"]');
const siteFromTag = auto?.dataset.site;
if (siteFromTag) {
  const position = auto.dataset.position;
  init({
    siteId: siteFromTag,
    ...(auto.dataset.server ? { server: auto.dataset.server } : {}),
    ...(auto.dataset.locale ? { locale: auto.dataset.locale } : {}),
    ...(position === 'left' || position === 'right' ? { position } : {}),
    ...(auto.dataset.open === 'true' ? { open: true } : {}),
  });
}
