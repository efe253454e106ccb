import { expect } from 'chai';
import { countedEngine, PRODUCTION_CLOCKS } from './counted-engine';

const OPERATORS = 50;
/** Long enough for every loop to run several times (reconcile and heartbeats: 3 times each). */
const WINDOW_MS = 15_500;
/**
 * Commands per second an idle node may send, whatever the number of operators online (before: ~50/s
 * with 50 operators, three per operator per reconcile pass and one heartbeat per connection): the
 * timer poll (one script, 4/s), the routing-state check (1/s), the node count (0.5/s), one heartbeat
 * script per interval for all connections, and per reconcile pass a lease, about eight reads and its
 * release (~7.5/s measured).
 */
const BUDGET_PER_SECOND = 10;

describe(`Redis commands of an idle engine (one node, ${OPERATORS} operators online, no dialog)`, function () {
  this.timeout(180_000);
  const { counter, engine } = countedEngine({ operators: OPERATORS, clocks: PRODUCTION_CLOCKS });

  it(`when nothing happens, then it sends at most ${BUDGET_PER_SECOND} Redis commands a second`, async () => {
    expect(engine().operators.size).to.equal(OPERATORS);
    counter.start();
    counter.take();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const { counted } = counter.take();
    const perSecond = counted.total / (WINDOW_MS / 1000);
    console.log(
      `    ${counted.total} commands in ${WINDOW_MS / 1000} s (${perSecond.toFixed(1)}/s): ${JSON.stringify(counted.byCommand)}`,
    );
    expect(perSecond).to.be.at.most(BUDGET_PER_SECOND);
  });
});
