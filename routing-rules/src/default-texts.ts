import type { TextKey } from './templates';

export type AutoMessageTexts = Record<TextKey, string>;

/** Built-in texts, so a minimal group validates; a group overrides any of them per locale. */
export const DEFAULT_TEXTS: Record<string, AutoMessageTexts> = {
  en: {
    offlineReply:
      'Hello, {visitorName}! We are offline right now. Leave a phone number or e-mail and we will get back to you.',
    askContact: 'How can we reach you? Leave a phone number or e-mail.',
    contactThanks: 'Thank you, {visitorName}! We will get in touch soon.',
    unansweredReply: 'Sorry for the wait, {visitorName}. We will answer in a moment.',
    queuePosition: 'You are number {position} in the queue.[ Estimated wait: about {etaMinutes} min.]',
    queueOfferContact:
      'All our operators are busy.[ Estimated wait: about {etaMinutes} min.] Leave a phone number or e-mail and we will call you back.',
    greeting: 'Hello! How can we help?',
    closed: 'The conversation is closed. Thank you for contacting {groupName}!',
  },
  ru: {
    offlineReply:
      'Здравствуйте, {visitorName}! Сейчас мы не в сети. Оставьте телефон или e-mail, и мы с вами свяжемся.',
    askContact: 'Как с вами связаться? Оставьте телефон или e-mail.',
    contactThanks: 'Спасибо, {visitorName}! Мы скоро свяжемся с вами.',
    unansweredReply: 'Извините за ожидание, {visitorName}. Мы ответим через минуту.',
    queuePosition: 'Вы {position}-й в очереди.[ Ожидание: около {etaMinutes} мин.]',
    queueOfferContact:
      'Все операторы заняты.[ Ожидание: около {etaMinutes} мин.] Оставьте телефон или e-mail, и мы перезвоним.',
    greeting: 'Здравствуйте! Чем можем помочь?',
    closed: 'Диалог завершён. Спасибо, что обратились в {groupName}!',
  },
};
