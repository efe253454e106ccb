import { expect } from 'chai';
import { closeAllSockets, connectVisitor } from '../support/clients';
import { PgCounter } from '../support/pg-counter';
import { countedEngine, PRODUCTION_CLOCKS } from './counted-engine';

const OPERATORS = 50;
const VISITORS = 20;
/** Long enough for every loop to run several times (the reconcile pass: 3 times). */
const WINDOW_MS = 15_500;
/**
 * Statements per second an idle node may send to Postgres (the bench's per-dialog counts carry them at
 * low rates). Before: ~2.1/s — the routing config's version poll (1/s) and four reads per reconcile
 * pass (0.8/s). Now the config follows saves by NOTIFY (a poll once a minute as a fallback) and files
 * are swept once a minute: two reads per reconcile pass (open dialogs, dialogs of gone operators),
 * 0.4/s, and a files sweep (two reads) when one falls in the window — three or four passes, so 6 to 10
 * statements in 15.5 s (0.39–0.65/s measured). docs/bench.md lists them.
 */
const BUDGET_PER_SECOND = 0.7;

describe(`Postgres statements of an idle engine (one node, ${OPERATORS} operators online, ${VISITORS} visitors connected, no dialog)`, function () {
  this.timeout(180_000);
  const { engine } = countedEngine({ operators: OPERATORS, clocks: PRODUCTION_CLOCKS });

  after(() => closeAllSockets());

  it(`when nothing happens, then it sends at most ${BUDGET_PER_SECOND} statements a second`, async () => {
    const { server } = engine();
    for (let i = 0; i < VISITORS; i++) await connectVisitor(server.url);
    const counter = new PgCounter(server.engine.database.db);
    try {
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
      const counted = counter.take();
      const perSecond = counted.statements / (WINDOW_MS / 1000);
      const bySql = new Map<string, number>();
      for (const sql of counted.sql) bySql.set(sql.slice(0, 90), (bySql.get(sql.slice(0, 90)) ?? 0) + 1);
      console.log(
        `    ${counted.statements} statements in ${WINDOW_MS / 1000} s (${perSecond.toFixed(2)}/s), +${counted.sessionChecks} session re-checks:`,
      );
      for (const [sql, n] of bySql) console.log(`      ${n}  ${sql}`);
      expect(perSecond).to.be.at.most(BUDGET_PER_SECOND);
    } finally {
      counter.stop();
    }
  });
});
