import type { DialogMachine } from './dialog-machine';

/**
 * A Mermaid state diagram generated from the machine definition itself (states, events, targets),
 * so the documentation cannot drift from the code.
 */
export function machineDiagram(machine: DialogMachine): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${machine.root.initial?.target[0]?.key ?? 'created'}`];
  const seen = new Set<string>();
  for (const state of Object.values(machine.root.states)) {
    for (const [eventType, transitions] of state.transitions) {
      for (const t of transitions) {
        const targets = t.target?.map((s) => s.key) ?? [state.key];
        for (const target of targets) {
          const guard = t.guard
            ? ` [${typeof t.guard === 'string' ? t.guard : ((t.guard as { type?: string }).type ?? 'guard')}]`
            : '';
          const line = `  ${mermaidId(state.key)} --> ${mermaidId(target)}: ${eventType}${guard}`;
          if (target === state.key && !t.target) continue; // internal actions only
          if (!seen.has(line)) {
            seen.add(line);
            lines.push(line);
          }
        }
      }
    }
  }
  return lines.join('\n');
}

const mermaidId = (key: string) => key.replace(/-/g, '_');

/** How THRESHOLD guards keep auto-messages true and the unanswered threshold fair (issue 12). */
const THRESHOLD_NOTES = [
  '## Thresholds and auto-messages',
  '',
  'The timer worker fires a due threshold as `THRESHOLD { key }` plus facts it observed for the dialog as',
  'loaded under its lock, so the guards stay pure: `idleEligible` (someone who may take the dialog now —',
  'online, in its group/tier, under his limit, not excluded — has room; ranked by routing-rules as an',
  'assignment would), `othersCanTake` (someone besides the holder may take it, any tier) and',
  "`holderTypingAt` (the holder's last `typing:set true`, from the routing store). Missing facts keep the",
  'plain behaviour. Each auto-message checks the dialog when it fires:',
  '',
  '- unanswered (assigned/active): nothing yet while the holder is busy (below); then `unanswered`, and',
  '  `ask-contact` (and `contactRequested`) only when no contact is known;',
  "- the queue's position step: silent and `dispatchAssignments` when `idleEligible`;",
  '- the queue\'s offer-contact step ("all busy, leave a contact"): silent and `dispatchAssignments` when',
  '  `idleEligible`; the position (`queue-position`) when the contact is known; else the offer;',
  '- offline reply: the dialog is queued instead when `idleEligible` and the group is open; `contact-thanks`',
  '  and a lead when the contact is already known; else the offer to leave one.',
  '',
  '`holderBusy` (assigned, active) — the holder typed, or wrote since he got the dialog, within the',
  "group's `unansweredGraceSeconds` — moves the timer to that moment plus the grace and says nothing.",
  'With `rerouteOnUnanswered` (`assigned` only) the dialog then goes back to the queue excluding him',
  '(`excludedOperatorIds`, with the time in `excludedAt`) only when `othersCanTake`; when he is the only',
  'one, it stays with him and only the messages go out, and a silent `reroute-check` timer looks again',
  'every grace period, moving the dialog as soon as someone else may take it (a new holder starts without',
  'it). Reroute timers carry `reroute: true`, which the protocol shows as `DialogSummary.rerouteAt`.',
  'Snapshots written before `excludedAt` load unchanged (it is optional).',
  '',
  '## Liveness: what the machine guarantees',
  '',
  "The bounds and how they are tested are in README (Guarantees: L1–L4). The machine's part:",
  '',
  "- **L1**: no state waits for nothing. `queued` and `offered` plan the queue's steps (position,",
  '  "leave a contact", widen, overflow), which go on while an offer is pending (an overflow withdraws',
  '  it); `offline` plans its reply, once per offline period (`offline-reply`, then',
  '  `offline-reply:<offlineSince>` when a queue lost its operators or a closed dialog reopened).',
  "- **L2**: `excludedOperatorIds` with `excludedAt` are facts for routing-rules' ranking, which lets an",
  '  exclusion lapse (round over, or `exclusionSeconds`); an assignment clears them.',
  '- **L3**: `created` is never stored by a start (`DialogService.create` runs `ROUTE` before the insert);',
  '  `offered` ends on `ASSIGNED`, `OFFER_DECLINED` (decline or expiry) or `HOLDER_GONE`.',
  '- **L4**: `HOLDER_GONE` (from the holder only, in `offered`, `assigned`, `active`) puts the dialog back',
  '  in `queued` after the store gave it back its queue place (operator offline past the grace,',
  '  deactivated, or his node dead).',
  '',
];

export function machineDoc(machine: DialogMachine): string {
  const events = new Set<string>();
  for (const state of Object.values(machine.root.states))
    for (const [type] of state.transitions) events.add(type);
  return [
    '# Dialog lifecycle',
    '',
    'Generated from `engine/src/dialog/dialog-machine.ts` by `npm run docs:machine`; a test fails when it is stale.',
    'Every event also carries `now` (epoch ms). Internal transitions (actions without a state change) are not drawn.',
    '',
    '```mermaid',
    machineDiagram(machine),
    '```',
    '',
    '## States',
    '',
    ...Object.keys(machine.root.states).map((key) => `- \`${key}\``),
    '',
    '## Events',
    '',
    ...[...events].sort().map((type) => `- \`${type}\``),
    '',
    ...THRESHOLD_NOTES,
  ].join('\n');
}
