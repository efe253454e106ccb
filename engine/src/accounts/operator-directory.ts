import type { OperatorRepository } from './operator-repository';

/**
 * Operator id → e-mail, the key of his routing profile (skills, takes calls). Ranking runs on every
 * assignment and accounts change rarely, so the table is read whole and kept; an id not seen yet
 * (a new account) reloads it, at most once per `missReloadMs`.
 */
export class OperatorDirectory {
  private emails = new Map<string, string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      accounts: OperatorRepository;
      clock: () => number;
      /** A full reload after this long, so a changed e-mail is seen (default 60 s). */
      maxAgeMs?: number;
      missReloadMs?: number;
    },
  ) {}

  /** A lookup for these operators, fresh enough to rank them now. */
  async emailsOf(operatorIds: string[]): Promise<(operatorId: string) => string | undefined> {
    const age = this.deps.clock() - this.loadedAt;
    const missing = operatorIds.some((id) => !this.emails.has(id));
    if (age > (this.deps.maxAgeMs ?? 60_000) || (missing && age > (this.deps.missReloadMs ?? 1_000))) {
      await this.reload();
    }
    return (operatorId) => this.emails.get(operatorId);
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        this.emails = await this.deps.accounts.emails();
        this.loadedAt = this.deps.clock();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
