import type { Executor } from '../storage/dialog-rows';
import type { Database } from '../storage/database';

export type AttachmentStatus = 'pending' | 'uploading' | 'ready' | 'used' | 'refused';
export type UploaderKind = 'visitor' | 'operator';

/** Who uploads: the dialog's visitor or an operator (holder or supervisor). */
export interface Uploader {
  kind: UploaderKind;
  id: string;
}

export interface AttachmentRow {
  id: string;
  dialog_id: string;
  site_id: string;
  uploaded_by_kind: UploaderKind;
  uploaded_by: string;
  name: string;
  declared_type: string;
  type: string | null;
  size: string | number;
  kind: 'image' | 'file' | null;
  width: number | null;
  height: number | null;
  status: AttachmentStatus;
  storage_key: string | null;
  thumbnail_key: string | null;
  message_id: string | null;
  created_at: Date;
  uploaded_at: Date | null;
  removed_at: Date | null;
}

/** Statuses whose bytes count against the dialog's limit (a refused upload's never do). */
const COUNTED: AttachmentStatus[] = ['pending', 'uploading', 'ready', 'used'];

/** Rows of `attachments`; the bytes are the FileStore's. */
export class AttachmentRepository {
  constructor(private readonly db: Database) {}

  async insert(
    row: Pick<
      AttachmentRow,
      | 'id'
      | 'dialog_id'
      | 'site_id'
      | 'uploaded_by_kind'
      | 'uploaded_by'
      | 'name'
      | 'declared_type'
      | 'size'
      | 'created_at'
    >,
  ): Promise<void> {
    await this.db('attachments').insert({ ...row, status: 'pending' });
  }

  async find(id: string): Promise<AttachmentRow | null> {
    return (await this.db<AttachmentRow>('attachments').where({ id }).first()) ?? null;
  }

  /** Bytes the dialog's files take or have reserved (announced sizes until uploaded, then stored sizes). */
  async dialogBytes(dialogId: string): Promise<number> {
    const row = await this.db('attachments')
      .where({ dialog_id: dialogId })
      .whereIn('status', COUNTED)
      .whereNull('removed_at')
      .sum({ total: 'size' })
      .first();
    return Number(row?.total ?? 0);
  }

  /** Moves the row from `from` to `to` if it is still in `from`; the row as it was, or null. */
  async transition(
    id: string,
    from: AttachmentStatus,
    to: AttachmentStatus,
    fields: Partial<AttachmentRow> = {},
  ): Promise<boolean> {
    const updated = await this.db('attachments')
      .where({ id, status: from })
      .update({ ...fields, status: to });
    return updated === 1;
  }

  /**
   * Marks the uploader's ready files of this dialog as sent with the message, in its transaction.
   * False (and nothing changed) unless every id was such a file.
   */
  async claimForMessage(
    trx: Executor,
    input: { ids: string[]; dialogId: string; uploader: Uploader; messageId: string },
  ): Promise<boolean> {
    const updated = await readyOf(trx, input).update({ status: 'used', message_id: input.messageId });
    return updated === input.ids.length;
  }

  /** The uploader's files of this dialog that are ready to send, among `ids`. */
  async countReady(input: { ids: string[]; dialogId: string; uploader: Uploader }): Promise<number> {
    const row = await readyOf(this.db, input).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async ofMessages(executor: Executor, messageIds: string[]): Promise<AttachmentRow[]> {
    if (messageIds.length === 0) return [];
    return executor<AttachmentRow>('attachments')
      .whereIn('message_id', messageIds)
      .orderBy('created_at')
      .orderBy('id');
  }

  /** Uploads never sent: prepared or uploaded before `before` and still not in a message. */
  async orphans(before: Date, limit: number): Promise<AttachmentRow[]> {
    return this.db<AttachmentRow>('attachments')
      .whereIn('status', ['pending', 'uploading', 'ready', 'refused'])
      .where('created_at', '<', before)
      .orderBy('created_at')
      .limit(limit);
  }

  /** Sent files, not yet removed, of dialogs closed before `closedBefore`. */
  async expired(closedBefore: Date, limit: number): Promise<AttachmentRow[]> {
    return this.db<AttachmentRow>('attachments as a')
      .join('dialogs as d', 'd.id', 'a.dialog_id')
      .where('a.status', 'used')
      .whereNull('a.removed_at')
      .whereNotNull('d.closed_at')
      .where('d.closed_at', '<', closedBefore)
      .select('a.*')
      .orderBy('d.closed_at')
      .limit(limit);
  }

  async deleteRows(ids: string[]): Promise<void> {
    if (ids.length) await this.db('attachments').whereIn('id', ids).delete();
  }

  async markRemoved(ids: string[], at: Date): Promise<void> {
    if (ids.length)
      await this.db('attachments')
        .whereIn('id', ids)
        .update({ removed_at: at, storage_key: null, thumbnail_key: null });
  }
}

/** The uploader's files of this dialog among `ids` that are ready to send (not yet on a message). */
function readyOf(executor: Executor, input: { ids: string[]; dialogId: string; uploader: Uploader }) {
  return executor('attachments').whereIn('id', input.ids).where({
    dialog_id: input.dialogId,
    uploaded_by_kind: input.uploader.kind,
    uploaded_by: input.uploader.id,
    status: 'ready',
  });
}
