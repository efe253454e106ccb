import { expect } from 'chai';
import {
  attachmentSummary,
  fileTypeLabel,
  formatSize,
  problemFromAck,
  problemFromStatus,
  problemSentence,
} from '../src/attachments';

describe('attachment helpers', () => {
  it('when sizes are formatted, then bytes, KB and MB read naturally', () => {
    expect(
      [0, 512, 1024, 1536, 14 * 1024, 2.4 * 1024 * 1024, 50 * 1024 * 1024].map(formatSize),
    ).to.deep.equal(['0 B', '512 B', '1 KB', '1.5 KB', '14 KB', '2.4 MB', '50 MB']);
  });

  it('when a type is labelled, then known types have names, others their subtype or extension', () => {
    expect(fileTypeLabel('application/pdf', 'invoice.pdf')).to.equal('PDF');
    expect(fileTypeLabel('image/png', 'shot.png')).to.equal('PNG');
    expect(fileTypeLabel('application/octet-stream', 'data.bin')).to.equal('BIN');
    expect(fileTypeLabel('', 'noextension')).to.equal('File');
  });

  it('when prepare is refused, then size, type and rate limit become their reasons, with the MB limit read from the message', () => {
    expect(
      problemFromAck({ code: 'bad_request', field: 'size', message: 'files are limited to 10 MB' }),
    ).to.deep.include({ reason: 'too-big', limitMb: 10 });
    expect(problemFromAck({ code: 'bad_request', field: 'type', message: 'not allowed' }).reason).to.equal(
      'type',
    );
    expect(
      problemFromAck({ code: 'rate_limited', message: 'slow down', retryAfterMs: 2500 }),
    ).to.deep.include({ reason: 'rate-limited', retryAfterSeconds: 3 });
    expect(problemFromAck({ code: 'forbidden', message: 'not your dialog' }).reason).to.equal('failed');
  });

  it('when the PUT is refused, then 413, 415 and 429 become their reasons', () => {
    expect(
      problemFromStatus(413, { code: 'bad_request', message: 'the file passes 1 MB' }, null),
    ).to.deep.include({ reason: 'too-big', limitMb: 1 });
    expect(
      problemFromStatus(
        415,
        { code: 'bad_request', message: 'this file type is not allowed (application/x-msdownload)' },
        null,
      ).reason,
    ).to.equal('type');
    expect(problemFromStatus(429, null, '7')).to.deep.include({
      reason: 'rate-limited',
      retryAfterSeconds: 7,
    });
    expect(problemFromStatus(0, null, null)).to.deep.include({
      reason: 'failed',
      detail: 'the connection was lost',
    });
  });

  it('when a refusal is worded, then each reason picks its sentence with the name, limit or wait filled in', () => {
    const words = (key: string, vars: Record<string, string | number>) => `${key}:${JSON.stringify(vars)}`;
    expect(problemSentence('a.pdf', { reason: 'too-big', detail: 'max 10 MB', limitMb: 10 }, words)).to.equal(
      'fileTooBigLimit:{"name":"a.pdf","detail":"max 10 MB","limit":10}',
    );
    expect(problemSentence('a.pdf', { reason: 'too-big', detail: 'too big' }, words)).to.match(
      /^fileTooBig:/,
    );
    expect(problemSentence('x.png', { reason: 'type', detail: 'no' }, words)).to.match(/^fileType:/);
    expect(
      problemSentence('x.png', { reason: 'rate-limited', detail: 'slow', retryAfterSeconds: 4 }, words),
    ).to.match(/^fileRateLimited:.*"n":4/);
    expect(problemSentence('x.png', { reason: 'failed', detail: 'HTTP 500' }, words)).to.match(
      /^fileFailed:/,
    );
  });

  it('when a message has files and no text, then its one-line summary names the first and counts the rest', () => {
    expect(attachmentSummary([])).to.equal('');
    expect(attachmentSummary(undefined)).to.equal('');
    expect(attachmentSummary([{ name: 'receipt.png' }])).to.equal('📎 receipt.png');
    expect(attachmentSummary([{ name: 'a.png' }, { name: 'b.pdf' }, { name: 'c.txt' }])).to.equal(
      '📎 a.png (+2)',
    );
  });
});
