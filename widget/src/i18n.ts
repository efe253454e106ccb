import { pickLocale } from '@hotline/routing-rules/locale';
/** UI strings of the widget in English and Russian; a site's `texts` may override any of them. */
const en = {
  openChat: 'Open chat',
  closeChat: 'Minimize chat',
  chatTitle: 'Chat with us',
  greetingClose: 'Dismiss',
  menuPrompt: 'How can we help?',
  menuBack: 'Back',
  requestCallback: 'Request a call back',
  inputPlaceholder: 'Type a message…',
  messageLabel: 'Your message',
  assistantName: '{site} assistant',
  greetingOffline:
    'No one is online right now. Leave a message and your contact: we will reply as soon as we are back.',
  send: 'Send',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Not sent',
  retry: 'Retry',
  you: 'You',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  queuePosition: 'You are number {n} in the queue',
  queueEta: 'You are number {n} in the queue, about {m} min',
  queueEtaLess: 'You are number {n} in the queue, less than {m} min',
  queueBehind: 'You are in the queue, behind the first {n}',
  waitingOperator: 'Looking for a free operator…',
  operatorJoined: '{name} joined the chat',
  operatorTyping: '{name} is typing…',
  someoneTyping: 'Operator is typing…',
  contactPrompt: 'Leave your phone or e-mail and we will get back to you.',
  contactLabel: 'Phone or e-mail',
  contactSubmit: 'Send contact',
  contactThanks: 'Thank you! We will contact you at {value}.',
  errorEmpty: 'Please enter a phone number or an e-mail.',
  errorPhone:
    'This does not look like a phone number. Write it with + and the country code, e.g. +44 20 7946 0958.',
  errorEmail: 'This does not look like an e-mail address, e.g. name@example.com.',
  callbackTitle: 'We will call you back',
  callbackPhone: 'Your phone',
  callbackTime: 'Convenient time (optional)',
  callbackSubmit: 'Call me back',
  callbackThanks: 'Thank you! We will call you at {value}.',
  endChat: 'End chat',
  chatEnded: 'The chat has ended.',
  rateChat: 'How did we do?',
  rateStar: 'Rate {n} of 5',
  ratingThanks: 'Thank you for your rating!',
  newChat: 'Start a new chat',
  messagesLabel: 'Messages',
  errorGeneric: 'Something went wrong. Please try again.',
  attachFile: 'Attach a file',
  dropFiles: 'Drop files here to attach them',
  removeFile: 'Remove {name}',
  cancelUpload: 'Cancel uploading {name}',
  uploading: 'Uploading {percent}%',
  attachmentsLabel: 'Files to send',
  fileTooBig: '“{name}” is too big to send.',
  fileTooBigLimit: '“{name}” is too big: files up to {limit} MB can be sent.',
  fileType: '“{name}” cannot be sent: this type of file is not accepted.',
  fileRateLimited: 'Too many files at once. Please try again in {n} s.',
  fileFailed: '“{name}” could not be sent. Please try again.',
  openImage: 'Open {name} full size',
  download: 'Download {name}',
  fileRemoved: 'File no longer available',
  poweredBy: 'hotline',
  rateLimited: 'You are sending messages too fast — we will try again in {s} s.',
  blocked: 'This chat is not available to you.',
};

export type Strings = typeof en;
export type StringKey = keyof Strings;

