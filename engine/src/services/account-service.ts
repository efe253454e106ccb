import type { AuthService, OperatorSession } from '../accounts/auth-service';
import type { Operator, OperatorRepository } from '../accounts/operator-repository';
import { AppError, notFound } from '../errors';
import type { AuditRepository } from '../storage/audit-repository';
import type { OperatorService } from './operator-service';

type NewAccount = Parameters<OperatorRepository['create']>[0];
type AccountPatch = Parameters<OperatorRepository['update']>[1];

/**
 * Supervisors manage operators' accounts: each change is audited, a new account joins routing, and a
 * deactivation, a role change or a password reset ends the sessions it should (docs/protocol.md).
 */
export class AccountService {
  constructor(
    private readonly deps: {
      accounts: OperatorRepository;
      audit: AuditRepository;
      auth: AuthService;
      operators: Pick<OperatorService, 'setPresence'>;
      /** New accounts take part in routing (their profiles join the routing state). */
      syncRouting: () => Promise<void>;
    },
  ) {}

  list(): Promise<Operator[]> {
    return this.deps.accounts.list();
  }

  /** `conflict` at `email` when an account has it (also when two requests race: the unique index). */
  async create(actor: Operator, input: NewAccount): Promise<Operator> {
    const { accounts, audit } = this.deps;
    const created = await accounts.create(input).catch((error: unknown) => {
      if (isUniqueViolation(error))
        throw new AppError('conflict', 'an operator with this e-mail exists', 'email');
      throw error;
    });
    await audit.record({
      actorId: actor.id,
      action: 'operator.created',
      target: created.id,
      details: { email: created.email, role: created.role },
    });
    await this.deps.syncRouting();
    return created;
  }

  async update(
    actor: Operator,
    session: OperatorSession,
    id: string,
    patch: AccountPatch,
  ): Promise<Operator> {
    const { accounts, audit, operators } = this.deps;
    const before = await accounts.findById(id);
    const updated = await accounts.update(id, patch);
    if (!before || !updated) throw notFound('operator');
    const { password: _password, ...logged } = patch;
    await audit.record({
      actorId: actor.id,
      action: 'operator.updated',
      target: updated.id,
      details: logged,
    });
    if (patch.active === false) await operators.setPresence(updated, 'offline', { atOnce: true });
    await this.revokeAfter(before, updated, patch.password !== undefined, session);
    return updated;
  }

  /** Sessions end on deactivation, a role change, or a password reset (the resetter's own session stays). */
  private async revokeAfter(before: Operator, after: Operator, passwordReset: boolean, by: OperatorSession) {
    const { auth } = this.deps;
    if (before.active && !after.active) await auth.revokeAll(after.id, 'deactivated');
    else if (before.role !== after.role) await auth.revokeAll(after.id, 'role-changed');
    else if (passwordReset)
      await auth.revokeAll(
        after.id,
        'password-changed',
        after.id === by.operatorId ? by.sessionId : undefined,
      );
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === '23505';
}
