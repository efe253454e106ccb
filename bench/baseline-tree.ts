/**
 * The engine of an earlier commit, for the e2e bench's before/after rows (`BENCH_E2E_BASELINE_REF`):
 * a temporary `git worktree` of that commit with its own `npm ci`, removed afterwards. Only its engine
 * process and its schema come from it; the driver, the backends and the measures stay this tree's, so
 * both engines are measured the same way.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { LoadSetup } from '../engine/test/multinode/load-driver';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BaselineTree {
  /** As given (`e880bd1`, a tag, a branch). */
  ref: string;
  /** The commit's abbreviated hash. */
  short: string;
  /** The worktree: an engine started with this as its cwd runs that commit's code. */
  dir: string;
  /** That commit's own `prepareLoad` on a fresh schema (see below). */
  prepareLoad(options: {
    dir: string;
    databaseUrl: string;
    schema: string;
    operators: number;
    seed: number;
  }): Promise<LoadSetup>;
  remove(): void;
}

const git = (...args: string[]) =>
  execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Runs a command in `cwd`, its output kept for the error only; resolves with its stdout. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`)),
    );
  });
}

const LoadSetupSchema = z.object({
  staffed: z.array(z.string()),
  unstaffed: z.array(z.string()),
  groups: z.array(z.string()),
  operators: z.array(z.object({ email: z.string(), limit: z.number(), groups: z.array(z.string()) })),
  configPath: z.string(),
});

/**
 * Checks `ref` out into a temporary worktree and installs its dependencies (`npm ci --prefer-offline`:
 * the npm cache usually holds them). Throws, with the worktree removed, when either fails.
 */
export async function checkoutBaseline(ref: string): Promise<BaselineTree> {
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const short = git('rev-parse', '--short', sha);
  const parent = mkdtempSync(join(tmpdir(), 'hotline-bench-baseline-'));
  const dir = join(parent, 'tree');
  git('worktree', 'add', '--detach', dir, sha);
  const remove = () => {
    try {
      git('worktree', 'remove', '--force', dir);
    } catch {
      // already gone: prune below forgets it
    }
    rmSync(parent, { recursive: true, force: true });
    git('worktree', 'prune');
  };
  try {
    await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir, process.env);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    ref,
    short,
    dir,
    // The schema is built by that commit's migrations: an older engine refuses a schema that has
    // migrations it does not know (knex's "migration directory is corrupt"), so this tree's
    // prepareLoad cannot serve. Its own prepareLoad (the multi-node tests' set-up, in the tree since
    // before the bench) also writes the routing config in that commit's format. One group, as here.
    async prepareLoad(options) {
      const script = [
        "const { prepareLoad } = await import('./engine/test/multinode/load-driver.ts');",
        'const setup = await prepareLoad({ ...JSON.parse(process.env.BENCH_LOAD), groups: 1 });',
        "process.stdout.write('\\nsetup ' + JSON.stringify(setup) + '\\n');",
      ].join('\n');
      const out = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], dir, {
        PATH: process.env.PATH ?? '',
        BENCH_LOAD: JSON.stringify(options),
      });
      const line = out.split('\n').find((l) => l.startsWith('setup '));
      if (!line) throw new Error(`the baseline's prepareLoad printed no setup:\n${out.slice(-2000)}`);
      return LoadSetupSchema.parse(JSON.parse(line.slice('setup '.length)));
    },
    remove,
  };
}
