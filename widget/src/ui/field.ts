/** A labelled input with an error line wired for screen readers (aria-invalid, aria-describedby). */
import { h } from './dom';

let counter = 0;

export interface Field {
  el: HTMLElement;
  input: HTMLInputElement;
  setError(message: string | null): void;
}

export function field(label: string, attrs: Record<string, string> = {}): Field {
  counter += 1;
  const id = `hl-field-${counter}`;
  const input = h('input', { class: 'input', id, 'aria-describedby': `${id}-error`, ...attrs });
  const error = h('p', { class: 'error', id: `${id}-error`, 'aria-live': 'assertive', hidden: true });
  const el = h('div', { class: 'field' }, h('label', { for: id }, label), input, error);
  return {
    el,
    input,
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = !message;
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}
