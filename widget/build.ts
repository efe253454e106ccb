/**
 * Bundles the widget into one minified IIFE (`dist/widget.js`, es2019) with socket.io-client inside,
 * and prints its raw and gzipped size. `node --import tsx build.ts`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const WIDGET_BUNDLE = here('./dist/widget.js');

/** Builds dist/widget.js; returns its raw and gzipped sizes in bytes. */
export async function buildWidget(
  options: { outfile?: string; sourcemap?: boolean } = {},
): Promise<{ file: string; raw: number; gzip: number }> {
  const outfile = options.outfile ?? WIDGET_BUNDLE;
  const common: BuildOptions = {
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2019',
    minify: true,
    sourcemap: options.sourcemap ?? true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  };
  await build({ ...common, entryPoints: [here('./src/index.ts')], outfile });
  // The phone rule (libphonenumber's metadata) is a second file, loaded when a phone field shows.
  await build({
    ...common,
    entryPoints: [here('./src/ui/phone-entry.ts')],
    outfile: phoneRulesFile(outfile),
  });
  const code = readFileSync(outfile);
  return { file: outfile, raw: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** `widget-phone.js` beside the widget bundle. */
export const phoneRulesFile = (widgetFile: string) => join(dirname(widgetFile), 'widget-phone.js');

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, raw, gzip } = await buildWidget();
  console.log(`${file}: ${kb(raw)} raw, ${kb(gzip)} gzipped`);
}
