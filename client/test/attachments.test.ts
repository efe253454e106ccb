import { expect } from 'chai';
import { fileTypeLabel, formatSize, problemFromAck, problemFromStatus } from '../src/attachments';

describe('attachment helpers', () => {
  it('when sizes are formatted, then bytes, KB and MB read naturally', () => {
    expect([0, 512, 1024, 1536, 14 * 1024, 2.4 * 1024 * 1024, 50 * 1024 * 1024].map(formatSize)).to.deep.equal([
      '0 B',
      '512 B',
      '1 KB',
      '1.5 KB',
      '14 KB',
      '2.4 MB',
      '50 MB',
    ]);
  });

  it('when a type is labelled, then known types have names, others their subtype or extension', () => {
    expect(fileTypeLabel('application/pdf', 'invoice.pdf')).to.equal('PDF');
    expect(fileTypeLabel('image/png', 'shot.png')).to.equal('PNG');
    expect(fileTypeLabel('application/octet-stream', 'data.bin')).to.equal('BIN');
    expect(fileTypeLabel('', 'noextension')).to.equal('File');
  });

  it('when prepare is refused, then size, type and rate limit become their reasons, with the MB limit read from the message', () => {
    expect(problemFromAck({ code: 'bad_request', field: 'size', message: 'files are limited to 10 MB' })).to.deep.include({ reason: 'too-big', limitMb: 10 });
    expect(problemFromAck({ code: 'bad_request', field: 'type', message: 'not allowed' }).reason).to.equal('type');
    expect(problemFromAck({ code: 'rate_limited', message: 'slow down', retryAfterMs: 2500 })).to.deep.include({ reason: 'rate-limited', retryAfterSeconds: 3 });
    expect(problemFromAck({ code: 'forbidden', message: 'not your dialog' }).reason).to.equal('failed');
  });

  it('when the PUT is refused, then 413, 415 and 429 become their reasons', () => {
    expect(problemFromStatus(413, { code: 'bad_request', message: 'the file passes 1 MB' }, null)).to.deep.include({ reason: 'too-big', limitMb: 1 });
    expect(problemFromStatus(415, { code: 'bad_request', message: 'this file type is not allowed (application/x-msdownload)' }, null).reason).to.equal('type');
    expect(problemFromStatus(429, null, '7')).to.deep.include({ reason: 'rate-limited', retryAfterSeconds: 7 });
    expect(problemFromStatus(0, null, null)).to.deep.include({ reason: 'failed', detail: 'the connection was lost' });
  });
});
