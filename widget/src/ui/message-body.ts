/**
 * A message's body and files as DOM nodes: links from the shared splitter become <a> elements with
 * their text set as text (a body is never parsed as HTML); images show as thumbnails that open full
 * size in a new tab, other files as a card with name, type and size; a file removed by retention keeps
 * its name only.
 */
import { type AttachmentView, fileTypeLabel, formatSize } from '@hotline/client/attachments';
import { splitLinks } from '@hotline/client/links';
import type { Translate } from '../i18n';
import { h, ICONS, icon } from './dom';

const EXTERNAL = { target: '_blank', rel: 'noopener noreferrer' };

export function bodyText(body: string): HTMLElement {
  const text = h('div', { class: 'text' });
  for (const segment of splitLinks(body)) {
    text.append(
      segment.kind === 'text'
        ? segment.text
        : h('a', { class: 'link-out', href: segment.href, title: segment.title, ...EXTERNAL }, segment.text),
    );
  }
  return text;
}

export function attachmentList(attachments: readonly AttachmentView[], t: Translate): HTMLElement | null {
  if (attachments.length === 0) return null;
  return h(
    'div',
    { class: 'files' },
    ...attachments.map((a) =>
      a.removed ? removedCard(a, t) : a.kind === 'image' ? imageThumb(a, t) : fileCard(a, t),
    ),
  );
}

function imageThumb(a: AttachmentView, t: Translate): HTMLElement {
  const img = h('img', {
    src: a.thumbnailUrl ?? a.url,
    alt: a.name,
    loading: 'lazy',
    width: a.width,
    height: a.height,
  });
  return h(
    'a',
    {
      class: 'thumb',
      href: a.url,
      'aria-label': t('openImage', { name: a.name }),
      'data-attachment': a.id,
      ...EXTERNAL,
    },
    img,
  );
}

/** A file deleted by the site's retention: its name stays, nothing to open. */
function removedCard(a: AttachmentView, t: Translate): HTMLElement {
  return h(
    'span',
    { class: 'file removed', 'data-attachment': a.id },
    icon(ICONS.file, 22),
    h(
      'span',
      { class: 'file-text' },
      h('span', { class: 'file-name' }, a.name),
      h('span', { class: 'file-meta' }, t('fileRemoved')),
    ),
  );
}

function fileCard(a: AttachmentView, t: Translate): HTMLElement {
  return h(
    'a',
    {
      class: 'file',
      href: a.url,
      download: a.name,
      'aria-label': t('download', { name: a.name }),
      'data-attachment': a.id,
      ...EXTERNAL,
    },
    icon(ICONS.file, 22),
    h(
      'span',
      { class: 'file-text' },
      h('span', { class: 'file-name' }, a.name),
      h('span', { class: 'file-meta' }, `${fileTypeLabel(a.type, a.name)} · ${formatSize(a.size)}`),
    ),
  );
}