const ru: Strings = {
  openChat: 'Открыть чат',
  closeChat: 'Свернуть чат',
  chatTitle: 'Напишите нам',
  greetingClose: 'Скрыть',
  menuPrompt: 'Чем мы можем помочь?',
  menuBack: 'Назад',
  requestCallback: 'Заказать обратный звонок',
  inputPlaceholder: 'Введите сообщение…',
  messageLabel: 'Ваше сообщение',
  assistantName: 'Помощник {site}',
  greetingOffline:
    'Сейчас никого нет на связи. Оставьте сообщение и контакт — мы ответим, как только вернёмся.',
  send: 'Отправить',
  sending: 'Отправляется',
  sent: 'Отправлено',
  failed: 'Не отправлено',
  retry: 'Повторить',
  you: 'Вы',
  connecting: 'Подключение…',
  reconnecting: 'Переподключение…',
  queuePosition: 'Ваш номер в очереди: {n}',
  queueEta: 'Ваш номер в очереди: {n}, ожидание около {m} мин',
  queueEtaLess: 'Ваш номер в очереди: {n}, ожидание меньше {m} мин',
  queueBehind: 'Вы в очереди, после первых {n}',
  waitingOperator: 'Ищем свободного оператора…',
  operatorJoined: '{name} подключился к чату',
  operatorTyping: '{name} печатает…',
  someoneTyping: 'Оператор печатает…',
  contactPrompt: 'Оставьте телефон или e-mail, и мы свяжемся с вами.',
  contactLabel: 'Телефон или e-mail',
  contactSubmit: 'Отправить контакт',
  contactThanks: 'Спасибо! Мы свяжемся с вами: {value}.',
  errorEmpty: 'Введите номер телефона или e-mail.',
  errorPhone: 'Это не похоже на номер телефона. Напишите его с + и кодом страны, например +7 912 345-67-89.',
  errorEmail: 'Это не похоже на адрес e-mail, например name@example.com.',
  callbackTitle: 'Мы вам перезвоним',
  callbackPhone: 'Ваш телефон',
  callbackTime: 'Удобное время (необязательно)',
  callbackSubmit: 'Перезвоните мне',
  callbackThanks: 'Спасибо! Мы позвоним вам по номеру {value}.',
  endChat: 'Завершить чат',
  chatEnded: 'Чат завершён.',
  rateChat: 'Оцените, как мы помогли',
  rateStar: 'Оценка {n} из 5',
  ratingThanks: 'Спасибо за оценку!',
  newChat: 'Начать новый чат',
  messagesLabel: 'Сообщения',
  errorGeneric: 'Что-то пошло не так. Попробуйте ещё раз.',
  attachFile: 'Прикрепить файл',
  dropFiles: 'Перетащите файлы сюда, чтобы прикрепить',
  removeFile: 'Убрать {name}',
  cancelUpload: 'Отменить загрузку {name}',
  uploading: 'Загрузка {percent}%',
  attachmentsLabel: 'Файлы к отправке',
  fileTooBig: 'Файл «{name}» слишком большой.',
  fileTooBigLimit: 'Файл «{name}» слишком большой: можно отправлять файлы до {limit} МБ.',
  fileType: 'Файл «{name}» нельзя отправить: такой тип файлов не принимается.',
  fileRateLimited: 'Слишком много файлов сразу. Попробуйте снова через {n} с.',
  fileFailed: 'Не удалось отправить «{name}». Попробуйте ещё раз.',
  openImage: 'Открыть {name} в полном размере',
  download: 'Скачать {name}',
  fileRemoved: 'Файл больше недоступен',
  poweredBy: 'hotline',
  rateLimited: 'Вы отправляете сообщения слишком часто — повторим через {s} с.',
  blocked: 'Этот чат для вас недоступен.',
};

const catalogs: Record<string, Strings> = { en, ru };

export const SUPPORTED_LOCALES = Object.keys(catalogs);

/** Picks the UI language by the one rule in routing-rules (`pickLocale`), among the widget's catalogs. */
export function pickWidgetLocale(options: Omit<Parameters<typeof pickLocale>[0], 'supported'>): string {
  return pickLocale({ ...options, supported: SUPPORTED_LOCALES });
}

export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

/** A translator for the locale; `overrides` (the site's texts) win over the built-in strings. */
export function translator(locale: string, overrides: Record<string, unknown> = {}): Translate {
  const catalog = catalogs[locale] ?? en;
  return (key, vars) => {
    const override = overrides[key];
    const template = typeof override === 'string' ? override : catalog[key];
    return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
      vars && name in vars ? String(vars[name]) : whole,
    );
  };
}
