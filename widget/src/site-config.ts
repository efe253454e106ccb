/**
 * The site's public widget settings (GET /api/sites/:siteId/widget). The widget only reads them, so
 * it keeps its own structural types and tolerates missing fields: a config that fails to load still
 * leaves a working widget with the defaults. The entry menu's types are the routing model's own
 * (type-only imports: nothing of routing-rules is bundled).
 */
import type { EntryMenu, LocalizedText } from '@hotline/routing-rules';

export type { BotNode, EntryMenu, LocalizedText, RouteTarget } from '@hotline/routing-rules';

export { localizedText as localized } from '@hotline/routing-rules/localized-text';

export interface WidgetLook {
  primaryColor: string;
  textColor: string;
  position: 'left' | 'right';
  greeting: LocalizedText | null;
  greetingDelaySeconds: number;
  logoUrl?: string | null;
  title: LocalizedText;
}

export interface SiteWidgetConfig {
  siteId: string;
  locale: string;
  locales: string[];
  look: WidgetLook;
  entryMenu: EntryMenu | null;
  texts: Record<string, unknown>;
  /** Whether the site offers a call-back request (default true). */
  callbackEnabled?: boolean;
  /** ISO 3166 alpha-2 country a phone without `+` is read in (the engine's default: RU). */
  defaultCountry?: string;
  /** Whether someone who may take a dialog is online now (absent: unknown, the greeting as written). */
  available?: boolean;
}

export const DEFAULT_LOOK: WidgetLook = {
  primaryColor: '#2563eb',
  textColor: '#ffffff',
  position: 'right',
  greeting: null,
  greetingDelaySeconds: 0,
  logoUrl: null,
  title: '',
};

/** Fills the gaps of a partial config with defaults, so views never check for undefined. */
export function normalizeConfig(siteId: string, raw: unknown): SiteWidgetConfig {
  const source = (raw && typeof raw === 'object' ? raw : {}) as Partial<SiteWidgetConfig> & { name?: string };
  const look = { ...DEFAULT_LOOK, ...(source.look ?? {}) };
  if (!look.title && source.name) look.title = source.name;
  if (look.position !== 'left') look.position = 'right';
  const menu = source.entryMenu;
  const usable =
    menu &&
    ((menu.kind === 'choice' && Array.isArray(menu.options) && menu.options.length > 0) ||
      (menu.kind === 'bot' && menu.root))
      ? menu
      : null;
  return {
    siteId,
    locale: source.locale ?? 'en',
    locales: Array.isArray(source.locales) ? source.locales : [],
    look,
    entryMenu: usable,
    texts: source.texts && typeof source.texts === 'object' ? source.texts : {},
    callbackEnabled: source.callbackEnabled !== false,
    ...(typeof source.available === 'boolean' ? { available: source.available } : {}),
    ...(typeof source.defaultCountry === 'string' ? { defaultCountry: source.defaultCountry } : {}),
  };
}

export async function loadSiteConfig(server: string, siteId: string): Promise<SiteWidgetConfig> {
  const response = await fetch(`${server}/api/sites/${encodeURIComponent(siteId)}/widget`, {
    credentials: 'omit',
  });
  if (!response.ok) throw new Error(`site config: HTTP ${response.status}`);
  const body: unknown = await response.json();
  // The engine may wrap bodies as { data }; accept both.
  const payload =
    body && typeof body === 'object' && 'data' in body ? (body as { data: unknown }).data : body;
  return normalizeConfig(siteId, payload);
}
