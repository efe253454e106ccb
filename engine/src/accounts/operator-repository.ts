import { randomUUID } from 'node:crypto';
import type { Presence } from '@hotline/protocol';
import type { Database } from '../storage/database';
import { hashPassword } from './passwords';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Role = 'operator' | 'supervisor';
/** The console languages an operator may choose; null follows his browser. */
export const OPERATOR_LOCALES = ['en', 'ru'] as const;
export type OperatorLocale = (typeof OPERATOR_LOCALES)[number];

export interface Operator {
  id: string;
  email: string;
  name: string;
  displayName: string | null;
  avatarUrl: string | null;
  role: Role;
  active: boolean;
  locale: OperatorLocale | null;
}

export interface OperatorRow {
  id: string;
  email: string;
  name: string;
  display_name: string | null;
  avatar_url: string | null;
  role: Role;
  active: boolean;
  locale: OperatorLocale | null;
  password_hash: string;
  presence: Presence;
  presence_changed_at: Date | string | null;
}

/** A dialog Postgres gives to an operator who is offline, with when he went offline. */
export interface HeldByOffline {
  dialogId: string;
  operatorId: string;
  groupId: string | null;
  version: number;
  offlineSince: number;
}

const timeOf = (value: Date | string | null) =>
  value ? new Date(value).getTime() : Number.NEGATIVE_INFINITY;

export const toOperator = (row: OperatorRow): Operator => ({
  id: row.id,
  email: row.email,
  name: row.name,
  displayName: row.display_name,
  avatarUrl: row.avatar_url,
  role: row.role,
  active: row.active,
  locale: row.locale ?? null,
});

/**
 * The one home of the `operators` table: accounts (identity, role, password, language) and their
 * durable presence. Routing profiles live in the routing config.
 */
export class OperatorRepository {
  constructor(private readonly db: Database) {}

  async findByEmailWithHash(email: string): Promise<(Operator & { passwordHash: string }) | null> {
    const row = await this.db<OperatorRow>('operators').where({ email: email.toLowerCase() }).first();
    return row ? { ...toOperator(row), passwordHash: row.password_hash } : null;
  }

  async findById(id: string): Promise<Operator | null> {
    // A session's subject is only a claim: a non-UUID one is nobody, not a Postgres cast error.
    if (!UUID.test(id)) return null;
    const row = await this.db<OperatorRow>('operators').where({ id }).first();
    return row ? toOperator(row) : null;
  }

  async list(): Promise<Operator[]> {
    const rows = await this.db<OperatorRow>('operators').orderBy('email');
    return rows.map(toOperator);
  }

  async count(): Promise<number> {
    const [row] = await this.db('operators').count<{ count: string | number }[]>('id as count');
    return Number(row?.count ?? 0);
  }

  async create(input: {
    email: string;
    name: string;
    password: string;
    role: Role;
    displayName?: string | null;
    avatarUrl?: string | null;
  }): Promise<Operator> {
    const [row] = await this.db<OperatorRow>('operators')
      .insert({
        id: randomUUID(),
        email: input.email.toLowerCase(),
        name: input.name,
        display_name: input.displayName ?? null,
        avatar_url: input.avatarUrl ?? null,
        role: input.role,
        active: true,
        password_hash: await hashPassword(input.password),
      })
      .returning('*');
    return toOperator(row!);
  }

  async update(
    id: string,
    patch: Partial<{
      name: string;
      displayName: string | null;
      avatarUrl: string | null;
      role: Role;
      active: boolean;
      password: string;
      locale: OperatorLocale | null;
    }>,
  ): Promise<Operator | null> {
    const changes: Partial<OperatorRow> & { updated_at: Date } = { updated_at: new Date() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.displayName !== undefined) changes.display_name = patch.displayName;
    if (patch.avatarUrl !== undefined) changes.avatar_url = patch.avatarUrl;
    if (patch.role !== undefined) changes.role = patch.role;
    if (patch.active !== undefined) changes.active = patch.active;
    if (patch.locale !== undefined) changes.locale = patch.locale;
    if (patch.password !== undefined) changes.password_hash = await hashPassword(patch.password);
    await this.db('operators').where({ id }).update(changes);
    return this.findById(id);
  }

  /** A stronger hash of the same password (a legacy bcrypt hash upgraded at login): not a password change. */
  async replacePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db('operators').where({ id }).update({ password_hash: passwordHash });
  }

  /** Active accounts with the presence Postgres last recorded (rebuilding the routing state). */
  async activePresence(): Promise<{ id: string; email: string; presence: Presence }[]> {
    return this.db<OperatorRow>('operators').where({ active: true }).select('id', 'email', 'presence');
  }

  /** Records a presence; the time changes only with the presence, so a keep period counts from going offline. */
  async recordPresence(id: string, presence: Presence, at: number): Promise<void> {
    await this.db('operators')
      .where({ id })
      .update({
        presence,
        presence_changed_at: this.db.raw(
          'case when presence = ? and presence_changed_at is not null then presence_changed_at else ? end',
          [presence, new Date(at)],
        ),
      });
  }

  /** His recorded presence and since when (-Infinity when never recorded); null for no such account. */
  async presenceOf(id: string): Promise<{ presence: Presence; since: number } | null> {
    const row = await this.db<OperatorRow>('operators')
      .where({ id })
      .first('presence', 'presence_changed_at');
    return row ? { presence: row.presence, since: timeOf(row.presence_changed_at) } : null;
  }

  /** Open dialogs Postgres gives to operators recorded offline. */
  async dialogsHeldByOffline(): Promise<HeldByOffline[]> {
    const rows = await this.db('dialogs')
      .join('operators', 'operators.id', 'dialogs.operator_id')
      .whereIn('dialogs.state', ['offered', 'assigned', 'active'])
      .where('operators.presence', 'offline')
      .select<
        {
          id: string;
          operator_id: string;
          group_id: string | null;
          version: number;
          presence_changed_at: Date | string | null;
        }[]
      >(
        'dialogs.id',
        'dialogs.operator_id',
        'dialogs.group_id',
        'dialogs.version',
        'operators.presence_changed_at',
      );
    return rows.map((row) => ({
      dialogId: row.id,
      operatorId: row.operator_id,
      groupId: row.group_id,
      version: row.version,
      offlineSince: timeOf(row.presence_changed_at),
    }));
  }
}
