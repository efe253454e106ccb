import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import {
  attachmentPolicy,
  isRasterImage,
  type RoutingConfig,
  type SiteAttachments,
  sizeRefusal,
} from '@hotline/routing-rules';
import { AppError, badRequest, forbidden, notFound } from '../errors';
import type { Logger } from '../logger';
import type { AttachmentSlot, AttachmentView } from '@hotline/protocol';
import type { Executor } from '../storage/dialog-rows';
import type { AttachmentLinks, LinkVariant } from './attachment-links';
import type { AttachmentRepository, AttachmentRow, Uploader } from './attachment-repository';
import type { ClamdScanner } from './clamd-scanner';
import { ByteLimit, checkAndStore } from './content-checks';
import type { FileStore } from './file-store';
import { FileRefused } from './file-refused';

/** How long an upload slot's token is valid. */
const UPLOAD_TTL_SECONDS = 15 * 60;
/** Uploads not sent in a message within this time are orphans: swept with their bytes. */
export const ORPHAN_AFTER_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Where a file's bytes and its thumbnail live in the store: derived from ids, so a sweep finds them even mid-upload. */
export const storeKeys = (row: Pick<AttachmentRow, 'dialog_id' | 'id'>) => ({
  content: `attachments/${row.dialog_id}/${row.id}`,
  thumbnail: `attachments/${row.dialog_id}/${row.id}.thumbnail`,
});

/** What a download answers: bytes the engine streams, or a redirect to a presigned S3 URL. */
export type Download =
  | { redirect: string }
  | { body: Readable; size: number; type: string; name: string; inline: boolean };

/** The dialog facts a slot needs (the caller has checked who may upload to it). */
export interface UploadTarget {
  dialogId: string;
  siteId: string;
}

/**
 * Files in dialogs: upload slots, the streamed upload through the checks into the FileStore, the
 * signed links of message views, downloads, and the sweeps (orphans, retention, a visitor's erasure).
 */
export class AttachmentService {
  constructor(
    private readonly deps: {
      repo: AttachmentRepository;
      store: FileStore;
      links: AttachmentLinks;
      config: () => RoutingConfig;
      clock: () => number;
      logger: Logger;
      linkTtlSeconds: number;
      scanner: ClamdScanner | null;
    },
  ) {}

  private policy(siteId: string): SiteAttachments {
    return attachmentPolicy(this.deps.config().sites.find((s) => s.id === siteId));
  }

  /** A slot for one file: checks the site allows files, the type announced and both size limits. */
  async prepare(
    uploader: Uploader,
    target: UploadTarget,
    input: { name: string; size: number; type: string },
  ): Promise<AttachmentSlot> {
    const { repo, links, clock } = this.deps;
    const policy = this.policy(target.siteId);
    if (!policy.enabled) throw forbidden('files are not enabled on this site');
    const declared = input.type.split(';')[0]!.trim().toLowerCase();
    if (declared && !policy.allowedTypes.includes(declared))
      throw badRequest(`this file type is not allowed (${declared})`, 'type');
    const tooLarge = sizeRefusal(policy, input.size, await repo.dialogBytes(target.dialogId));
    if (tooLarge) throw badRequest(tooLarge, 'size');
    const id = randomUUID();
    const now = clock();
    await repo.insert({
      id,
      dialog_id: target.dialogId,
      site_id: target.siteId,
      uploaded_by_kind: uploader.kind,
      uploaded_by: uploader.id,
      name: input.name,
      declared_type: declared,
      size: input.size,
      created_at: new Date(now),
    });
    const exp = Math.floor(now / 1000) + UPLOAD_TTL_SECONDS;
    return {
      attachmentId: id,
      uploadUrl: `/api/attachments/${id}/upload?token=${links.uploadToken(id, exp)}`,
      expiresAt: new Date(exp * 1000).toISOString(),
    };
  }

  /** The site of an attachment the token opens (for the upload's CORS check), after the token is checked. */
  async uploadSite(id: string, token: string): Promise<string> {
    this.deps.links.verifyUpload(id, token, this.deps.clock());
    const row = await this.deps.repo.find(id);
    if (!row) throw notFound('attachment');
    return row.site_id;
  }

