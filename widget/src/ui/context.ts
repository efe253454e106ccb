import type { Connection } from '../connection';
import type { Translate } from '../i18n';
import type { Store } from '../store';

/** What every view gets: the state, the connection, the strings and the panel's open/close. */
export interface Ctx {
  store: Store;
  connection: Connection;
  t: Translate;
  open(): void;
  close(): void;
}

export interface View {
  el: HTMLElement;
  update(): void;
}
