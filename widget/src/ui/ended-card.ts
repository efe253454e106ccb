/** After the dialog is closed (by either side): an optional 1–5 rating and a way to start again. */
import type { Ctx, View } from './context';
import { h, ICONS, icon } from './dom';

export function endedCard(ctx: Ctx): View {
  const { t, store } = ctx;
  const stars = h('div', { class: 'stars', role: 'group', 'aria-label': t('rateChat') });
  const starButtons: HTMLButtonElement[] = [];
  for (let n = 1; n <= 5; n++) {
    const button = h(
      'button',
      { type: 'button', class: 'star', 'aria-label': t('rateStar', { n }), 'data-rating': n },
      icon(ICONS.star, 28),
    );
    const highlight = (upTo: number) => {
      for (const [i, b] of starButtons.entries()) b.classList.toggle('on', i < upTo);
    };
    button.addEventListener('mouseenter', () => highlight(n));
    button.addEventListener('mouseleave', () => highlight(0));
    button.addEventListener('focus', () => highlight(n));
    button.addEventListener('blur', () => highlight(0));
    button.addEventListener('click', async () => {
      for (const b of starButtons) b.disabled = true;
      const result = await ctx.connection.close(n);
      for (const b of starButtons) b.disabled = false;
      if (!result.ok) error.hidden = false;
    });
    starButtons.push(button);
    stars.appendChild(button);
  }
  const rate = h('div', { class: 'rate' }, h('p', {}, t('rateChat')), stars);
  const error = h('p', { class: 'error', hidden: true }, t('errorGeneric'));
  const rated = h('p', { role: 'status' }, t('ratingThanks'));
  const again = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      onclick: () =>
        store.update({
          view: 'menu',
          dialog: null,
          messages: [],
          queue: null,
          botPath: [],
          rated: false,
          choice: null,
        }),
    },
    t('newChat'),
  );
  const el = h(
    'div',
    { class: 'card ended-card', hidden: true },
    h('p', { class: 'prompt' }, t('chatEnded')),
    rate,
    rated,
    error,
    again,
  );

  const update = () => {
    const { dialog, rated: isRated } = store.get();
    const ended = dialog?.state === 'closed' || dialog?.state === 'abandoned';
    el.hidden = !ended;
    rate.hidden = isRated;
    rated.hidden = !isRated;
  };
  return { el, update };
}