  /**
   * Streams one upload through the checks into the store: at most the announced size (413 past
   * it), type and content checks (415), then the optional scanner. Once only: a second upload is a
   * conflict; a refused one stays refused; one cut off midway may be retried.
   */
  async upload(id: string, token: string, body: Readable): Promise<AttachmentView> {
    const { repo, links, clock, store } = this.deps;
    links.verifyUpload(id, token, clock());
    const row = await repo.find(id);
    if (!row) throw notFound('attachment');
    if (!(await repo.transition(id, 'pending', 'uploading'))) {
      throw new AppError(
        'conflict',
        row.status === 'uploading' ? 'this file is being uploaded' : 'this file was uploaded already',
      );
    }
    const keys = storeKeys(row);
    const limited = new ByteLimit(Number(row.size));
    const source = body.pipe(limited);
    body.once('error', (error) => limited.destroy(error));
    body.once('aborted', () => limited.destroy(new Error('upload aborted')));
    const scanFeed = this.deps.scanner ? new PassThrough() : null;
    // Settled at once into a verdict or an error, so a scanner failing mid-upload is never an unhandled rejection.
    const scanning =
      scanFeed && this.deps.scanner
        ? this.deps.scanner.scan(scanFeed).catch((error: unknown) => scannerDown(error))
        : null;
    try {
      const checked = await checkAndStore({
        source: scanFeed ? source.pipe(new Tee(scanFeed)) : source,
        declaredType: row.declared_type,
        policy: this.policy(row.site_id),
        store,
        key: keys.content,
        thumbnailKey: keys.thumbnail,
      });
      if (scanning) {
        const verdict = await scanning;
        if (verdict instanceof AppError) throw verdict;
        if (verdict.infected)
          throw new FileRefused(
            415,
            `this file is not allowed (the virus scanner found ${verdict.signature})`,
          );
      }
      const fields = {
        type: checked.type,
        kind: checked.kind,
        size: checked.size,
        width: checked.width,
        height: checked.height,
        storage_key: keys.content,
        thumbnail_key: checked.thumbnailKey,
        uploaded_at: new Date(clock()),
      };
      await repo.transition(id, 'uploading', 'ready', fields);
      return this.view({ ...row, ...fields, status: 'ready' });
    } catch (error) {
      scanFeed?.destroy();
      await store.delete([keys.content, keys.thumbnail]).catch(() => undefined);
      // A refusal is final; anything else (the client went away, the store failed) may be retried.
      await repo.transition(id, 'uploading', error instanceof FileRefused ? 'refused' : 'pending');
      throw error;
    }
  }

  /** Checks the files can go with a message (each ready, uploaded by this sender into this dialog). */
  async checkSendable(input: { ids: string[]; dialogId: string; uploader: Uploader }): Promise<void> {
    if (input.ids.length === 0) return;
    if ((await this.deps.repo.countReady(input)) !== input.ids.length) throw unusable();
  }

  /** In the message's transaction: the files become the message's, or the whole send fails. */
  async claim(
    trx: Executor,
    input: { ids: string[]; dialogId: string; uploader: Uploader; messageId: string },
  ): Promise<void> {
    if (input.ids.length === 0) return;
    if (!(await this.deps.repo.claimForMessage(trx, input))) throw unusable();
  }

  /** The messages' files as views with freshly signed links, by message id. */
  async viewsOf(executor: Executor, messageIds: string[]): Promise<Map<string, AttachmentView[]>> {
    const views = new Map<string, AttachmentView[]>();
    for (const row of await this.deps.repo.ofMessages(executor, messageIds)) {
      const list = views.get(row.message_id!) ?? [];
      list.push(await this.view(row));
      views.set(row.message_id!, list);
    }
    return views;
  }

