/**
 * Widget size benchmark: builds the shipped bundle and two comparison variants into a temp dir and
 * prints raw and gzipped sizes. `node --import tsx widget/bench/size.ts` (the root `npm run bench` runs it).
 *  - widget.js: what the engine serves (socket.io-client's ESM build bundled in)
 *  - prebuilt socket.io: the same with socket.io-client's own minified ESM dist aliased in
 *  - without socket.io: the widget's own code only (socket.io-client left external), to show its share
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const TARGET_GZIP = 45 * 1024;
const socketIoDir = dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json'));

export interface SizeRow {
  variant: string;
  raw: number;
  gzip: number;
}

export async function measureWidget(): Promise<SizeRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'widget-size-'));
  const base: BuildOptions = {
    entryPoints: [here('../src/index.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2019',
    minify: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  };
  const variants: [string, BuildOptions][] = [
    ['widget.js', {}],
    ['prebuilt socket.io', { alias: { 'socket.io-client': join(socketIoDir, 'dist/socket.io.esm.min.js') } }],
    ['without socket.io', { external: ['socket.io-client'] }],
    ['widget-phone.js', { entryPoints: [here('../src/ui/phone-entry.ts')] }],
  ];
  const rows: SizeRow[] = [];
  try {
    for (const [variant, extra] of variants) {
      const outfile = join(dir, `${rows.length}.js`);
      try {
        await build({ ...base, ...extra, outfile });
      } catch {
        continue; // a variant that does not build is left out, the shipped one must build
      }
      const code = readFileSync(outfile);
      rows.push({ variant, raw: code.length, gzip: gzipSync(code, { level: 9 }).length });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await measureWidget();
  for (const row of rows)
    console.log(
      `${row.variant.padEnd(20)} ${kb(row.raw).padStart(9)} raw ${kb(row.gzip).padStart(9)} gzipped`,
    );
  const shipped = rows.find((r) => r.variant === 'widget.js');
  if (!shipped || shipped.gzip > TARGET_GZIP) {
    console.error(`widget.js is over the ${kb(TARGET_GZIP)} gzipped budget`);
    process.exitCode = 1;
  }
}
