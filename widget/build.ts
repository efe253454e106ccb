/**
 * Bundles the widget into one minified IIFE (`dist/widget.js`, es2019) with socket.io-client inside,
 * and prints its raw and gzipped size. `node --import tsx build.ts`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const WIDGET_BUNDLE = here('./dist/widget.js');

/** Builds dist/widget.js; returns its raw and gzipped sizes in bytes. */
export async function buildWidget(
  options: { outfile?: string; sourcemap?: boolean } = {},
): Promise<{ file: string; raw: number; gzip: number }> {
  const outfile = options.outfile ?? WIDGET_BUNDLE;
  await build({
    entryPoints: [here('./src/index.ts')],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2019',
    minify: true,
    sourcemap: options.sourcemap ?? true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const code = readFileSync(outfile);
  return { file: outfile, raw: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, raw, gzip } = await buildWidget();
  console.log(`${file}: ${kb(raw)} raw, ${kb(gzip)} gzipped`);
}
