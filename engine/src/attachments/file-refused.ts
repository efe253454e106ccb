import { AppError } from '../errors';

/**
 * An upload the checks refuse: `bad_request` on field `file`, answered 413 (larger than its slot) or
 * 415 (a type the site does not take, an unreadable image, a file the scanner flags).
 */
export class FileRefused extends AppError {
  constructor(
    private readonly httpStatus: 413 | 415,
    message: string,
  ) {
    super('bad_request', message, 'file');
  }

  override get status(): number {
    return this.httpStatus;
  }
}

export const typeNotAllowed = (what: string) =>
  new FileRefused(415, `this file type is not allowed (${what})`);
