import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimOptions, SimResult } from './simulation';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface SimRun {
  options: SimOptions;
  result: SimResult;
}

/**
 * Runs the simulations in `workers` child processes (one per core): each child takes the next run
 * when it is done with one, so the longest runs should come first. A seed's run is the same in any
 * process (its own schema, store, clock and ids), so it replays the same as with `npm run sim`.
 * `onResult` sees each run as it ends. Rejects if a child dies or a run throws.
 */
export async function runInWorkers(
  runs: SimOptions[],
  workers: number,
  onResult: (run: SimRun) => void = () => undefined,
): Promise<SimRun[]> {
  const pending = [...runs];
  const done: SimRun[] = [];
  const children: ChildProcess[] = [];
  const serve = (child: ChildProcess) =>
    new Promise<void>((resolve, reject) => {
      let current: SimOptions | undefined;
      const next = () => {
        current = pending.shift();
        if (current) child.send(current);
        else resolve();
      };
      child.on('message', (message: { ok: true; result: SimResult } | { ok: false; error: string }) => {
        if (!current) return;
        if (!message.ok)
          return reject(
            new Error(
              `seed ${current.seed}${current.plant ? ` (${current.plant})` : ''} threw: ${message.error}`,
            ),
          );
        const run = { options: current, result: message.result };
        done.push(run);
        onResult(run);
        next();
      });
      child.on('exit', (code, signal) => {
        if (current) reject(new Error(`the worker running seed ${current.seed} exited (${code ?? signal})`));
      });
      next();
    });
  try {
    for (let i = 0; i < Math.max(1, Math.min(workers, runs.length)); i++) {
      // 'advanced' serialization keeps the result's Map (kinds) intact.
      children.push(
        fork(WORKER, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: 'inherit' }),
      );
    }
    await Promise.all(children.map(serve));
  } finally {
    for (const child of children) {
      if (child.connected) child.disconnect();
      if (child.exitCode === null) child.kill();
    }
  }
  // In the order asked, whatever order they ended in.
  return runs
    .map((options) => done.find((r) => r.options === options))
    .filter((r): r is SimRun => r !== undefined);
}
