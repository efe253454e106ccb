import type { Operator, OperatorRepository } from './operator-repository';

/** What the routed path needs of an account: the key of his routing profile, and how he is shown. */
export type OperatorProfile = Pick<Operator, 'id' | 'email' | 'name' | 'displayName' | 'avatarUrl' | 'role'>;

/**
 * Every operator account, kept per node: ranking (id → e-mail, the key of his routing profile) runs on
 * every assignment and summaries, details and self-updates show names, while accounts change rarely
 * and the table is small. Read whole once (`load` at start), again after `invalidate` (an account
 * created or changed through this node), when an id not seen yet appears (a new account, at most once
 * per `missReloadMs`), and after `maxAgeMs` (changes made through another node).
 */
export class OperatorDirectory {
  private profiles = new Map<string, OperatorProfile>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      accounts: Pick<OperatorRepository, 'list'>;
      clock: () => number;
      /** A full reload after this long, so a change made through another node is seen (default 60 s). */
      maxAgeMs?: number;
      missReloadMs?: number;
    },
  ) {}

  /** Reads the table now (at start, so no dialog pays for it). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const operators = await this.deps.accounts.list();
        this.profiles = new Map(
          operators.map((o) => [
            o.id,
            {
              id: o.id,
              email: o.email.toLowerCase(),
              name: o.name,
              displayName: o.displayName,
              avatarUrl: o.avatarUrl,
              role: o.role,
            },
          ]),
        );
        this.loadedAt = this.deps.clock();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** An account was created or changed: the next look-up reads the table again. */
  invalidate() {
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  /** A lookup for these operators, fresh enough to rank them now. */
  async emailsOf(operatorIds: string[]): Promise<(operatorId: string) => string | undefined> {
    await this.fresh(operatorIds);
    return (operatorId) => this.profiles.get(operatorId)?.email;
  }

  /** One operator's profile (null: no such account). */
  async profile(operatorId: string): Promise<OperatorProfile | null> {
    await this.fresh([operatorId]);
    return this.profiles.get(operatorId) ?? null;
  }

  private async fresh(operatorIds: string[]) {
    const age = this.deps.clock() - this.loadedAt;
    const missing = operatorIds.some((id) => !this.profiles.has(id));
    if (age > (this.deps.maxAgeMs ?? 60_000) || (missing && age > (this.deps.missReloadMs ?? 1_000))) {
      await this.load();
    }
  }
}
