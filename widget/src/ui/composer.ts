/**
 * The message input: Enter sends, Shift+Enter breaks the line; typing is reported (throttled). Files
 * come from the paperclip, a paste (a screenshot) or a drop on the panel; they upload at once into a
 * tray above the input (progress, cancel, the reason when refused) and go with the next message,
 * whose text is their caption.
 */
import { formatSize, problemSentence } from '@hotline/client/attachments';
import { type PendingUpload, UploadTray } from '@hotline/client/upload-tray';
import { isDialogOpen } from '../store';
import type { Translate } from '../i18n';
import type { Ctx, View } from './context';
import { h, ICONS, icon } from './dom';

export interface Composer extends View {
  focus(): void;
  /** Files dropped on the panel; ignored when there is no open dialog to send them to. */
  addFiles(files: FileList | File[]): void;
}

export function composer(ctx: Ctx): Composer {
  const { t } = ctx;
  const input = h('textarea', {
    id: 'hl-message',
    rows: 1,
    placeholder: t('inputPlaceholder'),
    maxlength: 4000,
    name: 'message',
  });
  const send = h('button', { type: 'submit', class: 'send', 'aria-label': t('send') }, icon(ICONS.send, 20));
  const picker = h('input', {
    type: 'file',
    multiple: true,
    hidden: true,
    tabindex: -1,
    'aria-hidden': 'true',
  });
  const clip = h(
    'button',
    {
      type: 'button',
      class: 'icon-btn clip',
      'aria-label': t('attachFile'),
      title: t('attachFile'),
      onclick: () => picker.click(),
    },
    icon(ICONS.clip, 22),
  );
  // A real label (visually hidden): a placeholder is no name once the visitor types.
  const label = h('label', { class: 'sr', for: 'hl-message' }, t('messageLabel'));
  const form = h('form', { class: 'composer' }, clip, picker, label, input, send);
  const trayList = h('ul', { class: 'tray', 'aria-label': t('attachmentsLabel'), hidden: true });
  const el = h('div', { class: 'compose' }, trayList, form);

  const tray = new UploadTray({
    server: ctx.connection.server,
    prepare: (file) => ctx.connection.prepareAttachment(file),
    onChange: (items) => renderTray(items),
  });
  const canAttach = () => isDialogOpen(ctx.store.get().dialog);

  const renderTray = (items: readonly PendingUpload[]) => {
    trayList.hidden = items.length === 0;
    trayList.replaceChildren(...items.map((item) => trayItem(item, t, () => tray.remove(item.key))));
    send.disabled = tray.busy;
  };

  const addFiles = (files: FileList | File[]) => {
    if (!canAttach() || files.length === 0) return;
    tray.add(Array.from(files));
  };

  const grow = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  };
  const submit = () => {
    const body = input.value.trim();
    if (tray.busy || (!body && tray.ready().length === 0)) return;
    ctx.connection.send(body, tray.takeReady());
    input.value = '';
    grow();
  };
  form.addEventListener('submit', (event) => {
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
  // A screenshot in the clipboard arrives as a file; pasted text stays the browser's business.
  input.addEventListener('paste', (event) => {
    const files = event.clipboardData?.files;
    if (!files?.length || !canAttach()) return;
    event.preventDefault();
    addFiles(files);
  });
  picker.addEventListener('change', () => {
    if (picker.files) addFiles(picker.files);
    picker.value = '';
  });

  const update = () => {
    const open = canAttach();
    clip.hidden = !open;
    if (!open && tray.list().length) tray.clear();
  };
  update();
  return { el, update, focus: () => input.focus(), addFiles };
}

function trayItem(item: PendingUpload, t: Translate, remove: () => void): HTMLElement {
  const running = item.state === 'preparing' || item.state === 'uploading';
  const percent = item.size > 0 ? Math.min(100, Math.round((item.loaded / item.size) * 100)) : 0;
  const status = running
    ? h('span', { class: 'tray-status' }, t('uploading', { percent }))
    : item.problem
      ? h('p', { class: 'error', role: 'alert' }, problemSentence(item.name, item.problem, t))
      : null;
  const bar = running
    ? h('progress', { max: 100, value: percent, 'aria-label': t('uploading', { percent }) })
    : null;
  return h(
    'li',
    { class: `tray-item ${item.state}`, 'data-state': item.state },
    h('span', { class: 'tray-name' }, item.name),
    h('span', { class: 'tray-size' }, formatSize(item.size)),
    h(
      'button',
      {
        type: 'button',
        class: 'icon-btn tray-remove',
        'aria-label': t(running ? 'cancelUpload' : 'removeFile', { name: item.name }),
        onclick: remove,
      },
      icon(ICONS.close, 16),
    ),
    bar,
    status,
  );
}
