import { localizedText } from './localized-text';
import type { BotNode, EntryMenu, LocalizedText, RouteTarget } from './schema';

const sameTarget = (a: RouteTarget, b: RouteTarget) =>
  a.groupId === b.groupId && a.topicId === b.topicId && a.regionId === b.regionId;

/**
 * What the visitor pressed to get `choice`, as he saw it: the option's label, or the bot's buttons on
 * the way to it ("Returns and warranty › Return an item"). Null when no entry leads there (no menu, a
 * start without a choice): the operator is then told nothing rather than a guess.
 */
export function choiceLabel(menu: EntryMenu | undefined, choice: RouteTarget, locale: string): string | null {
  if (!menu || Object.values(choice).every((v) => v === undefined)) return null;
  if (menu.kind === 'choice') {
    const option = menu.options.find((o) => sameTarget(o.target, choice));
    return option ? localizedText(option.label, locale) : null;
  }
  const path = botPath(menu.root, choice);
  return path ? path.map((label) => localizedText(label, locale)).join(' › ') : null;
}

function botPath(node: BotNode, choice: RouteTarget): LocalizedText[] | null {
  for (const button of node.buttons) {
    if (button.target && sameTarget(button.target, choice)) return [button.label];
    const below = button.next ? botPath(button.next, choice) : null;
    if (below) return [button.label, ...below];
  }
  return null;
}
