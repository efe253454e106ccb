import type { Knex } from 'knex';
import { runPrepared } from './database';

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
    // Named: every handshake asks.
    const rows = await runPrepared(
      this.db,
      'hotline_address_blocked',
      'select 1 from visitor_blocks where address = ? and expires_at > ? limit 1',
      [address, now],
    );
    return rows.length > 0;
  }
}
