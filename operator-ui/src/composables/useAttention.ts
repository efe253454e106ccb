import { attachmentSummary } from '@hotline/client/attachments';
import { computed, onBeforeUnmount, ref, watchEffect } from 'vue';
import { useDialogsStore } from '../stores/dialogs';
import { visitorLabel } from '../lib/format';

const SOUND_KEY = 'hotline:sound';
let audio: AudioContext | null = null;

/** A short two-tone beep made with WebAudio: no sound file to ship. */
export function beep() {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    if (ctx.state === 'suspended') void ctx.resume();
    const start = ctx.currentTime;
    for (const [offset, frequency] of [
      [0, 880],
      [0.16, 1175],
    ] as const) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.14);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.15);
    }
  } catch {
    // No audio (autoplay policy before a gesture, or no device): the visual cues remain.
  }
}

/**
 * Gets the operator's attention for a new dialog or a new visitor message: a beep, a desktop
 * notification while the tab is hidden, and the unread count in the title ("(3) Hotline").
 * Permission for notifications is asked on a user gesture (the bell button), never on load.
 */
export function useAttention() {
  const dialogs = useDialogsStore();
  const soundOn = ref(localStorage.getItem(SOUND_KEY) !== 'off');
  const permission = ref<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );
  const count = computed(() => dialogs.totalUnread + Object.keys(dialogs.offers).length);

  watchEffect(() => {
    document.title = count.value > 0 ? `(${count.value}) Hotline` : 'Hotline';
  });

  const notify = (title: string, body: string, tag: string, dialogId: string) => {
    if (permission.value !== 'granted' || document.visibilityState === 'visible') return;
    try {
      const n = new Notification(title, { body, tag });
      n.onclick = () => {
        window.focus();
        dialogs.select(dialogId);
        n.close();
      };
    } catch {
      // Some browsers only allow notifications from a service worker.
    }
  };

  const stop = dialogs.onIncoming((event) => {
    if (event.kind === 'dialog') {
      if (soundOn.value) beep();
      const name = visitorLabel(dialogs.details[event.dialog.id]?.visitor.name, event.dialog.visitorId);
      notify(
        event.offered ? 'Dialog offered' : 'New dialog',
        `${name}: ${event.dialog.lastMessage ? event.dialog.lastMessage.body || attachmentSummary(event.dialog.lastMessage.attachments) : 'started a chat'}`,
        `dialog-${event.dialog.id}`,
        event.dialog.id,
      );
    } else if (event.kind === 'message') {
      const hidden = document.visibilityState !== 'visible';
      if (soundOn.value && (hidden || event.message.dialogId !== dialogs.selectedId)) beep();
      notify(
        event.message.authorName ?? 'Visitor',
        event.message.body || attachmentSummary(event.message.attachments),
        `message-${event.message.dialogId}`,
        event.message.dialogId,
      );
    }
  });
  onBeforeUnmount(stop);

  const onVisible = () => {
    if (document.visibilityState === 'visible' && dialogs.selectedId) dialogs.markRead(dialogs.selectedId);
  };
  document.addEventListener('visibilitychange', onVisible);
  onBeforeUnmount(() => document.removeEventListener('visibilitychange', onVisible));

  async function askPermission() {
    if (typeof Notification === 'undefined') return;
    permission.value = await Notification.requestPermission();
    beep();
  }

  function toggleSound() {
    soundOn.value = !soundOn.value;
    localStorage.setItem(SOUND_KEY, soundOn.value ? 'on' : 'off');
    if (soundOn.value) beep();
  }

  return { soundOn, permission, count, askPermission, toggleSound };
}
