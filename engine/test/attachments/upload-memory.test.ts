import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { closeAllSockets } from '../support/clients';
import { startTestServer, type TestServer } from '../support/engine';
import { runUploadLoad } from './upload-load';

const ROUTING = fileURLToPath(new URL('../fixtures/routing-attachments.yaml', import.meta.url));

// Embedded backends (the disk store): the bytes are not stored in memory anywhere on the way, so what
// RSS shows is the upload path's own holding. The stores' own memory is measured by their contract suite.
describe('attachments: memory while 20 visitors upload 20 MB each (embedded, disk store)', function () {
  this.timeout(300_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer('embedded', { routingConfigPath: ROUTING });
  });
  after(async () => {
    closeAllSockets();
    await server?.cleanup();
  });

  it('when 20 uploads of 20 MB stream through the engine at once, then its RSS grows by far less than the 400 MB sent', async () => {
    const result = await runUploadLoad(server.url, { visitors: 20, mbEach: 20, siteId: 'bigfiles' });
    console.log(
      `      20 x 20 MB: ${result.mbPerSecond.toFixed(1)} MB/s, ${result.seconds.toFixed(1)} s, peak RSS growth ${result.peakRssGrowthMb.toFixed(1)} MB (${result.samples} samples)`,
    );
    expect(result.samples).to.equal(400);
    // Buffering whole files would take 400 MB; streaming holds a few chunks per upload.
    expect(result.peakRssGrowthMb).to.be.below(120);
    const rows = await server.engine.database.db('attachments').where({ status: 'ready' });
    expect(rows.map((r: { size: string | number }) => Number(r.size))).to.deep.equal(
      Array(20).fill(20 * 1024 * 1024),
    );
  });
});
