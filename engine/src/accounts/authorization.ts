import { OPEN_STATES, stateName } from '../dialog/dialog-views';
import { forbidden, notFound } from '../errors';
import type { DialogState } from '@hotline/protocol';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { DialogRepository, Dialog } from '../storage/dialog-repository';
import type { VisitorRepository } from '../storage/visitor-repository';
import type { Operator, Role } from './operator-repository';

/** Who asks: his id, role and the groups of his routing profile. */
export interface Actor {
  id: string;
  role: Role;
  groups: readonly string[];
}

/** What a decision needs to know of a dialog. */
export interface DialogFacts {
  state: DialogState;
  groupId: string | null;
  operatorId: string | null;
}

/** Dialogs that wait for anyone of their group: the group's operators may look at them. */
const WAITING_FOR_GROUP: readonly DialogState[] = ['queued', 'lead'];

const isSupervisor = (actor: Actor) => actor.role === 'supervisor';
const holds = (actor: Actor, dialog: DialogFacts) =>
  dialog.operatorId !== null && dialog.operatorId === actor.id;
const inGroupOf = (actor: Actor, dialog: DialogFacts) =>
  dialog.groupId !== null && actor.groups.includes(dialog.groupId);

/**
 * Read a dialog (messages, visitor card, history): its holder, operators of its group while it
 * waits for the group (queued, lead), supervisors.
 */
export function mayReadDialog(actor: Actor, dialog: DialogFacts): boolean {
  return (
    isSupervisor(actor) ||
    holds(actor, dialog) ||
    (WAITING_FOR_GROUP.includes(dialog.state) && inGroupOf(actor, dialog))
  );
}

/** Close or block on a dialog: its holder, operators of a lead's group (they follow leads up), supervisors. */
export function mayActOnDialog(actor: Actor, dialog: DialogFacts): boolean {
  return isSupervisor(actor) || holds(actor, dialog) || (dialog.state === 'lead' && inGroupOf(actor, dialog));
}

/** Upload files to a dialog (operators' side): its holder and supervisors. */
export function mayUploadToDialog(actor: Actor, dialog: DialogFacts): boolean {
  return isSupervisor(actor) || holds(actor, dialog);
}

/** Pick a lead up: operators of its group and supervisors (the caller checks it is still a lead). */
export function mayPickLead(actor: Actor, dialog: DialogFacts): boolean {
  return isSupervisor(actor) || inGroupOf(actor, dialog);
}

/**
 * Read a visitor's card (contacts, address, pages): someone who may read one of his open dialogs —
 * the holder, an operator of the group his queued dialog or lead waits in — and supervisors.
 */
export function mayReadVisitor(actor: Actor, dialogsOfVisitor: readonly DialogFacts[]): boolean {
  return (
    isSupervisor(actor) ||
    dialogsOfVisitor.some((dialog) => OPEN_STATES.includes(dialog.state) && mayReadDialog(actor, dialog))
  );
}

/** Whose leads an operator sees in his list: his groups', or all for supervisors. */
export function leadGroupsOf(actor: Actor): readonly string[] | 'all' {
  return isSupervisor(actor) ? 'all' : actor.groups;
}

export const factsOf = (row: Dialog): DialogFacts => ({
  state: stateName(row.state),
  groupId: row.groupId,
  operatorId: row.operatorId,
});

/**
 * The lookups around the decisions above, shared by the socket handlers and REST: the actor's
 * groups come from the current routing config (profiles keyed by e-mail), the dialog's facts from
 * Postgres. Each `require*` answers `not_found` or `forbidden`, or returns what was read.
 */
export class Authorization {
  constructor(
    private readonly deps: {
      repo: DialogRepository;
      visitorRepo: VisitorRepository;
      decisions: () => RoutingDecisions;
    },
  ) {}

  actor(operator: Operator): Actor {
    const profile = this.deps.decisions().operatorProfiles().get(operator.email);
    return { id: operator.id, role: operator.role, groups: profile?.groups.map((g) => g.groupId) ?? [] };
  }

  async readableDialog(operator: Operator, dialogId: string): Promise<Dialog> {
    return this.checked(operator, dialogId, mayReadDialog);
  }

  async actionableDialog(operator: Operator, dialogId: string): Promise<Dialog> {
    return this.checked(operator, dialogId, mayActOnDialog);
  }

  async uploadableDialog(operator: Operator, dialogId: string): Promise<Dialog> {
    return this.checked(operator, dialogId, mayUploadToDialog);
  }

  async pickableLead(operator: Operator, dialogId: string): Promise<Dialog> {
    return this.checked(operator, dialogId, mayPickLead);
  }

  async requireVisitorReadable(operator: Operator, visitorId: string): Promise<void> {
    if (!(await this.deps.visitorRepo.findVisitor(visitorId))) throw notFound('visitor');
    const dialogs = await this.deps.repo.dialogsOfVisitor(visitorId);
    if (!mayReadVisitor(this.actor(operator), dialogs.map(factsOf)))
      throw forbidden('this visitor has no dialog of yours or of your groups');
  }

  /**
   * Close or block, as a dispatch's `authorize` hook: decided on the row each attempt decides on (the
   * row its write is checked against), so no row read before the write, nor a cached one, decides.
   */
  actOnDialog(operator: Operator): (row: Dialog) => void {
    return this.check(operator, mayActOnDialog);
  }

  private check(
    operator: Operator,
    may: (actor: Actor, dialog: DialogFacts) => boolean,
  ): (row: Dialog) => void {
    const actor = this.actor(operator);
    return (row) => {
      if (!may(actor, factsOf(row))) throw forbidden('this dialog is not yours nor of your groups');
    };
  }

  private async checked(
    operator: Operator,
    dialogId: string,
    may: (actor: Actor, dialog: DialogFacts) => boolean,
  ): Promise<Dialog> {
    const row = await this.deps.repo.findDialog(dialogId);
    if (!row) throw notFound('dialog');
    this.check(operator, may)(row);
    return row;
  }
}
