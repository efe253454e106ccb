/**
 * Inline contact capture, shown in the chat when the engine asks for a contact (offline, unanswered,
 * long wait). Bad input is caught here with the server's rules and nothing is sent; a server refusal
 * is shown at the field as well.
 */
import { checkContact } from '../contact';
import type { StringKey } from '../i18n';
import type { Ctx, View } from './context';
import { h } from './dom';
import { field } from './field';
import { phoneRule } from './phone-rule';

const REASONS: Record<'empty' | 'phone' | 'email', StringKey> = {
  empty: 'errorEmpty',
  phone: 'errorPhone',
  email: 'errorEmail',
};

export function contactCard(ctx: Ctx): View {
  const { t } = ctx;
  const contact = field(t('contactLabel'), {
    type: 'text',
    inputmode: 'email',
    autocomplete: 'tel',
    name: 'contact',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('contactSubmit'));
  const form = h(
    'form',
    { class: 'card contact-card', novalidate: true },
    h('p', {}, t('contactPrompt')),
    contact.el,
    submit,
  );
  const thanks = h('div', { class: 'card thanks', role: 'status', hidden: true });
  const el = h('div', {}, form, thanks);
  el.style.display = 'contents';
  let submittedHere = false;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const check = checkContact(contact.input.value);
    if (!check.ok) {
      contact.setError(t(REASONS[check.reason]));
      contact.input.focus();
      return;
    }
    submit.disabled = true;
    const value = check.kind === 'phone' ? await enginePhone(ctx, check.value) : check.value;
    if (value === null) {
      submit.disabled = false;
      contact.setError(t('errorPhone'));
      contact.input.focus();
      return;
    }
    contact.setError(null);
    const result = await ctx.connection.leaveContact(value);
    submit.disabled = false;
    if (result.ok) {
      submittedHere = true;
      update();
      return;
    }
    contact.setError(result.retryable ? t('errorGeneric') : result.error.message);
    contact.input.focus();
  });

  const update = () => {
    const dialog = ctx.store.get().dialog;
    const asking = Boolean(dialog?.contactRequested && !dialog.contact);
    const left = dialog?.contact ?? null;
    const showThanks = Boolean(
      left &&
        (submittedHere ||
          dialog?.contactRequested ||
          dialog?.state === 'awaiting-contact' ||
          dialog?.state === 'lead'),
    );
    form.hidden = !asking;
    if (asking) void phoneRule(ctx.connection.server);
    thanks.hidden = !showThanks;
    if (left) thanks.textContent = t('contactThanks', { value: left.value });
  };

  return { el, update };
}

/**
 * The phone by the engine's rule in the site's country (E.164), null when that rule refuses it; as
 * typed when the rule could not be loaded (the engine then judges it).
 */
export async function enginePhone(ctx: Ctx, typed: string): Promise<string | null> {
  const rule = await phoneRule(ctx.connection.server);
  if (!rule) return typed;
  const result = rule(typed, ctx.store.get().config.defaultCountry);
  return result.ok && result.kind === 'phone' ? result.value : null;
}
