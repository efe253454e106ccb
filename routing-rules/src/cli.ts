import { readFile } from 'node:fs/promises';
import { readRoutingYaml } from './parse-yaml';
import { deprecatedKeys } from './renamed-keys';

const USAGE = 'usage: routing-rules check <routing.yaml>';

/**
 * `routing-rules check <file>`: prints `ok` and returns 0 for a valid config (with a warning on
 * stderr per deprecated key it still uses), else one `path: message` line per error and returns 1;
 * 2 for usage or read errors.
 */
export async function main(args: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, file] = args;
  if (command !== 'check' || !file) {
    err.write(`${USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    err.write(`cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  const result = readRoutingYaml(text);
  if (result.ok) {
    for (const key of deprecatedKeys(result.entered)) err.write(`warning: ${key.path} ${key.message}\n`);
    out.write('ok\n');
    return 0;
  }
  for (const e of result.errors) out.write(`${e.path}: ${e.message}\n`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
