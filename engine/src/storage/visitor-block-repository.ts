import type { Knex } from 'knex';

/** Blocked client addresses, each until its expiry (table `visitor_blocks`). */
export class VisitorBlockRepository {
  constructor(private readonly db: Knex) {}

  /** Blocks the address until `until`; a block already there takes the later expiry. */
  async blockAddress(block: { address: string; visitorId: string; reason: string; at: Date; until: Date }) {
    await this.db('visitor_blocks')
      .insert({
        address: block.address,
        visitor_id: block.visitorId,
        reason: block.reason,
        blocked_at: block.at,
        expires_at: block.until,
      })
      .onConflict('address')
      .merge({
        visitor_id: block.visitorId,
        reason: block.reason,
        blocked_at: block.at,
        expires_at: this.db.raw('greatest(visitor_blocks.expires_at, excluded.expires_at)'),
      });
  }

  /** Whether the address is blocked at `now`. */
  async isAddressBlocked(address: string, now: Date): Promise<boolean> {
    const row = await this.db('visitor_blocks')
      .where({ address })
      .andWhere('expires_at', '>', now)
      .first('address');
    return row !== undefined;
  }
}
