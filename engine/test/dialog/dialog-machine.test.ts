import { expect } from 'chai';
import { defaultGroup, MachineHarness, route } from './machine-harness';

describe('dialog machine', () => {
  describe('lifecycle', () => {
    it('when routed with operators online, then it is queued and asks for enqueue and assignment', () => {
      const m = new MachineHarness();
      m.send({ type: 'VISITOR_MESSAGE' });
      expect(m.send(route())).to.equal(true);
      expect(m.state).to.equal('queued');
      expect(m.effects.map((e) => e.type)).to.deep.equal(['enqueue', 'dispatchAssignments']);
      expect(m.context.queuedAt).to.equal(m.now);
    });

    it('when assigned and the operator answers, then it is active; closing releases his slot', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId: 'op1' });
      expect(m.state).to.equal('assigned');
      m.advance(1000).send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      expect(m.state).to.equal('active');
      expect(m.context.firstHumanResponseAt).to.equal(m.now);
      m.send({ type: 'CLOSE', by: 'operator', outcome: 'resolved' });
      expect(m.state).to.equal('closed');
      expect(m.effects).to.deep.include({ type: 'releaseHolder' });
    });

    it('when another operator tries to write, then the event is refused', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId: 'op1' });
      expect(m.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op2' })).to.equal(false);
    });

    it('when transferred to a group, then the dialog is re-queued there without releasing the holder again (the store moved the slot)', () => {
      const m = new MachineHarness({ sales: defaultGroup(), support: defaultGroup() });
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId: 'op1' });
      m.send({ type: 'TRANSFER_TO_GROUP', groupId: 'support', fallbackChain: [] });
      expect(m.state).to.equal('queued');
      expect(m.context.groupId).to.equal('support');
      expect(m.context.operatorId).to.equal(null);
      expect(m.effects.map((e) => e.type)).to.deep.equal(['enqueue', 'dispatchAssignments']);
    });

    it('when transferred to a named operator, then the new one holds it and no release is asked (the store moved the slot)', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId: 'op1' });
      m.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      m.send({ type: 'TRANSFERRED', toOperatorId: 'op2' });
      expect(m.state).to.equal('assigned');
      expect(m.context.operatorId).to.equal('op2');
      expect(m.effects).not.to.deep.include({ type: 'releaseHolder' });
    });

    it('when the visitor leaves before any answer, then the dialog is abandoned', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'CLOSE', by: 'visitor', outcome: 'visitor-left' });
      expect(m.state).to.equal('abandoned');
      expect(m.effects.map((e) => e.type)).to.deep.equal(['dequeue']);
    });

    it('when an assignment comes from the queue of a group the dialog has left, then it is refused', () => {
      const m = new MachineHarness();
      m.send(route());
      expect(m.context.groupId).to.equal('sales');
      expect(m.send({ type: 'ASSIGNED', operatorId: 'op1', groupId: 'support' })).to.equal(false);
      expect(m.send({ type: 'OFFERED', operatorId: 'op1', groupId: 'support' })).to.equal(false);
      expect(m.state).to.equal('queued');
      expect(m.send({ type: 'ASSIGNED', operatorId: 'op1', groupId: 'sales' })).to.equal(true);
      expect(m.state).to.equal('assigned');
    });

    it('when a closed dialog is reopened, then it is routed again', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId: 'op1' });
      m.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      m.send({ type: 'CLOSE', by: 'operator', outcome: 'resolved' });
      expect(
        m.send({ type: 'REOPEN', groupId: 'sales', priority: 0, fallbackChain: [], operatorsOnline: 1 }),
      ).to.equal(true);
      expect(m.state).to.equal('queued');
      expect(m.context.operatorId).to.equal(null);
      expect(m.context.closedAt).to.equal(null);
    });

    it('when the snapshot goes through JSON between every event, then the dialog continues', () => {
      const m = new MachineHarness();
      m.send({ type: 'VISITOR_MESSAGE' });
      m.roundTrip().send(route());
      m.roundTrip().send({ type: 'ASSIGNED', operatorId: 'op1' });
      m.roundTrip().send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      expect(m.roundTrip().state).to.equal('active');
    });
  });

  describe('offline and contact capture', () => {
    it('when nobody is online, then after the offline delay an auto-reply asks for a contact; the contact makes a lead', () => {
      const m = new MachineHarness();
      m.send(route('sales', 0));
      expect(m.state).to.equal('offline');
      m.send({ type: 'VISITOR_MESSAGE' });
      expect(m.context.timers).to.deep.equal({
        'offline-reply': { dueAt: m.now + 3000, kind: 'offline-reply' },
      });
      m.advance(2999);
      expect(m.fireDue()).to.deep.equal([]);
      m.advance(1);
      expect(m.fireDue()).to.deep.equal(['offline-reply']);
      expect(m.state).to.equal('awaiting-contact');
      expect(m.autoMessages()).to.deep.equal(['offline-reply']);
      expect(m.context.contactRequested).to.equal(true);
      m.send({ type: 'CONTACT_LEFT', contact: { kind: 'phone', value: '+79161234567' } });
      expect(m.state).to.equal('lead');
      expect(m.autoMessages()).to.deep.equal(['contact-thanks']);
      expect(m.effects.map((e) => e.type)).to.include('notifyLead');
    });

    it('when the group is closed by working hours, then it is offline even with operators online', () => {
      const m = new MachineHarness({ sales: defaultGroup({ open: false }) });
      m.send(route('sales', 3));
      expect(m.state).to.equal('offline');
    });

    it('when the offline threshold fires twice (two nodes), then only one auto-reply is sent', () => {
      const m = new MachineHarness();
      m.send(route('sales', 0));
      m.send({ type: 'VISITOR_MESSAGE' });
      m.advance(3000);
      expect(m.send({ type: 'THRESHOLD', key: 'offline-reply' })).to.equal(true);
      expect(m.send({ type: 'THRESHOLD', key: 'offline-reply' })).to.equal(false);
    });

    it('when an operator comes online before the visitor left a contact, then the dialog joins the queue', () => {
      const m = new MachineHarness();
      m.send(route('sales', 0));
      m.send({ type: 'VISITOR_MESSAGE' });
      m.send({ type: 'OPERATORS_AVAILABLE' });
      expect(m.state).to.equal('queued');
      expect(m.context.timers).not.to.have.property('offline-reply');
    });

    it('when a lead is picked up, then it is assigned to that operator', () => {
      const m = new MachineHarness();
      m.send(route('sales', 0));
      m.send({ type: 'CONTACT_LEFT', contact: { kind: 'email', value: 'a@b.co' } });
      m.send({ type: 'LEAD_PICKED', operatorId: 'op9' });
      expect(m.state).to.equal('assigned');
      expect(m.context.operatorId).to.equal('op9');
    });
  });

  describe('operator silent', () => {
    it('when the operator does not answer within the threshold, then one auto-message asks for contacts', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId: 'op1' });
      m.send({ type: 'VISITOR_MESSAGE' });
      const key = `unanswered:${m.now}`;
      m.advance(30_000);
      expect(m.fireDue()).to.deep.equal([key]);
      expect(m.autoMessages()).to.deep.equal(['unanswered', 'ask-contact']);
      expect(m.context.contactRequested).to.equal(true);
      m.send({ type: 'VISITOR_MESSAGE' });
      expect(m.context.timers, 'at most once per dialog').to.deep.equal({});
    });

    it('when the operator replies at the very instant the threshold is due, then exactly one outcome happens', () => {
      // Reply first: the timer is gone, the late THRESHOLD is refused.
      const a = new MachineHarness();
      a.send(route());
      a.send({ type: 'ASSIGNED', operatorId: 'op1' });
      a.send({ type: 'VISITOR_MESSAGE' });
      const key = Object.keys(a.context.timers)[0]!;
      a.advance(30_000).send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      expect(a.send({ type: 'THRESHOLD', key })).to.equal(false);
      // Threshold first: the auto-message is sent once, the reply still lands and nothing else fires.
      const b = new MachineHarness();
      b.send(route());
      b.send({ type: 'ASSIGNED', operatorId: 'op1' });
      b.send({ type: 'VISITOR_MESSAGE' });
      b.advance(30_000);
      expect(b.fireDue()).to.have.length(1);
      expect(b.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' })).to.equal(true);
      expect(b.context.timers).to.deep.equal({});
      expect(b.context.unansweredSent).to.equal(1);
    });

    it('when re-routing on silence is configured, then the silent operator is released and excluded', () => {
      const m = new MachineHarness({ sales: defaultGroup({ reroute: true }) });
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId: 'op1' });
      m.send({ type: 'VISITOR_MESSAGE' });
      m.advance(30_000).fireDue();
      expect(m.state).to.equal('queued');
      expect(m.context.excludedOperatorIds).to.deep.equal(['op1']);
      expect(m.effects.map((e) => e.type)).to.include.members([
        'releaseHolder',
        'enqueue',
        'sendAutoMessage',
      ]);
    });
  });

  describe('truthful auto-messages and a fair unanswered threshold', () => {
    const held = (group = defaultGroup(), operatorId = 'op1') => {
      const m = new MachineHarness({ sales: group });
      m.send(route());
      m.send({ type: 'ASSIGNED', operatorId });
      m.send({ type: 'VISITOR_MESSAGE' });
      return m;
    };

    it('when the operator is silent and the visitor already left a contact, then the unanswered message does not ask for it', () => {
      const m = held();
      m.send({ type: 'CONTACT_LEFT', contact: { kind: 'phone', value: '+15551234567' } });
      m.advance(30_000);
      expect(m.fireDue()).to.have.length(1);
      expect(m.autoMessages()).to.deep.equal(['unanswered']);
      expect(m.context.contactRequested).to.equal(false);
    });

    it('when the operator is silent in an answered dialog without a contact, then the message asks for one', () => {
      const m = held();
      m.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      m.advance(1000).send({ type: 'VISITOR_MESSAGE' });
      m.advance(30_000);
      expect(m.fireDue()).to.have.length(1);
      expect(m.state).to.equal('active');
      expect(m.autoMessages()).to.deep.equal(['unanswered', 'ask-contact']);
    });

    it('when re-routing is configured, then the pending threshold is marked as a reroute the console can count down to', () => {
      const m = held(defaultGroup({ reroute: true }));
      expect(Object.values(m.context.timers)).to.deep.equal([
        { dueAt: m.now + 30_000, kind: 'unanswered', reroute: true },
      ]);
      expect(Object.values(held().context.timers)[0]).to.not.have.property('reroute');
    });

    it('when the holder typed within the grace, then nothing is sent and the threshold waits until the grace after his typing', () => {
      const m = held(defaultGroup({ reroute: true, graceMs: 15_000 }));
      const key = Object.keys(m.context.timers)[0]!;
      m.advance(30_000);
      const typedAt = m.now - 5000;
      expect(m.fireDue({ holderTypingAt: typedAt, othersCanTake: true })).to.deep.equal([key]);
      expect(m.state).to.equal('assigned');
      expect(m.autoMessages()).to.deep.equal([]);
      expect(m.context.operatorId).to.equal('op1');
      expect(m.context.timers[key]?.dueAt).to.equal(typedAt + 15_000);
      // Typing long ago does not protect him: he is silent, someone else may take it.
      m.advance(10_000);
      expect(m.fireDue({ holderTypingAt: typedAt, othersCanTake: true })).to.deep.equal([key]);
      expect(m.state).to.equal('queued');
      expect(m.autoMessages()).to.deep.equal(['unanswered', 'ask-contact']);
      expect(m.context.excludedOperatorIds).to.deep.equal(['op1']);
      expect(m.context.excludedAt).to.deep.equal({ op1: m.now });
    });

    it('when re-routing is configured but nobody else may take the dialog, then it stays with him and the visitor still hears from us', () => {
      const m = held(defaultGroup({ reroute: true }));
      m.advance(30_000);
      expect(m.fireDue({ othersCanTake: false })).to.have.length(1);
      expect(m.state).to.equal('assigned');
      expect(m.context.operatorId).to.equal('op1');
      expect(m.context.excludedOperatorIds).to.deep.equal([]);
      expect(m.effects.map((e) => e.type)).to.not.include('releaseHolder');
      expect(m.autoMessages()).to.deep.equal(['unanswered', 'ask-contact']);
    });

    it('when a dialog stayed with its only possible operator, then it is checked again after the grace and moves, silently, once someone else may take it', () => {
      const m = held(defaultGroup({ reroute: true, graceMs: 15_000 }));
      m.advance(30_000);
      m.fireDue({ othersCanTake: false });
      expect(m.state).to.equal('assigned');
      const [checkKey, check] = Object.entries(m.context.timers)[0]!;
      expect(check).to.deep.equal({ dueAt: m.now + 15_000, kind: 'reroute-check', reroute: true });
      // The visitor writes again: the check stays planned.
      m.advance(5000).send({ type: 'VISITOR_MESSAGE' });
      expect(m.context.timers[checkKey]).to.deep.equal(check);
      // Still nobody else: look again later, say nothing.
      m.advance(10_000);
      expect(m.fireDue({ othersCanTake: false })).to.deep.equal([checkKey]);
      expect(m.state).to.equal('assigned');
      expect(m.autoMessages()).to.deep.equal([]);
      expect(Object.values(m.context.timers).map((t) => t.kind)).to.deep.equal(['reroute-check']);
      // Someone else came online: the dialog goes back to the queue without him, and nothing is said.
      m.advance(15_000);
      expect(m.fireDue({ othersCanTake: true })).to.have.length(1);
      expect(m.state).to.equal('queued');
      expect(m.autoMessages()).to.deep.equal([]);
      expect(m.context.excludedOperatorIds).to.deep.equal(['op1']);
      expect(m.effects.map((e) => e.type)).to.include('releaseHolder');
      expect(m.context.fired.filter((k) => k.startsWith('reroute-check'))).to.deep.equal([]);
    });

    it('when a dialog kept by its only operator is transferred, then the new holder does not inherit the reroute check', () => {
      const m = held(defaultGroup({ reroute: true }));
      m.advance(30_000);
      m.fireDue({ othersCanTake: false });
      m.send({ type: 'TRANSFERRED', toOperatorId: 'op2' });
      expect(Object.values(m.context.timers).map((t) => t.kind)).to.not.include('reroute-check');
    });

    it('when "all busy" is due while someone who may take the dialog has room, then nothing is said and assignment is triggered', () => {
      const m = new MachineHarness();
      m.send(route());
      m.advance(60_000);
      expect(m.fireDue({ idleEligible: true })).to.have.length(1);
      expect(m.autoMessages()).to.deep.equal([]);
      expect(m.effects).to.deep.include({ type: 'dispatchAssignments', groupId: 'sales' });
      expect(m.context.contactRequested).to.equal(false);
    });

    it('when "all busy, leave a contact" is due and the contact is known, then the visitor hears his place instead of being asked again', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'CONTACT_LEFT', contact: { kind: 'email', value: 'v@example.com' } });
      m.advance(60_000);
      expect(m.fireDue({ idleEligible: false })).to.have.length(1);
      expect(m.autoMessages()).to.deep.equal(['queue-position']);
      expect(m.context.contactRequested).to.equal(false);
    });

    it('when the offline reply is due and the contact is already known, then it thanks instead of asking and becomes a lead', () => {
      const m = new MachineHarness({ sales: defaultGroup({ open: false }) });
      m.send(route());
      m.send({ type: 'VISITOR_MESSAGE' });
      // A dialog reopened with its contact: the contact is in the context while offline.
      m.snapshot = m.machine.resolveState({
        value: 'offline',
        context: { ...m.context, contact: { kind: 'phone', value: '+15550000000' } },
      });
      m.advance(3000);
      expect(m.fireDue({ idleEligible: false })).to.have.length(1);
      expect(m.state).to.equal('lead');
      expect(m.autoMessages()).to.deep.equal(['contact-thanks']);
    });

    it('when the offline reply is due but someone may serve the open group, then the dialog is queued and no "offline" is said', () => {
      const m = new MachineHarness({ sales: defaultGroup({ open: true }) });
      m.send(route('sales', 0));
      expect(m.state).to.equal('offline');
      m.send({ type: 'VISITOR_MESSAGE' });
      m.advance(3000);
      expect(m.fireDue({ idleEligible: true })).to.have.length(1);
      expect(m.state).to.equal('queued');
      expect(m.autoMessages()).to.deep.equal([]);
    });

    it('when the holder of an answered dialog is typing as the unanswered threshold comes, then "sorry for the wait" waits for the grace', () => {
      const m = held();
      m.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      m.advance(60_000).send({ type: 'VISITOR_MESSAGE' });
      m.advance(30_000);
      expect(m.fireDue({ holderTypingAt: m.now - 1000 })).to.have.length(1);
      expect(m.autoMessages()).to.deep.equal([]);
      m.advance(14_000);
      expect(m.fireDue({ holderTypingAt: m.now - 15_000 })).to.have.length(1);
      expect(m.autoMessages()).to.deep.equal(['unanswered', 'ask-contact']);
    });

    it("when a transferred dialog falls silent, then the previous holder's recent message does not protect the new one", () => {
      const m = held(defaultGroup({ reroute: true, unansweredMs: 5000 }));
      m.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
      m.advance(1000).send({ type: 'TRANSFERRED', toOperatorId: 'op2' });
      m.send({ type: 'VISITOR_MESSAGE' });
      m.advance(5000);
      expect(m.fireDue({ othersCanTake: true })).to.have.length(1);
      expect(m.state).to.equal('queued');
      expect(m.context.excludedOperatorIds).to.deep.equal(['op2']);
    });

    it('when the position announcement is due while someone who may take the dialog has room, then it assigns instead of announcing', () => {
      const m = new MachineHarness({
        sales: defaultGroup({ queueWait: [{ afterMs: 10_000, kind: 'queue-position' }] }),
      });
      m.send(route());
      m.advance(10_000);
      expect(m.fireDue({ idleEligible: true })).to.have.length(1);
      expect(m.autoMessages()).to.deep.equal([]);
      expect(m.effects).to.deep.include({ type: 'dispatchAssignments', groupId: 'sales' });
    });

    it('when a snapshot from before excludedAt existed is restored, then exclusion still works and records the time', () => {
      const m = held(defaultGroup({ reroute: true }));
      const { excludedAt: _, ...old } = m.context;
      m.snapshot = m.machine.resolveState({ value: 'assigned', context: old as typeof m.context });
      m.roundTrip().advance(30_000);
      m.fireDue();
      expect(m.state).to.equal('queued');
      expect(m.context.excludedAt).to.deep.equal({ op1: m.now });
    });
  });

  describe('long queue wait', () => {
    it('when the first wait threshold passes, then the visitor is offered to leave a contact; at the next, it overflows to the fallback group', () => {
      const m = new MachineHarness({ sales: defaultGroup({ fallback: 'support' }), support: defaultGroup() });
      m.send(route());
      m.advance(60_000);
      expect(m.fireDue()).to.have.length(1);
      expect(m.autoMessages()).to.deep.equal(['queue-offer-contact']);
      expect(m.context.contactRequested).to.equal(true);
      m.advance(120_000);
      m.fireDue();
      expect(m.state).to.equal('queued');
      expect(m.context.groupId).to.equal('support');
      expect(m.effects.map((e) => e.type)).to.deep.equal(['dequeue', 'enqueue', 'dispatchAssignments']);
    });

    it('when the overflow threshold passes without a fallback group, then secondary-tier operators become eligible', () => {
      const m = new MachineHarness({
        sales: defaultGroup({ queueWait: [{ afterMs: 10_000, kind: 'overflow' }] }),
      });
      m.send(route());
      m.advance(10_000).fireDue();
      expect(m.context.widened).to.equal(true);
      expect(m.effects.map((e) => e.type)).to.include('dispatchAssignments');
    });

    it('when a queued visitor with a contact leaves, then the dialog becomes a lead rather than abandoned', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'CONTACT_LEFT', contact: { kind: 'email', value: 'a@b.co' } });
      m.send({ type: 'CLOSE', by: 'visitor', outcome: 'visitor-left' });
      expect(m.state).to.equal('lead');
    });

    it('when an offer is declined, then the dialog is queued again, keeps its wait clock and excludes that operator', () => {
      const m = new MachineHarness();
      m.send(route());
      const queuedAt = m.context.queuedAt;
      m.send({ type: 'OFFERED', operatorId: 'op1' });
      expect(m.state).to.equal('offered');
      m.advance(20_000).send({ type: 'OFFER_DECLINED', operatorId: 'op1', reason: 'expired' });
      expect(m.state).to.equal('queued');
      expect(m.context.queuedAt).to.equal(queuedAt);
      expect(m.context.excludedOperatorIds).to.deep.equal(['op1']);
    });

    it('when an offer is declined, then the exclusion records when it began (exclusions expire)', () => {
      const m = new MachineHarness();
      m.send(route());
      m.send({ type: 'OFFERED', operatorId: 'op1' });
      m.advance(5_000).send({ type: 'OFFER_DECLINED', operatorId: 'op1', reason: 'declined' });
      expect(m.context.excludedAt).to.deep.equal({ op1: m.now });
      m.send({ type: 'ASSIGNED', operatorId: 'op2' });
      expect(m.context.excludedAt).to.deep.equal({});
    });

    for (const held of ['offered', 'assigned', 'active'] as const) {
      it(`when the holder of an ${held} dialog is gone, then it waits in the queue again without him, with a fresh queue clock; another operator's departure changes nothing`, () => {
        const m = new MachineHarness();
        m.send(route());
        m.send({ type: held === 'offered' ? 'OFFERED' : 'ASSIGNED', operatorId: 'op1' });
        if (held === 'active') m.send({ type: 'OPERATOR_MESSAGE', operatorId: 'op1' });
        expect(m.state).to.equal(held);
        expect(m.send({ type: 'HOLDER_GONE', operatorId: 'op2' })).to.equal(false);
        m.advance(300_000);
        expect(m.send({ type: 'HOLDER_GONE', operatorId: 'op1' })).to.equal(true);
        expect(m.state).to.equal('queued');
        expect(m.context.operatorId).to.equal(null);
        expect(m.context.queuedAt).to.equal(m.now);
        expect(m.effects.map((e) => e.type)).to.include.members(['enqueue', 'dispatchAssignments']);
        expect(m.effects.map((e) => e.type)).to.not.include('releaseHolder');
      });
    }
  });
});
