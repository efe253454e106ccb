/**
 * Small unions every layer names (routing model, engine, protocol, both UIs): defined once here, the
 * lowest layer, so nobody re-declares them. Values are tuples so zod enums and pickers use them too.
 */

/** An operator's presence: `online` takes dialogs, `away` keeps his own, `offline` has none. */
export const PRESENCES = ['online', 'away', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];

/** What a dialog is: a live chat or a call-back request. */
export const DIALOG_KINDS = ['chat', 'callback'] as const;
export type DialogKind = (typeof DIALOG_KINDS)[number];

/** How a group picks among its eligible operators. */
export const STRATEGIES = ['least-loaded', 'round-robin', 'longest-idle'] as const;
export type RoutingStrategy = (typeof STRATEGIES)[number];

/** The weekdays of working hours, Monday first (the YAML keys). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
