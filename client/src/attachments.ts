/**
 * What both UIs show of an attachment: its size in words, a short type label, and the sentence for a
 * refused upload (the reason is decided here, the wording stays with each UI: the widget translates).
 */
import type { AttachmentView, ErrorBody } from '@hotline/protocol';

export type { AttachmentView };

/** "512 B", "14 KB", "2.4 MB": one decimal below 10 units, none above. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${units[unit]}`;
}

const TYPE_LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'text/plain': 'Text',
  'application/zip': 'ZIP',
  'application/msword': 'Word',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
  'application/vnd.ms-excel': 'Excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
};

/** "PDF", "PNG", "Word": from the sniffed MIME type, else the file name's extension, else "File". */
export function fileTypeLabel(type: string, name: string): string {
  const known = TYPE_LABELS[type.toLowerCase()];
  if (known) return known;
  const subtype = /^[a-z]+\/([a-z0-9.+-]+)$/i.exec(type)?.[1];
  if (subtype && subtype.length <= 6 && !subtype.includes('.')) return subtype.toUpperCase();
  const extension = /\.([a-z0-9]{1,6})$/i.exec(name)?.[1];
  return extension ? extension.toUpperCase() : 'File';
}

/** Why an upload was refused, in terms a UI can word: too big, a type the site does not take, too fast. */
export type UploadProblemReason = 'too-big' | 'type' | 'rate-limited' | 'failed';

export interface UploadProblem {
  reason: UploadProblemReason;
  /** The engine's own words, for a UI that shows them as the detail. */
  detail: string;
  /** too-big: the limit in MB when the engine named it. */
  limitMb?: number;
  /** rate-limited: seconds to wait. */
  retryAfterSeconds?: number;
}

/** The limit the engine's size message names ("… 10 MB …"), if any. */
function limitOf(message: string): number | undefined {
  const found = /(\d+(?:\.\d+)?)\s*MB/i.exec(message);
  return found ? Number(found[1]) : undefined;
}

/** A refusal of `attachment:prepare` (the ack's error) as a problem. */
export function problemFromAck(error: ErrorBody & { retryAfterMs?: number }): UploadProblem {
  const detail = error.message;
  if (error.code === 'rate_limited')
    return { reason: 'rate-limited', detail, retryAfterSeconds: retryAfterSeconds(error) };
  if (error.code === 'bad_request' && error.field === 'size') return withLimit({ reason: 'too-big', detail });
  if (error.code === 'bad_request' && error.field === 'type') return { reason: 'type', detail };
  return { reason: 'failed', detail };
}

/** A refused upload PUT (413 too big, 415 type not allowed, 429 too fast, anything else failed). */
export function problemFromStatus(
  status: number,
  error: Partial<ErrorBody> | null,
  retryAfterHeader: string | null,
): UploadProblem {
  const detail = error?.message ?? (status === 0 ? 'the connection was lost' : `HTTP ${status}`);
  if (status === 413) return withLimit({ reason: 'too-big', detail });
  if (status === 415) return { reason: 'type', detail };
  if (status === 429) {
    const header = Number(retryAfterHeader);
    return {
      reason: 'rate-limited',
      detail,
      retryAfterSeconds:
        Number.isFinite(header) && header > 0 ? Math.ceil(header) : retryAfterSeconds(error ?? {}),
    };
  }
  return { reason: 'failed', detail };
}

function withLimit(problem: UploadProblem): UploadProblem {
  const limitMb = limitOf(problem.detail);
  return limitMb === undefined ? problem : { ...problem, limitMb };
}

function retryAfterSeconds(error: { retryAfter?: number; retryAfterMs?: number }): number {
  if (typeof error.retryAfterMs === 'number') return Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  if (typeof error.retryAfter === 'number') return Math.max(1, Math.ceil(error.retryAfter));
  return 1;
}

/** The sentence keys a UI words a refusal with (the widget's i18n keys; the console has its own English). */
export type ProblemSentenceKey =
  | 'fileTooBig'
  | 'fileTooBigLimit'
  | 'fileType'
  | 'fileRateLimited'
  | 'fileFailed';

/** The refusal as a sentence, not a code: picks the sentence and its values, the UI's words fill them in. */
export function problemSentence(
  name: string,
  problem: UploadProblem,
  words: (key: ProblemSentenceKey, vars: Record<string, string | number>) => string,
): string {
  const vars = { name, detail: problem.detail };
  switch (problem.reason) {
    case 'too-big':
      return problem.limitMb === undefined
        ? words('fileTooBig', vars)
        : words('fileTooBigLimit', { ...vars, limit: problem.limitMb });
    case 'type':
      return words('fileType', vars);
    case 'rate-limited':
      return words('fileRateLimited', { ...vars, n: problem.retryAfterSeconds ?? 1 });
    default:
      return words('fileFailed', vars);
  }
}

/** A one-line stand-in for a message without text (list previews, notifications): "📎 receipt.png (+2)". */
export function attachmentSummary(attachments: readonly Pick<AttachmentView, 'name'>[] | undefined): string {
  if (!attachments?.length) return '';
  const more = attachments.length > 1 ? ` (+${attachments.length - 1})` : '';
  return `📎 ${attachments[0]!.name}${more}`;
}
