import { expect } from 'chai';
import type { MessageView } from '@hotline/protocol';
import { call, clientId, connectVisitor, eventually, next } from '../support/clients';
import type { TestServer } from '../support/engine';
import type { CommandCounts } from '../support/redis-counter';
import { countedEngine, startAssigned } from './counted-engine';

/** The budget: Redis commands per routed dialog, every client of the engine counted. */
const BUDGET = 6;
/**
 * Commands Redis runs for a routed dialog on the engine's keys, scripts' inner commands included (the
 * bench's count). Each operator's load is a kept number, so no step costs one command per operator
 * of the group: it was 406, of which 204 ZLEXCOUNTs (one per operator per operator read), then 207
 * before a new dialog was held and stored assigned in one commit, 134 before the close's release
 * answered the holder's load and where someone waits (no operator reads, no queue-position flush or
 * assignment run of an empty queue: queueWindows read ~57 there) and a start read its group's
 * operators once. What remains is the start's operator read (six HMGETs) and the scripts' writes.
 */
const INSIDE_BUDGET = 54;
const OPERATORS = 50;
const MEASURED_DIALOGS = 3;
/** A gap longer than the longest debounce of a push (the dashboard's 500 ms). */
const QUIET_MS = 800;

// Background loops run on their own clock, not per dialog: pushed far out so only the dialog's own work counts.
const QUIET = {
  TIMER_POLL_MS: 600_000,
  RECONCILE_INTERVAL_MS: 600_000,
  PRESENCE_HEARTBEAT_MS: 600_000,
  PRESENCE_GRACE_MS: 600_000,
};

describe(`Redis commands per routed dialog (one node, ${OPERATORS} operators online in the group)`, function () {
  this.timeout(180_000);
  // The routing-state check (GET epoch, each second) and the node count (PUBSUB, every 2 s) run on a clock.
  const { counter, monitor, engine } = countedEngine({
    operators: OPERATORS,
    monitor: true,
    clocks: QUIET,
    isBackground: (label, args) =>
      label === 'pubsub' || (label === 'get' && String(args[0]).endsWith(':epoch')),
  });

  /**
   * Waits until no counted command went out for QUIET_MS: the debounced pushes (queue positions after
   * 50 ms, the supervisors' dashboard after 500 ms) land in the step that caused them.
   */
  async function quiet(running: TestServer) {
    await running.engine.assignments.idle();
    await eventually(() => Date.now() - counter.lastAt >= QUIET_MS, 30_000, 'no Redis command for a while');
  }

  /** start with a first message → assigned → one message → closed; the commands of each step. */
  async function routeOneDialog(running: TestServer) {
    const { setup, operators } = engine();
    const steps: Record<string, CommandCounts> = {};
    const inside: Record<string, CommandCounts> = {};
    let background = 0;
    const settle = async (step: string) => {
      await quiet(running);
      const taken = counter.take();
      steps[step] = taken.counted;
      inside[step] = monitor.take().counted;
      background += taken.background.total;
    };
    await quiet(running);
    counter.take();
    monitor.take();
    const visitor = await connectVisitor(running.url);
    await settle('connect');

    const { operator, dialog } = await startAssigned(visitor, { setup, operators });
    await settle('start → assigned');

    const reply = next<MessageView>(visitor, 'message:new', (m) => m.authorKind === 'operator');
    await call(operator, 'message:send', { dialogId: dialog.id, clientMessageId: clientId(), body: 'Hi' });
    await reply;
    await settle('one message');

    await call(operator, 'dialog:close', { dialogId: dialog.id, outcome: 'resolved' });
    await eventually(async () => (await running.engine.repo.findDialog(dialog.id))?.state === 'closed');
    await settle('closed');
    visitor.close();
    return { steps, inside, background };
  }

  it(`when a dialog is routed end to end, then it costs at most ${BUDGET} Redis commands, ${INSIDE_BUDGET} as Redis runs them`, async () => {
    const { server } = engine();
    counter.start();
    await routeOneDialog(server); // warm-up: scripts loaded, connections settled
    const totals: number[] = [];
    const insideTotals: number[] = [];
    const sum = (counts: Record<string, CommandCounts>) =>
      Object.values(counts).reduce((total, s) => total + s.total, 0);
    for (let i = 0; i < MEASURED_DIALOGS; i += 1) {
      const { steps, inside, background } = await routeOneDialog(server);
      totals.push(sum(steps));
      insideTotals.push(sum(inside));
      console.log(
        `    dialog ${i + 1}: ${sum(steps)} Redis commands sent, ${sum(inside)} run by Redis (+ ${background} of clock-driven loops meanwhile)`,
      );
      for (const [step, count] of Object.entries(steps)) {
        console.log(
          `      ${step.padEnd(18)} ${String(count.total).padStart(4)}  ${JSON.stringify(count.byCommand)}`,
        );
        const run = inside[step];
        if (run)
          console.log(
            `      ${'  run by Redis'.padEnd(18)} ${String(run.total).padStart(4)}  ${JSON.stringify(run.byCommand)}`,
          );
      }
    }
    expect(Math.max(...totals)).to.be.at.most(BUDGET);
    expect(Math.max(...insideTotals)).to.be.at.most(INSIDE_BUDGET);
  });
});
