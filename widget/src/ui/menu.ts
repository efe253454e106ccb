/**
 * The entry menu: the site's choice buttons, or its button bot walked node by node; a choice with a
 * target starts the dialog routed there. Also the way to the call-back form.
 */
import { type BotNode, localized, type RouteTarget } from '../site-config';
import type { Ctx, View } from './context';
import { clear, h, ICONS, icon } from './dom';

function nodeAt(root: BotNode, path: number[]): BotNode {
  let node = root;
  for (const index of path) {
    const next = node.buttons[index]?.next;
    if (!next) break;
    node = next;
  }
  return node;
}

/** The labels of the buttons pressed, joined: "Returns and warranty › Return an item". */
function pathLabels(root: BotNode, path: number[], locale: string): string {
  const labels: string[] = [];
  let node: BotNode | undefined = root;
  for (const index of path) {
    const button: BotNode['buttons'][number] | undefined = node?.buttons[index];
    if (!button) break;
    labels.push(localized(button.label, locale));
    node = button.next;
  }
  return labels.join(' › ');
}

export function menuView(ctx: Ctx): View {
  const { t, store } = ctx;
  const el = h('div', { class: 'menu' });
  /** Starts the chat; the choice (with the bot's path to it) is echoed in the chat. */
  const start = (target: RouteTarget, label: string | null) => {
    store.update({ choice: label });
    ctx.connection.startDialog(target);
  };

  const update = () => {
    const { config, botPath, locale } = store.get();
    clear(el);
    const menu = config.entryMenu;
    if (!menu) {
      el.append(
        h('p', { class: 'prompt' }, t('menuPrompt')),
        h('button', { type: 'button', class: 'choice', onclick: () => start({}, null) }, t('chatTitle')),
      );
    } else if (menu.kind === 'choice') {
      el.append(
        h('p', { class: 'prompt', id: 'hl-menu-prompt' }, localized(menu.prompt, locale) || t('menuPrompt')),
      );
      const group = h('div', { class: 'menu', role: 'group', 'aria-labelledby': 'hl-menu-prompt' });
      group.style.padding = '0';
      for (const option of menu.options)
        group.append(
          h(
            'button',
            {
              type: 'button',
              class: 'choice',
              onclick: () => start(option.target, localized(option.label, locale)),
            },
            localized(option.label, locale),
          ),
        );
      el.append(group);
    } else {
      const node = nodeAt(menu.root, botPath);
      el.append(h('p', { class: 'prompt', id: 'hl-menu-prompt' }, localized(node.question, locale)));
      const group = h('div', { class: 'menu', role: 'group', 'aria-labelledby': 'hl-menu-prompt' });
      group.style.padding = '0';
      node.buttons.forEach((button, index) => {
        const press = () => {
          if (button.next) {
            store.update((s) => ({ botPath: [...s.botPath, index] }));
            el.querySelector<HTMLElement>('.choice')?.focus();
          } else start(button.target ?? {}, pathLabels(menu.root, [...botPath, index], locale));
        };
        group.append(
          h('button', { type: 'button', class: 'choice', onclick: press }, localized(button.label, locale)),
        );
      });
      el.append(group);
      if (botPath.length > 0) {
        el.append(
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                store.update((s) => ({ botPath: s.botPath.slice(0, -1) }));
                el.querySelector<HTMLElement>('.choice')?.focus();
              },
            },
            icon(ICONS.back, 16),
            t('menuBack'),
          ),
        );
      }
    }
    if (config.callbackEnabled) {
      el.append(
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => store.update({ view: 'callback' }) },
          icon(ICONS.phone, 16),
          t('requestCallback'),
        ),
      );
    }
  };
  return { el, update };
}
