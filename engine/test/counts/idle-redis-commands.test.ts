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
/**
 * Commands per second as Redis runs them (the scripts' inner commands included, what the bench's
 * `INFO commandstats` counts). Per operator online: one ZADD per heartbeat (0.2/s) and one ZRANGE per
 * reconcile sweep (0.2/s); before, the sweep read each operator's latest entry and then dropped his
 * run-out entries even when there were none (0.4/s). Measured with 50 operators in this window
 * (3 or 4 beats and sweeps fall in it): 65.5–65.8/s before, 56.1–59.4/s now.
 */
const INNER_BUDGET_PER_SECOND = 61;

describe(`Redis commands of an idle engine (one node, ${OPERATORS} operators online, no dialog)`, function () {
  this.timeout(180_000);
  const { counter, monitor, engine } = countedEngine({
    operators: OPERATORS,
    clocks: PRODUCTION_CLOCKS,
    monitor: true,
  });

  it(`when nothing happens, then it sends at most ${BUDGET_PER_SECOND} Redis commands a second, and Redis runs at most ${INNER_BUDGET_PER_SECOND}`, async () => {
    expect(engine().operators.size).to.equal(OPERATORS);
    counter.start();
    counter.take();
    monitor.take();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const { counted } = counter.take();
    const inner = monitor.take().counted;
    const perSecond = counted.total / (WINDOW_MS / 1000);
    const innerPerSecond = inner.total / (WINDOW_MS / 1000);
    console.log(
      `    ${counted.total} commands in ${WINDOW_MS / 1000} s (${perSecond.toFixed(1)}/s): ${JSON.stringify(counted.byCommand)}`,
    );
    console.log(
      `    as Redis runs them: ${inner.total} (${innerPerSecond.toFixed(1)}/s): ${JSON.stringify(inner.byCommand)}`,
    );
    expect(perSecond).to.be.at.most(BUDGET_PER_SECOND);
    expect(innerPerSecond).to.be.at.most(INNER_BUDGET_PER_SECOND);
  });
});
