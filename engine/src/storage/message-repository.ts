import type { AttachmentView, MessageView } from '@hotline/protocol';
import type { Database } from './database';
import { type Executor, type MessageRow, type MessageWithFiles, toMessageView } from './dialog-rows';

/**
 * How messages get their files (the attachments module, set once at start): claimed when a message is
 * stored, and read, with freshly signed links, on every read of messages.
 */
export interface MessageAttachments {
  claim(
    trx: Executor,
    input: {
      ids: string[];
      dialogId: string;
      uploader: { kind: 'visitor' | 'operator'; id: string };
      messageId: string;
    },
  ): Promise<void>;
  viewsOf(executor: Executor, messageIds: string[]): Promise<Map<string, AttachmentView[]>>;
}

/** Reads of `messages` as views with their files. Messages are written only by a dialog's change statement. */
export class MessageRepository {
  constructor(
    private readonly db: Database,
    /** Messages' files, joined to their views. */
    private readonly attachments: MessageAttachments,
  ) {}

  /** Claims a stored message's files in the transaction that stores it (AttachmentService.claim). */
  claim(trx: Executor, input: Parameters<MessageAttachments['claim']>[1]): Promise<void> {
    return this.attachments.claim(trx, input);
  }

  /** The views with their files (signed links made now); views of messages without files are unchanged. */
  async withAttachments(views: MessageView[], executor: Executor = this.db): Promise<MessageView[]> {
    if (views.length === 0) return views;
    const files = await this.attachments.viewsOf(
      executor,
      views.map((v) => v.id),
    );
    return files.size === 0
      ? views
      : views.map((v) => (files.has(v.id) ? { ...v, attachments: files.get(v.id) } : v));
  }

  async oneWithAttachments(view: MessageView, executor: Executor = this.db): Promise<MessageView> {
    return (await this.withAttachments([view], executor))[0]!;
  }

  /** Message rows as views, their files read only when one has any. */
  async withFiles(rows: MessageWithFiles[], executor: Executor = this.db): Promise<MessageView[]> {
    const views = rows.map(toMessageView);
    return rows.some((r) => r.has_files) ? this.withAttachments(views, executor) : views;
  }

  async findMessageByClientId(dialogId: string, clientMessageId: string): Promise<MessageView | null> {
    const row = await this.db<MessageRow>('messages')
      .where({ dialog_id: dialogId, client_message_id: clientMessageId })
      .first();
    return row ? this.oneWithAttachments(toMessageView(row)) : null;
  }

  async messages(dialogId: string): Promise<MessageView[]> {
    // Whether any message has files comes with the messages: their files are read only then.
    const rows = await this.db<MessageWithFiles>('messages')
      .where({ dialog_id: dialogId })
      .orderBy('seq')
      .select(
        'messages.*',
        this.db.raw('exists (select 1 from attachments a where a.message_id = messages.id) as has_files'),
      );
    return this.withFiles(rows);
  }

  async lastMessages(dialogIds: string[]): Promise<Map<string, MessageView>> {
    if (dialogIds.length === 0) return new Map();
    const rows = await this.db<MessageRow>('messages')
      .distinctOn('dialog_id')
      .whereIn('dialog_id', dialogIds)
      .orderBy([{ column: 'dialog_id' }, { column: 'seq', order: 'desc' }]);
    const views = await this.withAttachments(rows.map(toMessageView));
    return new Map(views.map((v) => [v.dialogId, v]));
  }
}
