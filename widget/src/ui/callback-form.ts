/** The call-back request: a phone (validated like the server does) and an optional convenient time. */
import { normalizePhone } from '../contact';
import type { Ctx, View } from './context';
import { h, ICONS, icon } from './dom';
import { enginePhone } from './contact-card';
import { field } from './field';
import { phoneRule } from './phone-rule';

export function callbackForm(ctx: Ctx): View {
  const { t, store } = ctx;
  const phone = field(t('callbackPhone'), {
    type: 'tel',
    autocomplete: 'tel',
    inputmode: 'tel',
    name: 'phone',
  });
  const time = field(t('callbackTime'), { type: 'text', name: 'preferredTime', maxlength: '120' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('callbackSubmit'));
  const back = h(
    'button',
    { type: 'button', class: 'link', onclick: () => store.update({ view: 'menu' }) },
    icon(ICONS.back, 16),
    t('menuBack'),
  );
  const form = h(
    'form',
    { class: 'form callback-form', novalidate: true },
    h('p', { class: 'prompt' }, t('callbackTitle')),
    phone.el,
    time.el,
    submit,
    back,
  );
  const thanks = h(
    'div',
    { class: 'form' },
    h('div', { class: 'card thanks callback-thanks', role: 'status' }),
  );
  const el = h('div', {}, form, thanks);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const typed = normalizePhone(phone.input.value);
    const value = typed && (await enginePhone(ctx, typed));
    if (!value) {
      phone.setError(t(phone.input.value.trim() ? 'errorPhone' : 'errorEmpty'));
      phone.input.focus();
      return;
    }
    phone.setError(null);
    time.setError(null);
    submit.disabled = true;
    const result = await ctx.connection.requestCallback(value, time.input.value.trim() || undefined);
    submit.disabled = false;
    if (result.ok) return;
    const target = result.error.field?.includes('preferredTime') ? time : phone;
    target.setError(result.retryable ? t('errorGeneric') : result.error.message);
    target.input.focus();
  });

  const update = () => {
    const { view, callbackPhone } = store.get();
    form.hidden = view !== 'callback';
    if (view === 'callback') void phoneRule(ctx.connection.server);
    thanks.hidden = view !== 'callback-done';
    thanks.firstElementChild!.textContent = t('callbackThanks', { value: callbackPhone ?? '' });
  };
  return { el, update };
}
