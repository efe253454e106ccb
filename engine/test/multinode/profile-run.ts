// Ad-hoc: one engine process with a CPU profile under the load driver (not part of the test suite).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngineProcess } from '../support/engine-process';
import { freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import { TEST_REDIS_URL } from '../support/redis';
import { percentile, prepareLoad, runLoad } from './load-driver';

const schema = freshSchema();
const dir = mkdtempSync(join(tmpdir(), 'hl-prof-'));
const setup = await prepareLoad({
  dir,
  databaseUrl: TEST_DATABASE_URL,
  schema,
  operators: 60,
  groups: 5,
  seed: 1,
});
const node = await startEngineProcess(
  {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `hlprof-${schema}`,
    ROUTING_CONFIG: setup.configPath,
    SEED_DEMO: 'false',
  },
  undefined,
  process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [],
);
const stats = await runLoad({
  urls: [node.url],
  setup,
  dialogs: 400,
  concurrency: 16,
  seed: 1,
  measureMessages: true,
});
console.log(
  `${stats.started} in ${stats.elapsedMs} ms = ${((stats.started / stats.elapsedMs) * 1000).toFixed(1)}/s; msg p50 ${percentile(stats.messageLatencies, 50)} p99 ${percentile(stats.messageLatencies, 99)} (${stats.messageLatencies.length})`,
);
await node.stop();
process.exit(0);
