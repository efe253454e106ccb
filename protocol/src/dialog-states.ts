/**
 * A dialog's states as every party names them. Dependency-free (no zod), so the widget can take the
 * list without the schemas: `@hotline/protocol/dialog-states`.
 */
export type DialogState =
  | 'created'
  | 'queued'
  | 'offered'
  | 'assigned'
  | 'active'
  | 'offline'
  | 'awaiting-contact'
  | 'lead'
  | 'closed'
  | 'abandoned';

/** The states of an open dialog: one a visitor has at most one of, that operators may still act on. */
export const OPEN_DIALOG_STATES: readonly DialogState[] = [
  'created',
  'queued',
  'offered',
  'assigned',
  'active',
  'offline',
  'awaiting-contact',
  'lead',
];
