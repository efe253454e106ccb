import { createHmac, timingSafeEqual } from 'node:crypto';
import { forbidden } from '../errors';

/** What a signed link opens: the file itself or its thumbnail. */
export type LinkVariant = 'content' | 'thumbnail';

/**
 * Signs upload tokens and download links with a key derived from the session secret (so replicas
 * sharing SESSION_SECRET, or the one kept in the database, accept each other's links). Each signature
 * covers the attachment id, what it opens and its expiry: a link of one file (or of its thumbnail)
 * cannot be turned into another's, nor extended.
 */
export class AttachmentLinks {
  private readonly key: Buffer;

  constructor(sessionSecret: string) {
    this.key = createHmac('sha256', sessionSecret).update('hotline attachments v1').digest();
  }

  private sign(purpose: string, id: string, exp: number): string {
    return createHmac('sha256', this.key).update(`${purpose}\n${id}\n${exp}`).digest('base64url');
  }

  private verify(
    purpose: string,
    id: string,
    exp: number,
    signature: string,
    nowMs: number,
    what: string,
  ): void {
    const expected = Buffer.from(this.sign(purpose, id, exp));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw forbidden(`this ${what} is not valid`);
    if (exp * 1000 < nowMs) throw forbidden(`this ${what} has expired`);
  }

  /** `<exp>.<sig>`: lets its bearer PUT the bytes of this attachment until `exp` (seconds). */
  uploadToken(id: string, exp: number): string {
    return `${exp}.${this.sign('upload', id, exp)}`;
  }

  /** Throws `forbidden` for a token of another attachment, a forged or an expired one. */
  verifyUpload(id: string, token: string, nowMs: number): void {
    const [exp, signature] = token.split('.');
    if (!exp || !signature || !/^\d{1,12}$/.test(exp)) throw forbidden('this upload link is not valid');
    this.verify('upload', id, Number(exp), signature, nowMs, 'upload link');
  }

  /** `/api/attachments/<id>/<variant>?exp=…&sig=…`, valid until `exp` (seconds). */
  downloadPath(id: string, variant: LinkVariant, exp: number): string {
    return `/api/attachments/${id}/${variant}?exp=${exp}&sig=${this.sign(variant, id, exp)}`;
  }

  verifyDownload(id: string, variant: LinkVariant, exp: string, signature: string, nowMs: number): void {
    if (!/^\d{1,12}$/.test(exp)) throw forbidden('this link is not valid');
    this.verify(variant, id, Number(exp), signature, nowMs, 'link');
  }
}
