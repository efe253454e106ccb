import { expect } from 'chai';
import { type Backends, TEST_ROUTING, type TestServer, withTestServer } from '../support/engine';
import { formatReport, runFuzz } from './fuzz-runner';

/** CI runs FUZZ_CASES (default 5,000) split over both backends; `npm run fuzz` runs 100,000. */
const TOTAL_CASES = Number(process.env.FUZZ_CASES ?? 5_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
/** heapUsed after gc may grow this much over a run (caches, pools, JIT) and still count as "back". */
const HEAP_SLACK_MB = 40;

for (const backends of ['embedded', 'real'] as Backends[]) {
  describe(`fuzz: every REST route and both socket namespaces (${backends})`, function () {
    this.timeout(Math.max(120_000, TOTAL_CASES * 60));
    let server: TestServer;
    withTestServer(backends, { routingConfigPath: TEST_ROUTING }, (s) => {
      server = s;
    });

    it('when random and malicious input arrives, then nothing answers 5xx, crashes, disconnects, times out or keeps memory', async () => {
      const cases = Math.ceil(TOTAL_CASES / 2);
      const report = await runFuzz(server, {
        cases,
        seed: SEED + (backends === 'real' ? 1 : 0),
        concurrency: 8,
      });
      console.log(formatReport(report, backends));
      expect(report.cases).to.equal(cases);
      expect(report.serverErrors, 'responses 5xx or internal acks').to.deep.equal([]);
      expect(report.ackTimeouts, 'ack timeouts').to.deep.equal([]);
      expect(report.crashes, 'uncaught errors').to.deep.equal([]);
      expect(report.unexpectedDisconnects, 'unexpected disconnects').to.equal(0);
      expect(report.heapAfterMb, 'heapUsed after gc').to.be.below(report.heapBeforeMb + HEAP_SLACK_MB);
      expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
    });
  });
}
