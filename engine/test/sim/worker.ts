import { type SimOptions, Simulation } from './simulation';

/**
 * A child process of `runInWorkers` (parallel.ts): runs the seeds it is sent one at a time, each in a
 * fresh Simulation (its own schema, store and clock), and answers with the result or the error that
 * stopped the run. Exits when its parent disconnects.
 */
process.on('message', async (options: SimOptions) => {
  try {
    process.send?.({ ok: true, result: await new Simulation(options).run() });
  } catch (error) {
    process.send?.({
      ok: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
process.on('disconnect', () => process.exit(0));