  private async view(row: AttachmentRow): Promise<AttachmentView> {
    const base = {
      id: row.id,
      name: row.name,
      type: row.type ?? row.declared_type,
      size: Number(row.size),
      kind: row.kind ?? 'file',
    };
    if (row.removed_at || !row.storage_key) return { ...base, url: '', removed: true };
    return {
      ...base,
      url: await this.link(row, 'content'),
      ...(row.thumbnail_key ? { thumbnailUrl: await this.link(row, 'thumbnail') } : {}),
      ...(row.width && row.height ? { width: row.width, height: row.height } : {}),
    };
  }

  private async link(row: AttachmentRow, variant: LinkVariant): Promise<string> {
    const { links, store, clock, linkTtlSeconds } = this.deps;
    const key = variant === 'content' ? row.storage_key! : row.thumbnail_key!;
    const type = row.type ?? 'application/octet-stream';
    const presigned = await store.presignedGet(key, {
      ttlSeconds: linkTtlSeconds,
      filename: row.name,
      contentType: type,
      inline: isRasterImage(type),
    });
    return presigned ?? links.downloadPath(row.id, variant, Math.floor(clock() / 1000) + linkTtlSeconds);
  }

  /** A signed link's bytes: 403 for a wrong or expired signature, 404 once the file is gone. */
  async download(id: string, variant: LinkVariant, exp: string, signature: string): Promise<Download> {
    const { links, repo, store, clock, linkTtlSeconds } = this.deps;
    links.verifyDownload(id, variant, exp, signature, clock());
    const row = await repo.find(id);
    const key = variant === 'content' ? row?.storage_key : row?.thumbnail_key;
    if (!row || !key || row.removed_at || (row.status !== 'ready' && row.status !== 'used'))
      throw notFound('file');
    const type = row.type ?? 'application/octet-stream';
    const inline = isRasterImage(type);
    const presigned = await store.presignedGet(key, {
      ttlSeconds: linkTtlSeconds,
      filename: row.name,
      contentType: type,
      inline,
    });
    if (presigned) return { redirect: presigned };
    const stored = await store.get(key);
    if (!stored) throw notFound('file');
    return { ...stored, type, name: row.name, inline };
  }

  /** Deletes uploads never sent within ORPHAN_AFTER_MS, bytes first. Returns how many. */
  async sweepOrphans(batch = 200): Promise<number> {
    const { repo, store, clock } = this.deps;
    const rows = await repo.orphans(new Date(clock() - ORPHAN_AFTER_MS), batch);
    await store.delete(rows.flatMap((row) => Object.values(storeKeys(row))));
    await repo.deleteRows(rows.map((row) => row.id));
    return rows.length;
  }

  /** Deletes the files of dialogs closed more than settings.fileRetentionDays ago (0: keep forever); their messages keep a placeholder. */
  async applyRetention(batch = 200): Promise<number> {
    const { repo, store, clock, config } = this.deps;
    const days = config().settings.fileRetentionDays;
    if (days === 0) return 0;
    const rows = await repo.expired(new Date(clock() - days * DAY_MS), batch);
    await store.delete(rows.flatMap((row) => Object.values(storeKeys(row))));
    await repo.markRemoved(
      rows.map((row) => row.id),
      new Date(clock()),
    );
    return rows.length;
  }
}

/** clamd could not be asked: the upload is not let through unscanned, and may be retried. */
function scannerDown(error: unknown): AppError {
  return Object.assign(new AppError('unavailable', 'the virus scanner is unavailable, try again shortly'), {
    cause: error,
  });
}

const unusable = () =>
  badRequest(
    'some files are unknown, not uploaded yet, already sent or not yours to send in this dialog',
    'attachmentIds',
  );

/** Copies what passes through into `copy` (the scanner's feed), waiting for it when it is full. */
class Tee extends Transform {
  constructor(private readonly copy: PassThrough) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    // A copy closed by a failed scan no longer holds the upload back: the scan's verdict refuses it.
    if (this.copy.destroyed || this.copy.write(chunk)) return void done(null, chunk);
    const go = () => {
      this.copy.off('drain', go).off('close', go);
      done(null, chunk);
    };
    this.copy.once('drain', go).once('close', go);
  }

  override _flush(done: TransformCallback): void {
    if (!this.copy.destroyed) this.copy.end();
    done();
  }
}
