import { expect } from 'chai';
import type { AttachmentView } from '../src/attachments';
import { type PendingUpload, type PrepareResult, type Transport, UploadTray } from '../src/upload-tray';

/** A transport the test drives by hand: progress, answer, and a count of aborts. */
function manualTransport() {
  const calls: {
    url: string;
    progress: (n: number) => void;
    answer: (status: number, body: unknown) => void;
    aborted: boolean;
  }[] = [];
  const transport: Transport = (url, _file, onProgress) => {
    let answer!: (status: number, body: unknown) => void;
    const done = new Promise<{ status: number; body: unknown; retryAfter: string | null }>((resolve) => {
      answer = (status, body) => resolve({ status, body, retryAfter: null });
    });
    const call = { url, progress: onProgress, answer, aborted: false };
    calls.push(call);
    return {
      done,
      abort() {
        call.aborted = true;
        answer(0, null);
      },
    };
  };
  return { calls, transport };
}

const view = (id: string): AttachmentView => ({
  id,
  name: 'a.png',
  type: 'image/png',
  size: 3,
  kind: 'image',
  url: `/api/attachments/${id}/content`,
});
const file = (name: string, size = 3, type = 'image/png') => new File([new Uint8Array(size)], name, { type });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('upload tray', () => {
  let snapshots: (readonly PendingUpload[])[];
  beforeEach(() => {
    snapshots = [];
  });

  it('when a file is prepared and uploaded, then it reports progress, becomes ready, and leaves the tray with the message', async () => {
    const { calls, transport } = manualTransport();
    const prepared: string[] = [];
    const tray = new UploadTray({
      server: 'http://engine.test',
      prepare: async (f): Promise<PrepareResult> => {
        prepared.push(`${f.name}:${f.size}:${f.type}`);
        return {
          ok: true,
          data: { attachmentId: 'a1', uploadUrl: '/api/attachments/a1/upload?token=t', expiresAt: '' },
        };
      },
      onChange: (items) => snapshots.push(items),
      transport,
    });
    tray.add([file('a.png')]);
    await tick();
    expect(prepared).to.deep.equal(['a.png:3:image/png']);
    expect(calls.map((c) => c.url)).to.deep.equal(['http://engine.test/api/attachments/a1/upload?token=t']);
    expect(tray.busy).to.equal(true);
    calls[0]!.progress(2);
    expect(tray.list()[0]).to.deep.include({ state: 'uploading', loaded: 2 });
    calls[0]!.answer(201, { data: view('a1') });
    await tick();
    expect(tray.busy).to.equal(false);
    expect(tray.takeReady().map((a) => a.id)).to.deep.equal(['a1']);
    expect(tray.list()).to.have.length(0);
  });

  it('when an upload is cancelled, then the request is aborted and the file is gone', async () => {
    const { calls, transport } = manualTransport();
    const tray = new UploadTray({
      server: '',
      prepare: async () => ({ ok: true, data: { attachmentId: 'a2', uploadUrl: '/u', expiresAt: '' } }),
      onChange: (items) => snapshots.push(items),
      transport,
    });
    tray.add([file('b.png')]);
    await tick();
    tray.remove(tray.list()[0]!.key);
    await tick();
    expect(calls[0]!.aborted).to.equal(true);
    expect(tray.list()).to.deep.equal([]);
    expect(tray.ready()).to.deep.equal([]);
  });

  it('when prepare or the PUT refuses, then the file stays in the tray with the reason, and is not sent', async () => {
    const { calls, transport } = manualTransport();
    const tray = new UploadTray({
      server: '',
      prepare: async (f): Promise<PrepareResult> =>
        f.name === 'big.pdf'
          ? {
              ok: false,
              retryable: false,
              error: { code: 'bad_request', field: 'size', message: 'files are limited to 10 MB' },
            }
          : { ok: true, data: { attachmentId: 'a3', uploadUrl: '/u', expiresAt: '' } },
      onChange: (items) => snapshots.push(items),
      transport,
    });
    tray.add([file('big.pdf'), file('virus.png')]);
    await tick();
    calls[0]!.answer(415, {
      error: {
        code: 'bad_request',
        field: 'file',
        message: 'this file type is not allowed (application/x-msdownload)',
      },
    });
    await tick();
    expect(tray.list().map((i) => [i.name, i.state, i.problem?.reason])).to.deep.equal([
      ['big.pdf', 'failed', 'too-big'],
      ['virus.png', 'failed', 'type'],
    ]);
    expect(tray.takeReady()).to.deep.equal([]);
    expect(tray.list()).to.have.length(2);
  });

  it('when more than ten files are added, then the eleventh is refused without asking the engine', async () => {
    const { transport } = manualTransport();
    let prepares = 0;
    const tray = new UploadTray({
      server: '',
      prepare: async () => {
        prepares += 1;
        return { ok: true, data: { attachmentId: `x${prepares}`, uploadUrl: '/u', expiresAt: '' } };
      },
      onChange: () => undefined,
      transport,
    });
    tray.add(Array.from({ length: 11 }, (_, i) => file(`f${i}.png`)));
    await tick();
    expect(prepares).to.equal(10);
    expect(tray.list()[10]).to.deep.include({ state: 'failed' });
  });
});
