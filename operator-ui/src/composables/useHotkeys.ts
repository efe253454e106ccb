import { onBeforeUnmount, onMounted } from 'vue';
import { type HotkeyAction, hotkeyFor } from '../lib/hotkeys';

const isEditable = (target: EventTarget | null) => {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return (
    el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT'
  );
};

/** Calls `handler` for the console's shortcuts while the component is mounted. */
export function useHotkeys(handler: (action: HotkeyAction, event: KeyboardEvent) => boolean | undefined) {
  const listener = (event: KeyboardEvent) => {
    const action = hotkeyFor({
      key: event.key,
      code: event.code,
      altKey: event.altKey,
      ctrlKey: event.ctrlKey,
      metaKey: event.metaKey,
      shiftKey: event.shiftKey,
      typing: isEditable(event.target),
    });
    if (action && handler(action, event) !== false) event.preventDefault();
  };
  onMounted(() => window.addEventListener('keydown', listener));
  onBeforeUnmount(() => window.removeEventListener('keydown', listener));
}
