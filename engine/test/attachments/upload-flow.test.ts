import { expect } from 'chai';
import sharp from 'sharp';
import type { MessageView } from '@hotline/protocol';
import { callRaw, next } from '../support/clients';
import { type Backends, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';
import { download, heldDialog, put, send, upload } from './support';

/** A JPEG with EXIF GPS and an orientation tag, as phones write them. */
async function jpegWithGps(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'TestPhone' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2976/100' },
    })
    .toBuffer();
}

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`attachments: upload and download (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING }, (s) => {
      server = s;
    });

    it('when the visitor uploads a photo and sends it, then the operator receives it and downloads it re-encoded, upright and without EXIF', async () => {
      const { visitor, anna, dialogId } = await heldDialog(server.url);
      const original = await jpegWithGps();
      const before = await sharp(original).metadata();
      expect(before.exif).to.be.instanceOf(Buffer);
      expect(before.exif!.toString('latin1')).to.include('TestPhone');
      expect(before.orientation).to.equal(6);
      const uploaded = await upload(server.url, visitor, {
        name: 'receipt.jpg',
        type: 'image/jpeg',
        bytes: original,
      });
      expect(uploaded).to.include({ name: 'receipt.jpg', type: 'image/jpeg', kind: 'image' });
      const received = next<MessageView>(
        anna,
        'message:new',
        (m) => m.dialogId === dialogId && m.authorKind === 'visitor' && Boolean(m.attachments),
      );
      const sent = await send(visitor, [uploaded.id], { body: 'my receipt' });
      expect(sent.attachments?.map((a) => a.id)).to.deep.equal([uploaded.id]);
      const message = await received;
      const [file] = message.attachments!;
      expect(file).to.include({ id: uploaded.id, kind: 'image', width: 32, height: 64 });
      const { response, bytes } = await download(server.url, file!.url);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('image/jpeg');
      expect(response.headers.get('content-disposition')).to.match(/^inline/);
      expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
      const meta = await sharp(bytes).metadata();
      expect(meta.exif, 'EXIF (GPS) is stripped').to.equal(undefined);
      expect([meta.width, meta.height]).to.deep.equal([32, 64]);
      expect(bytes.length).to.equal(file!.size);
      const thumb = await download(server.url, file!.thumbnailUrl!);
      expect(thumb.response.status).to.equal(200);
      // The dialog as the operator opens it carries the file with freshly signed links.
      const detail = await callRaw<{ messages: MessageView[] }>(anna, 'dialog:open', { dialogId });
      expect(
        'data' in detail && detail.data.messages.some((m) => m.attachments?.[0]?.id === uploaded.id),
      ).to.equal(true);
    });

    it('when the operator sends a PDF, then the visitor downloads the same bytes as an attachment', async () => {
      const { visitor, anna, dialogId } = await heldDialog(server.url);
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
      const uploaded = await upload(
        server.url,
        anna,
        { name: 'guide.pdf', type: 'application/pdf', bytes: pdf },
        dialogId,
      );
      const received = next<MessageView>(visitor, 'message:new', (m) => m.authorKind === 'operator');
      await send(anna, [uploaded.id], { dialogId, body: 'the guide' });
      const [file] = (await received).attachments!;
      expect(file).to.include({ type: 'application/pdf', kind: 'file', size: pdf.length });
      const { response, bytes } = await download(server.url, file!.url);
      expect(response.headers.get('content-disposition')).to.match(/^attachment; filename="?guide\.pdf"?$/);
      expect(bytes.equals(pdf)).to.equal(true);
    });

    it('when an .exe is renamed .png, then the upload is refused 415 and it cannot be sent', async () => {
      const { visitor } = await heldDialog(server.url);
      const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(4000, 1)]);
      const slot = await callRaw<{ attachmentId: string; uploadUrl: string }>(visitor, 'attachment:prepare', {
        name: 'cat.png',
        size: exe.length,
        type: 'image/png',
      });
      if (!('data' in slot)) throw new Error(slot.error.message);
      const result = await put(server.url, slot.data.uploadUrl, exe);
      expect(result.status).to.equal(415);
      expect(result.error).to.include({ code: 'bad_request', field: 'file' });
      expect(result.error!.message).to.match(/this file type is not allowed \(application\/x-msdownload\)/);
      const again = await put(server.url, slot.data.uploadUrl, exe);
      expect(again.status).to.equal(409);
      const sent = await callRaw(visitor, 'message:send', {
        clientMessageId: 'x1',
        body: '',
        attachmentIds: [slot.data.attachmentId],
      });
      expect(sent).to.have.nested.property('error.field', 'attachmentIds');
    });
  });
}
