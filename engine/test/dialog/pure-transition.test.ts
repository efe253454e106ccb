import { expect } from 'chai';
import fc from 'fast-check';
import { initialTransition as xstateInitial, transition as xstateTransition } from 'xstate';
import {
  createDialogMachine,
  type DialogEvent,
  type DialogMachine,
  initialTransition,
  transition,
} from '../../src/dialog/dialog-machine';
import { defaultGroup, testPolicy } from './machine-harness';

const OPERATORS = ['op-a', 'op-b'];
const GROUPS = ['sales', 'support'];

/** An event of every kind the machine takes, chosen by `pick` and shaped by the snapshot's timers. */
function eventFor(pick: number, arg: number, flag: boolean, now: number, timers: string[]): DialogEvent {
  const operatorId = OPERATORS[arg % OPERATORS.length] ?? 'op-a';
  const groupId = GROUPS[arg % GROUPS.length] ?? 'sales';
  const route = { groupId, priority: arg % 3, fallbackChain: ['support'], operatorsOnline: arg % 2, now };
  const events: DialogEvent[] = [
    { type: 'ROUTE', ...route },
    { type: 'VISITOR_MESSAGE', now },
    { type: 'OPERATOR_MESSAGE', operatorId, now },
    { type: 'ASSIGNED', operatorId, ...(flag ? { groupId } : {}), now },
    { type: 'OFFERED', operatorId, now },
    { type: 'OFFER_DECLINED', operatorId, reason: flag ? 'declined' : 'expired', now },
    { type: 'HOLDER_GONE', operatorId, now },
    {
      type: 'THRESHOLD',
      key: timers[arg % Math.max(1, timers.length)] ?? 'none',
      idleEligible: flag,
      othersCanTake: !flag,
      now,
    },
    { type: 'CONTACT_LEFT', contact: { kind: 'phone', value: '+79990000000' }, now },
    { type: 'OPERATORS_AVAILABLE', now },
    { type: 'OPERATORS_GONE', now },
    { type: 'TRANSFER_TO_GROUP', groupId, fallbackChain: [], now },
    { type: 'TRANSFERRED', toOperatorId: operatorId, now },
    { type: 'LEAD_PICKED', operatorId, now },
    { type: 'CLOSE', by: flag ? 'visitor' : 'operator', outcome: 'resolved', now },
    { type: 'REOPEN', ...route },
  ];
  return events[pick % events.length] as DialogEvent;
}

const effectsOf = (actions: readonly { type: string; params?: unknown }[]) =>
  actions.map((a) => ({ type: a.type, params: a.params }));

describe('pure transitions on a shared inert scope (dialog-machine)', () => {
  it('when any sequence of events is run, then snapshots and actions equal xstate’s own pure transition()', () => {
    const machine: DialogMachine = createDialogMachine(
      testPolicy({ sales: defaultGroup({ fallback: 'support', reroute: true }), support: defaultGroup() }),
    );
    const step = fc.tuple(fc.nat(), fc.nat(), fc.boolean(), fc.integer({ min: 0, max: 400_000 }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let now = 1_000_000;
        const input = { dialogId: 'd1', kind: 'chat' as const, now };
        let [ours, ourActions] = initialTransition(machine, input);
        let [theirs, theirActions] = xstateInitial(machine, input);
        for (const [pick, arg, flag, wait] of steps) {
          expect(ours.value).to.equal(theirs.value);
          expect(ours.context).to.deep.equal(theirs.context);
          expect(effectsOf(ourActions)).to.deep.equal(effectsOf(theirActions));
          now += wait;
          const event = eventFor(pick, arg, flag, now, Object.keys(ours.context.timers));
          expect(ours.can(event)).to.equal(theirs.can(event));
          if (!ours.can(event)) continue;
          [ours, ourActions] = transition(machine, ours, event);
          [theirs, theirActions] = xstateTransition(machine, theirs, event);
        }
        expect(ours.value).to.equal(theirs.value);
        expect(ours.context).to.deep.equal(theirs.context);
        expect(effectsOf(ourActions)).to.deep.equal(effectsOf(theirActions));
      }),
      { numRuns: 300 },
    );
  });
});
