import type { EngineConfig } from '../../src/config';

/**
 * Visitor limits out of the way: the suites open many visitors from 127.0.0.1 at machine speed.
 * engine/test/security/visitor-limits.test.ts sets its own.
 */
export const UNLIMITED_VISITORS = {
  VISITOR_MESSAGES_PER_10S: 1_000_000,
  VISITOR_STARTS_PER_MINUTE: 1_000_000,
  VISITOR_EVENTS_PER_10S: 1_000_000,
  VISITOR_HANDSHAKES_PER_MINUTE: 1_000_000,
  ADDRESS_MESSAGES_PER_10S: 1_000_000,
  ADDRESS_STARTS_PER_MINUTE: 1_000_000,
  ADDRESS_EVENTS_PER_10S: 1_000_000,
  ADDRESS_HANDSHAKES_PER_MINUTE: 1_000_000,
  ADDRESS_TOKENS_PER_MINUTE: 1_000_000,
  VISITOR_ATTACHMENTS_PER_MINUTE: 1_000_000,
  ADDRESS_ATTACHMENTS_PER_MINUTE: 1_000_000,
} satisfies Partial<EngineConfig>;
