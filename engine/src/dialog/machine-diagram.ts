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
          const guard = t.guard ? ` [${typeof t.guard === 'string' ? t.guard : ((t.guard as { type?: string }).type ?? 'guard')}]` : '';
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

export function machineDoc(machine: DialogMachine): string {
  const events = new Set<string>();
  for (const state of Object.values(machine.root.states)) for (const [type] of state.transitions) events.add(type);
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
  ].join('\n');
}
