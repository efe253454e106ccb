import { storeKeys } from '../attachments/attachment-service';
import type { FileStore } from '../attachments/file-store';
import { OPEN_STATES } from '../dialog/dialog-views';
import { notFound } from '../errors';
import type { VisitorRepository } from '../storage/visitor-repository';

/**
 * A visitor's data deletion (`DELETE /api/visitors/:id`): his rows go in one transaction, then his files'
 * bytes. A crash between the two leaves bytes no row points to (no link can reach them); the rows, the
 * personal data, are gone either way.
 */
export async function eraseVisitor(
  deps: { visitorRepo: VisitorRepository; files: FileStore },
  visitorId: string,
): Promise<{ dialogs: number; files: number }> {
  const erased = await deps.visitorRepo.eraseVisitor(visitorId, OPEN_STATES);
  if (!erased) throw notFound('visitor');
  await deps.files.delete(erased.attachments.flatMap((row) => Object.values(storeKeys(row))));
  return { dialogs: erased.dialogIds.length, files: erased.attachments.length };
}
