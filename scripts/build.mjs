#!/usr/bin/env node
/**
 * `npm run build` (and `npm start` before it starts the engine): builds the engine into
 * `engine/dist/` (compiled JavaScript: production runs no TypeScript), the widget and the console —
 * each only when its inputs changed since its last build (a content fingerprint kept beside its
 * output). `--force` rebuilds everything. Plain JavaScript, so it runs before anything is compiled.
 *
 * The engine is bundled with esbuild: its own sources and the workspace packages it imports
 * (`@hotline/*`, TypeScript sources) are compiled in; every other package stays an import of
 * node_modules. `import.meta.url` keeps meaning the source file's place, mirrored under
 * `engine/dist/` (the Lua scripts are copied beside it), so file lookups work the same from the
 * sources (tsx, tests) and from the build.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => join(ROOT, path);
const force = process.argv.includes('--force');
const SKIP = new Set(['node_modules', 'dist', 'test', 'data', 'demo']);

/** Every file under the given paths (directories recursively, minus SKIP), sorted. */
function files(paths) {
  const found = [];
  const walk = (path) => {
    if (!existsSync(path)) return;
    if (!statSync(path).isDirectory()) return found.push(path);
    for (const name of readdirSync(path)) if (!SKIP.has(name)) walk(join(path, name));
  };
  for (const path of paths) walk(at(path));
  return found.sort();
}

function fingerprint(paths) {
  const hash = createHash('sha256');
  for (const file of files(paths)) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file));
  return hash.digest('hex');
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Shared inputs: the pure rules and the browser helpers are compiled into every part; the lock pins versions. */
const SHARED = ['routing-rules/src', 'routing-rules/package.json', 'package-lock.json', 'scripts/build.mjs'];

const ENGINE_ENTRIES = {
  main: 'engine/src/main.ts',
  'check-config': 'engine/src/cli/check-config.ts',
  migrate: 'engine/src/cli/migrate.ts',
  seed: 'engine/src/cli/seed.ts',
};

async function buildEngine() {
  const { build } = await import('esbuild');
  const outdir = at('engine/dist');
  const sources = at('engine/src');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENGINE_ENTRIES).map(([name, path]) => [name, at(path)])),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'hotline-engine',
        setup(on) {
          // Packages from node_modules stay imports (installed by npm ci --omit=dev); workspaces are compiled in.
          on.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@hotline/') ? undefined : { path: args.path, external: true },
          );
          on.onLoad({ filter: /\.ts$/ }, (args) => {
            const text = readFileSync(args.path, 'utf8');
            if (!text.includes('import.meta.url')) return undefined;
            const mirror = relative(sources, args.path).split(sep).join('/').replace(/\.ts$/, '.js');
            const place = `new URL(${JSON.stringify(`./${mirror}`)}, import.meta.url).href`;
            return { contents: text.replaceAll('import.meta.url', place), loader: 'ts' };
          });
        },
      },
    ],
  });
  for (const file of files(['engine/src'])) {
    if (!file.endsWith('.lua')) continue;
    const target = join(outdir, relative(sources, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
}

const parts = [
  {
    name: 'engine',
    inputs: ['engine/src', 'engine/package.json', ...SHARED],
    output: 'engine/dist',
    build: buildEngine,
  },
  {
    name: 'widget',
    inputs: ['widget', 'client/src', ...SHARED],
    output: 'widget/dist',
    build: () => run('npm', ['run', 'build', '-w', '@hotline/widget']),
  },
  {
    name: 'console',
    inputs: ['operator-ui', 'client/src', ...SHARED],
    output: 'operator-ui/dist',
    build: () => run('npm', ['run', 'build', '-w', '@hotline/operator-ui']),
  },
];

const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
for (const part of parts) {
  if (only.length > 0 && !only.includes(part.name)) continue;
  const stamp = at(`${part.output}/.build-fingerprint`);
  const wanted = fingerprint(part.inputs);
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    console.log(`build: ${part.name} is up to date`);
    continue;
  }
  const started = Date.now();
  await part.build();
  mkdirSync(at(part.output), { recursive: true });
  writeFileSync(stamp, wanted);
  console.log(`build: ${part.name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
