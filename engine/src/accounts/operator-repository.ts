import { randomUUID } from 'node:crypto';
import type { Database } from '../storage/database';
import { hashPassword } from './passwords';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Role = 'operator' | 'supervisor';

export interface Operator {
  id: string;
  email: string;
  name: string;
  displayName: string | null;
  avatarUrl: string | null;
  role: Role;
  active: boolean;
}

export interface OperatorRow {
  id: string;
  email: string;
  name: string;
  display_name: string | null;
  avatar_url: string | null;
  role: Role;
  active: boolean;
  password_hash: string;
}

export const toOperator = (row: OperatorRow): Operator => ({
  id: row.id,
  email: row.email,
  name: row.name,
  displayName: row.display_name,
  avatarUrl: row.avatar_url,
  role: row.role,
  active: row.active,
});

/** Operators' accounts (identity, role, password). Routing profiles live in the routing config. */
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
    const row: OperatorRow = {
      id: randomUUID(),
      email: input.email.toLowerCase(),
      name: input.name,
      display_name: input.displayName ?? null,
      avatar_url: input.avatarUrl ?? null,
      role: input.role,
      active: true,
      password_hash: await hashPassword(input.password),
    };
    await this.db('operators').insert(row);
    return toOperator(row);
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
    }>,
  ): Promise<Operator | null> {
    const changes: Partial<OperatorRow> & { updated_at: Date } = { updated_at: new Date() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.displayName !== undefined) changes.display_name = patch.displayName;
    if (patch.avatarUrl !== undefined) changes.avatar_url = patch.avatarUrl;
    if (patch.role !== undefined) changes.role = patch.role;
    if (patch.active !== undefined) changes.active = patch.active;
    if (patch.password !== undefined) changes.password_hash = await hashPassword(patch.password);
    await this.db('operators').where({ id }).update(changes);
    return this.findById(id);
  }

  /** A stronger hash of the same password (a legacy bcrypt hash upgraded at login): not a password change. */
  async replacePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db('operators').where({ id }).update({ password_hash: passwordHash });
  }
}
