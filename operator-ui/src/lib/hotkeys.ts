export type HotkeyAction =
  | { kind: 'next-dialog' }
  | { kind: 'previous-dialog' }
  | { kind: 'transfer' }
  | { kind: 'close' }
  | { kind: 'quick-reply'; index: number }
  | { kind: 'help' }
  | { kind: 'escape' };

export interface KeyInput {
  key: string;
  code: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  /** The focus is in a text field: plain keys belong to it. */
  typing: boolean;
}

/** The console's shortcuts, listed in the help overlay. */
export const HOTKEYS: { keys: string; what: string }[] = [
  { keys: 'Alt + ↓ / Alt + ↑', what: 'Next / previous dialog' },
  { keys: 'Alt + 1 … 9', what: 'Insert quick reply 1 … 9' },
  { keys: '/', what: 'Search quick replies (in the message box)' },
  { keys: 'Enter', what: 'Send the message' },
  { keys: 'Shift + Enter', what: 'New line' },
  { keys: 'Alt + T', what: 'Transfer the dialog' },
  { keys: 'Alt + C', what: 'Close the dialog' },
  { keys: '?', what: 'This help (when not typing)' },
  { keys: 'Esc', what: 'Close a dialog box or this help' },
];

/**
 * Maps a key press to a console action. Uses `code` for letters and digits, since Alt+T on a Mac
 * types "†" and Alt+1 types "¡". Alt chords work while typing; "?" only outside text fields.
 */
export function hotkeyFor(input: KeyInput): HotkeyAction | null {
  if (input.ctrlKey || input.metaKey) return null;
  if (input.key === 'Escape') return { kind: 'escape' };
  if (input.altKey && !input.shiftKey) {
    if (input.key === 'ArrowDown' || input.code === 'ArrowDown') return { kind: 'next-dialog' };
    if (input.key === 'ArrowUp' || input.code === 'ArrowUp') return { kind: 'previous-dialog' };
    if (input.code === 'KeyT') return { kind: 'transfer' };
    if (input.code === 'KeyC') return { kind: 'close' };
    const digit = /^(?:Digit|Numpad)([1-9])$/.exec(input.code);
    if (digit) return { kind: 'quick-reply', index: Number(digit[1]) - 1 };
    return null;
  }
  if (!input.altKey && !input.typing && input.key === '?') return { kind: 'help' };
  return null;
}

/** The next id in a list after `current`, wrapping around; the first when nothing is selected. */
export function stepThrough(ids: string[], current: string | null, step: 1 | -1): string | null {
  if (ids.length === 0) return null;
  const index = current ? ids.indexOf(current) : -1;
  if (index === -1) return step === 1 ? ids[0]! : ids[ids.length - 1]!;
  return ids[(index + step + ids.length) % ids.length]!;
}
