/**
 * A client message id: unique across tabs, reloads and both UIs. The engine stores one message per
 * id, so a resend after a lost ack is stored once.
 */
export function newClientMessageId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
