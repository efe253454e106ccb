import { parseDocument } from 'yaml';
import type { RoutingConfig } from './schema';
import { type ConfigError, type ValidationResult, validateRoutingConfig } from './validate';

/**
 * YAML text → validated config. YAML syntax errors come back as errors with path `yaml` and the
 * line/column in the message; otherwise the result of validateRoutingConfig. Never throws.
 */
export function parseRoutingYaml(text: string): ValidationResult {
  const read = readRoutingYaml(text);
  return read.ok ? { ok: true, config: read.config } : read;
}

/** As parseRoutingYaml, with the document as written (`entered`): what is stored, defaults left out. */
export function readRoutingYaml(
  text: string,
): { ok: true; config: RoutingConfig; entered: unknown } | { ok: false; errors: ConfigError[] } {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        path: 'yaml',
        message: `${e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : ''}${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    };
  }
  const entered: unknown = doc.toJS();
  const result = validateRoutingConfig(entered);
  return result.ok ? { ok: true, config: result.config, entered } : result;
}
