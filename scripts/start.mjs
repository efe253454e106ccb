#!/usr/bin/env node
/**
 * `npm start`: checks the configuration (environment and routing file: exit 2 at once when bad),
 * builds what changed (scripts/build.mjs), starts the compiled engine with the demo accounts
 * (SEED_DEMO defaults to true here only), and once it answers /healthz prints where to go and how to
 * log in. Signals are passed on, and the engine's exit code is ours.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, SEED_DEMO: process.env.SEED_DEMO || 'true' };

const check = spawnSync(process.execPath, ['--import', 'tsx', 'engine/src/cli/check-config.ts'], {
  cwd: ROOT,
  env,
  stdio: 'inherit',
});
if (check.status !== 0) process.exit(check.status ?? 1);

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const engine = spawn(process.execPath, ['--enable-source-maps', 'engine/dist/main.js'], {
  cwd: ROOT,
  env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => engine.kill(signal));
engine.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

const port = Number(env.PORT || 3000);
const host = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST;
const base = env.PUBLIC_URL?.replace(/\/$/, '') || `http://${host}:${port}`;
const demo = ['true', '1', 'yes'].includes(env.SEED_DEMO);

async function announce() {
  for (;;) {
    if (engine.exitCode !== null) return;
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const lines = [
    '',
    `Hotline is running at ${base}`,
    '',
    `  Operator console  ${base}/console/`,
    `  Demo shop         ${base}/demo  (the chat widget is in the corner)`,
    `  Widget script     ${base}/widget.js  (<script src="${base}/widget.js" data-site="demo" async></script>)`,
    `  Health            ${base}/healthz`,
    '',
  ];
  if (demo)
    lines.push(
      '  Demo logins (password demo-password for each):',
      '    anna@example.com   operator: every chat but daytime delivery, at any hour, in Russian and English',
      '    boris@example.com  operator: delivery in the daytime (while the delivery desk is open)',
      '    carl@example.com   operator: support (returns, warranty, English) day and night; sales after a minute',
      '    dina@example.com   operator: delivery and support',
      '    admin@example.com  supervisor: groups, routing, dashboards',
      '',
      '  Try it: log in as anna in the console, then open the demo shop and ask a question.',
      '',
    );
  else lines.push('  No demo accounts (SEED_DEMO is off): log in as ADMIN_EMAIL.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}
announce();
