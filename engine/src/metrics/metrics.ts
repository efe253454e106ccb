import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Domain metrics; one registry per engine instance so in-process tests do not collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    queueLength: new Gauge({
      name: 'hotline_queue_length',
      help: 'Dialogs waiting per group',
      labelNames: ['group'],
      registers: [registry],
    }),
    queueWait: new Histogram({
      name: 'hotline_queue_wait_seconds',
      help: 'Time from enqueue to assignment',
      labelNames: ['group'],
      buckets: [1, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    assignments: new Counter({
      name: 'hotline_assignments_total',
      help: 'Dialogs assigned to operators',
      labelNames: ['group'],
      registers: [registry],
    }),
    operatorsOnline: new Gauge({
      name: 'hotline_operators_online',
      help: 'Operators online per group',
      labelNames: ['group'],
      registers: [registry],
    }),
    operatorLoad: new Gauge({
      name: 'hotline_operator_load',
      help: 'Dialogs held by each operator',
      labelNames: ['operator'],
      registers: [registry],
    }),
    autoMessages: new Counter({
      name: 'hotline_auto_messages_total',
      help: 'Auto-messages sent by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    contactsCaptured: new Counter({
      name: 'hotline_contacts_captured_total',
      help: 'Visitor contacts captured',
      registers: [registry],
    }),
    leadsFollowedUp: new Counter({
      name: 'hotline_leads_followed_up_total',
      help: 'Leads closed by an operator',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    abandoned: new Counter({
      name: 'hotline_dialogs_abandoned_total',
      help: 'Dialogs the visitor left before any answer',
      registers: [registry],
    }),
    visitorRateLimited: new Counter({
      name: 'hotline_visitor_rate_limited_total',
      help: 'Visitor events and handshakes refused by a limit',
      labelNames: ['action', 'scope'],
      registers: [registry],
    }),
    firstResponse: new Histogram({
      name: 'hotline_first_response_seconds',
      help: 'Time from the first visitor message to the first answer',
      labelNames: ['kind'],
      buckets: [1, 3, 5, 10, 20, 30, 60, 120, 300],
      registers: [registry],
    }),
    loginAttempts: new Counter({
      name: 'hotline_login_attempts_total',
      help: 'Login attempts by outcome (rate_limited ones never reached the password check)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
