/** The message input: Enter sends, Shift+Enter breaks the line; typing is reported (throttled). */
import type { Ctx, View } from './context';
import { h, ICONS, icon } from './dom';

export function composer(ctx: Ctx): View & { focus(): void } {
  const { t } = ctx;
  const input = h('textarea', { rows: 1, 'aria-label': t('inputPlaceholder'), placeholder: t('inputPlaceholder'), maxlength: 4000, name: 'message' });
  const send = h('button', { type: 'submit', class: 'send', 'aria-label': t('send') }, icon(ICONS.send, 20));
  const el = h('form', { class: 'composer' }, input, send);
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  };
  const submit = () => {
    const body = input.value.trim();
    if (!body) return;
    ctx.connection.send(body);
    input.value = '';
    grow();
  };
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
    input.focus();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => {
    grow();
    if (input.value.trim()) ctx.connection.typing();
  });
  return { el, update: () => undefined, focus: () => input.focus() };
}
