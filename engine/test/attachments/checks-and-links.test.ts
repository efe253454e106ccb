import { expect } from 'chai';
import type { AttachmentSlot, VisitorSession } from '@hotline/protocol';
import { fileURLToPath } from 'node:url';
import {
  call,
  callRaw,
  clientId,
  closeAllSockets,
  connectOperator,
  connectVisitor,
  eventually,
  login,
} from '../support/clients';
import {
  type Backends,
  backendsAvailable,
  resetDialogs,
  startTestServer,
  type TestServer,
} from '../support/engine';
import { download, heldDialog, put, send, upload } from './support';

const ROUTING = fileURLToPath(new URL('../fixtures/routing-attachments.yaml', import.meta.url));
const HOUR_MS = 3600_000;

/** Whether the store holds the key (the stream is closed unread). */
async function stored(server: TestServer, key: string): Promise<boolean> {
  const found = await server.engine.files.get(key);
  found?.body.destroy();
  return found !== null;
}
const pdf = (bytes: number) => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(bytes - 9, 0x20)]);
const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`attachments: checks, links, sweeps and erasure (${backends})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    /** The engine's clock runs this far ahead of the real one (expired links, orphans, retention). */
    let ahead = 0;
    before(async function () {
      if (!(await backendsAvailable(backends))) return this.skip();
      server = await startTestServer(
        backends,
        { routingConfigPath: ROUTING },
        { clock: () => Date.now() + ahead },
      );
    });
    afterEach(async () => {
      closeAllSockets();
      ahead = 0;
      if (server) await resetDialogs(server);
    });
    after(async () => server?.cleanup());

    it('when a file is announced over the per-file limit or in a type the site refuses, then prepare is refused at size or type', async () => {
      const { visitor } = await heldDialog(server.url);
      const big = await callRaw(visitor, 'attachment:prepare', {
        name: 'big.pdf',
        size: 2 * 1024 * 1024,
        type: 'application/pdf',
      });
      expect(big).to.have.nested.property('error.field', 'size');
      expect(big)
        .to.have.nested.property('error.message')
        .that.matches(/1 MB per file/);
      const zip = await callRaw(visitor, 'attachment:prepare', {
        name: 'a.zip',
        size: 10,
        type: 'application/zip',
      });
      expect(zip).to.have.nested.property('error.field', 'type');
      const empty = await callRaw(visitor, 'attachment:prepare', {
        name: 'a.pdf',
        size: 0,
        type: 'application/pdf',
      });
      expect(empty).to.have.nested.property('error.field', 'size');
      const control = await callRaw(visitor, 'attachment:prepare', {
        name: 'a\u0007.pdf',
        size: 10,
        type: 'application/pdf',
      });
      expect(control).to.have.nested.property('error.field', 'name');
    });

    it('when a dialog would pass its per-dialog limit, then the slot that passes it is refused', async () => {
      const { visitor } = await heldDialog(server.url);
      const slot = { name: 'part.pdf', size: 900 * 1024, type: 'application/pdf' };
      await call(visitor, 'attachment:prepare', slot);
      await call(visitor, 'attachment:prepare', slot);
      const third = await callRaw(visitor, 'attachment:prepare', slot);
      expect(third).to.have.nested.property('error.field', 'size');
      expect(third)
        .to.have.nested.property('error.message')
        .that.matches(/2 MB per dialog/);
    });

    it('when more bytes arrive than announced, then the upload is refused 413 and the slot is spent', async () => {
      const { visitor } = await heldDialog(server.url);
      const slot = await call<AttachmentSlot>(visitor, 'attachment:prepare', {
        name: 'a.pdf',
        size: 1000,
        type: 'application/pdf',
      });
      const result = await put(server.url, slot.uploadUrl, pdf(200_000));
      expect(result.status).to.equal(413);
      expect(result.error).to.include({ code: 'bad_request', field: 'file' });
      expect(
        (await server.engine.database.db('attachments').where({ id: slot.attachmentId }).first()).status,
      ).to.equal('refused');
    });

    it("when the upload comes from a page the attachment's site does not accept, then it is refused 403; from its origin it passes with CORS", async () => {
      const visitor = await connectVisitor(server.url, { siteId: 'strict' });
      await call(visitor, 'dialog:start', {
        choice: { groupId: 'support' },
        page: { url: 'https://shop.example/' },
      });
      const preflight = await fetch(`${server.url}/api/attachments/${crypto.randomUUID()}/upload?token=x`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'PUT' },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-origin')).to.equal('https://shop.example');
      expect(preflight.headers.get('access-control-allow-methods')).to.include('PUT');
      const bytes = pdf(100);
      const slot = await call<AttachmentSlot>(visitor, 'attachment:prepare', {
        name: 'a.pdf',
        size: bytes.length,
        type: 'application/pdf',
      });
      const foreign = await put(server.url, slot.uploadUrl, bytes, { origin: 'https://evil.example' });
      expect(foreign.status).to.equal(403);
      expect(foreign.error).to.include({ code: 'forbidden', field: 'origin' });
      const response = await fetch(`${server.url}${slot.uploadUrl}`, {
        method: 'PUT',
        body: bytes,
        headers: { origin: 'https://shop.example' },
      });
      expect(response.status).to.equal(201);
      expect(response.headers.get('access-control-allow-origin')).to.equal('https://shop.example');
    });

    it('when the site has files off, then prepare is forbidden', async () => {
      const visitor = await connectVisitor(server.url, { siteId: 'nofiles' });
      await call(visitor, 'dialog:start', {
        choice: { groupId: 'support' },
        page: { url: 'http://shop.test/' },
      });
      const refused = await callRaw(visitor, 'attachment:prepare', {
        name: 'a.pdf',
        size: 10,
        type: 'application/pdf',
      });
      expect(refused).to.have.nested.property('error.code', 'forbidden');
    });

    it('when an SVG is uploaded, then it is kept as a file and always downloaded as an attachment, never inline', async () => {
      const { visitor } = await heldDialog(server.url);
      const file = await upload(server.url, visitor, { name: 'logo.svg', type: 'image/svg+xml', bytes: svg });
      expect(file).to.include({ type: 'image/svg+xml', kind: 'file' });
      expect(file.thumbnailUrl).to.equal(undefined);
      const [sent] = (await send(visitor, [file.id])).attachments!;
      const { response } = await download(server.url, sent!.url);
      expect(response.headers.get('content-disposition')).to.match(/^attachment/);
      expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(response.headers.get('content-security-policy')).to.include('sandbox');
    });

    it('when a text file holds a NUL byte or is not UTF-8, then it is refused 415; valid UTF-8 text is kept as text/plain', async () => {
      const { visitor } = await heldDialog(server.url);
      for (const bytes of [Buffer.from('hello\0world'), Buffer.from([0x68, 0xff, 0xfe, 0x41])]) {
        const slot = await call<AttachmentSlot>(visitor, 'attachment:prepare', {
          name: 'notes.txt',
          size: bytes.length,
          type: 'text/plain',
        });
        expect((await put(server.url, slot.uploadUrl, bytes)).status).to.equal(415);
      }
      const text = await upload(server.url, visitor, {
        name: 'notes.txt',
        type: 'text/plain',
        bytes: Buffer.from('Grüße, order 42\n'),
      });
      expect(text).to.include({ type: 'text/plain', kind: 'file' });
    });

    it("when a link is forged for another visitor's file, its signature altered, or used past its expiry, then it is refused 403", async () => {
      const a = await heldDialog(server.url);
      const mine = (
        await send(a.visitor, [
          (
            await upload(server.url, a.visitor, { name: 'a.pdf', type: 'application/pdf', bytes: pdf(100) })
          ).id,
        ])
      ).attachments![0]!;
      await call(a.anna, 'dialog:close', { dialogId: a.dialogId });
      const b = await heldDialog(server.url);
      const theirs = await upload(server.url, b.visitor, {
        name: 'b.pdf',
        type: 'application/pdf',
        bytes: pdf(120),
      });
      // My valid link with the other file's id.
      const forged = mine.url.replace(mine.id, theirs.id);
      expect((await download(server.url, forged)).response.status).to.equal(403);
      const tampered = mine.url.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
      expect((await download(server.url, tampered)).response.status).to.equal(403);
      const thumbnailOfFile = mine.url.replace('/content?', '/thumbnail?');
      expect((await download(server.url, thumbnailOfFile)).response.status).to.equal(403);
      expect((await download(server.url, mine.url)).response.status).to.equal(200);
      ahead = 2 * HOUR_MS;
      const expired = await download(server.url, mine.url);
      expect(expired.response.status).to.equal(403);
      expect(JSON.parse(expired.bytes.toString()))
        .to.have.nested.property('error.message')
        .that.matches(/expired/);
      // The other visitor's upload token does not open my slot either.
      const slot = await call<AttachmentSlot>(b.visitor, 'attachment:prepare', {
        name: 'c.pdf',
        size: 100,
        type: 'application/pdf',
      });
      const otherSlot = await call<AttachmentSlot>(b.visitor, 'attachment:prepare', {
        name: 'd.pdf',
        size: 100,
        type: 'application/pdf',
      });
      const crossed = `/api/attachments/${otherSlot.attachmentId}/upload?${slot.uploadUrl.split('?')[1]}`;
      expect((await put(server.url, crossed, pdf(100))).status).to.equal(403);
    });

    it("when a visitor or an operator reaches for another's dialog or files, then prepare is forbidden and sending them is refused", async () => {
      const a = await heldDialog(server.url);
      const stranger = await connectVisitor(server.url);
      await call(stranger, 'dialog:start', {
        choice: { groupId: 'sales' },
        page: { url: 'http://shop.test/' },
      });
      const intoA = await callRaw(stranger, 'attachment:prepare', {
        dialogId: a.dialogId,
        name: 'x.pdf',
        size: 10,
        type: 'application/pdf',
      });
      expect(intoA).to.have.nested.property('error.code', 'forbidden');
      const aFile = await upload(server.url, a.visitor, {
        name: 'a.pdf',
        type: 'application/pdf',
        bytes: pdf(100),
      });
      const stolen = await callRaw(stranger, 'message:send', {
        clientMessageId: clientId(),
        body: 'mine now',
        attachmentIds: [aFile.id],
      });
      expect(stolen).to.have.nested.property('error.field', 'attachmentIds');
      // An operator who does not hold the dialog (boris, not a supervisor) may not upload into it.
      const boris = await connectOperator(server.url, 'boris@example.com');
      const byBoris = await callRaw(boris, 'attachment:prepare', {
        dialogId: a.dialogId,
        name: 'x.pdf',
        size: 10,
        type: 'application/pdf',
      });
      expect(byBoris).to.have.nested.property('error.code', 'forbidden');
      // Sent once only.
      await send(a.visitor, [aFile.id]);
      const twice = await callRaw(a.visitor, 'message:send', {
        clientMessageId: clientId(),
        body: '',
        attachmentIds: [aFile.id],
      });
      expect(twice).to.have.nested.property('error.field', 'attachmentIds');
    });

    it('when uploads are never sent for an hour, then the sweep deletes them with their bytes; sent ones stay', async () => {
      const { visitor } = await heldDialog(server.url);
      const kept = await upload(server.url, visitor, {
        name: 'kept.pdf',
        type: 'application/pdf',
        bytes: pdf(100),
      });
      await send(visitor, [kept.id]);
      const orphan = await upload(server.url, visitor, {
        name: 'orphan.pdf',
        type: 'application/pdf',
        bytes: pdf(100),
      });
      const key = `attachments/${(await server.engine.database.db('attachments').where({ id: orphan.id }).first()).dialog_id}/${orphan.id}`;
      expect(await stored(server, key)).to.equal(true);
      expect(await server.engine.attachments.sweepOrphans()).to.equal(0);
      ahead = HOUR_MS + 60_000;
      expect(await server.engine.attachments.sweepOrphans()).to.be.at.least(1);
      expect(await server.engine.database.db('attachments').where({ id: orphan.id }).first()).to.equal(
        undefined,
      );
      expect(await stored(server, key)).to.equal(false);
      expect(await server.engine.database.db('attachments').where({ id: kept.id }).first()).to.have.property(
        'status',
        'used',
      );
    });

    it('when a dialog was closed longer ago than fileRetentionDays, then its files are deleted and the message keeps a placeholder', async () => {
      const { visitor, anna, dialogId } = await heldDialog(server.url);
      const file = await upload(server.url, visitor, {
        name: 'old.pdf',
        type: 'application/pdf',
        bytes: pdf(100),
      });
      const [sent] = (await send(visitor, [file.id], { body: 'old receipt' })).attachments!;
      await call(anna, 'dialog:close', { dialogId });
      expect(await server.engine.attachments.applyRetention()).to.equal(0);
      ahead = 25 * HOUR_MS;
      expect(await server.engine.attachments.applyRetention()).to.be.at.least(1);
      const messages = await server.engine.messageRepo.messages(dialogId);
      const placeholder = messages.find((m) => m.body === 'old receipt')!.attachments![0]!;
      expect(placeholder).to.include({ id: file.id, name: 'old.pdf', removed: true, url: '' });
      ahead = 0;
      expect((await download(server.url, sent!.url)).response.status).to.equal(404);
    });

    it("when a supervisor deletes a visitor's data, then it is refused while his dialog is open, and afterwards his dialogs, messages and files are gone and his widget is disconnected", async () => {
      const { visitor, anna, dialogId } = await heldDialog(server.url);
      const session = await call<VisitorSession>(visitor, 'session:resume');
      const [sent] = (
        await send(visitor, [
          (
            await upload(server.url, visitor, { name: 'id.pdf', type: 'application/pdf', bytes: pdf(100) })
          ).id,
        ])
      ).attachments!;
      const token = await login(server.url, 'admin@example.com');
      const erase = () =>
        fetch(`${server.url}/api/visitors/${session.visitorId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        });
      const whileOpen = await erase();
      expect(whileOpen.status).to.equal(409);
      await call(anna, 'dialog:close', { dialogId });
      const done = await erase();
      expect(done.status).to.equal(200);
      expect(await done.json()).to.deep.equal({ data: { dialogs: 1, files: 1 } });
      // His widget's token names nobody now: its socket is closed (it reconnects as a new visitor).
      await eventually(() => visitor.disconnected, 5_000, 'his socket closed');
      const again = await connectVisitor(server.url, { visitorToken: session.visitorToken });
      expect((await call<VisitorSession>(again, 'session:resume')).visitorId).to.not.equal(session.visitorId);
      const { db } = server.engine.database;
      expect(await db('dialogs').where({ id: dialogId }).first()).to.equal(undefined);
      expect(await db('messages').where({ dialog_id: dialogId }).first()).to.equal(undefined);
      expect(await db('attachments').where({ dialog_id: dialogId }).first()).to.equal(undefined);
      expect(await stored(server, `attachments/${dialogId}/${sent!.id}`)).to.equal(false);
      expect((await erase()).status).to.equal(404);
      const asOperator = await fetch(`${server.url}/api/visitors/${session.visitorId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await login(server.url, 'anna@example.com')}` },
      });
      expect(asOperator.status).to.equal(403);
    });
  });
}
