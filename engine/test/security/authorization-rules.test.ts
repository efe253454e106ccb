import { expect } from 'chai';
import {
  type Actor,
  type DialogFacts,
  leadGroupsOf,
  mayActOnDialog,
  mayPickLead,
  mayReadDialog,
  mayReadVisitor,
} from '../../src/accounts/authorization';
import type { DialogState } from '@hotline/protocol';

const anna: Actor = { id: 'anna', role: 'operator', groups: ['sales', 'support'] };
const boris: Actor = { id: 'boris', role: 'operator', groups: ['delivery'] };
const nobody: Actor = { id: 'nobody', role: 'operator', groups: [] };
const admin: Actor = { id: 'admin', role: 'supervisor', groups: [] };
const dialog = (
  state: DialogState,
  groupId: string | null,
  operatorId: string | null = null,
): DialogFacts => ({ state, groupId, operatorId });

describe('authorization decisions (pure)', () => {
  it('when a dialog waits for a group, then only that group and supervisors may read it; once held, only its holder and supervisors', () => {
    const cases: [Actor, DialogFacts, boolean][] = [
      [anna, dialog('queued', 'sales'), true],
      [anna, dialog('lead', 'support'), true],
      [boris, dialog('queued', 'sales'), false],
      [boris, dialog('lead', 'support'), false],
      [anna, dialog('offline', 'sales'), false],
      [anna, dialog('awaiting-contact', 'sales'), false],
      [anna, dialog('assigned', 'sales', 'carl'), false],
      [anna, dialog('assigned', 'sales', 'anna'), true],
      [anna, dialog('closed', 'delivery', 'anna'), true],
      [nobody, dialog('queued', null), false],
      [admin, dialog('active', 'delivery', 'boris'), true],
    ];
    for (const [actor, facts, allowed] of cases)
      expect(mayReadDialog(actor, facts), `${actor.id} reads ${JSON.stringify(facts)}`).to.equal(allowed);
  });

  it("when someone closes, blocks or picks up, then holders act on theirs, a lead is its group's, and nothing else is anyone's but a supervisor's", () => {
    expect(mayActOnDialog(anna, dialog('lead', 'sales'))).to.equal(true);
    expect(mayActOnDialog(boris, dialog('lead', 'sales'))).to.equal(false);
    expect(mayActOnDialog(anna, dialog('queued', 'sales'))).to.equal(false);
    expect(mayActOnDialog(anna, dialog('active', 'delivery', 'anna'))).to.equal(true);
    expect(mayActOnDialog(anna, dialog('active', 'sales', 'carl'))).to.equal(false);
    expect(mayActOnDialog(admin, dialog('active', 'sales', 'carl'))).to.equal(true);
    expect(mayPickLead(anna, dialog('lead', 'support'))).to.equal(true);
    expect(mayPickLead(boris, dialog('lead', 'support'))).to.equal(false);
    expect(mayPickLead(admin, dialog('lead', 'support'))).to.equal(true);
  });

  it('when a visitor card is asked for, then one readable open dialog of his is needed (a closed one is not enough)', () => {
    expect(mayReadVisitor(anna, [dialog('closed', 'sales', 'anna'), dialog('queued', 'sales')])).to.equal(
      true,
    );
    expect(mayReadVisitor(anna, [dialog('closed', 'sales', 'anna')])).to.equal(false);
    expect(mayReadVisitor(boris, [dialog('lead', 'sales'), dialog('assigned', 'delivery', 'dina')])).to.equal(
      false,
    );
    expect(mayReadVisitor(boris, [dialog('assigned', 'delivery', 'boris')])).to.equal(true);
    expect(mayReadVisitor(admin, [])).to.equal(true);
    expect(leadGroupsOf(anna)).to.deep.equal(['sales', 'support']);
    expect(leadGroupsOf(admin)).to.equal('all');
  });
});
