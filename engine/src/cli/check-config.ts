import { existsSync, readFileSync } from 'node:fs';
import { deprecatedKeys } from '@hotline/routing-rules';
import { parse } from 'yaml';
import { ConfigError, checkRoutingFile, loadConfig } from '../config';

/**
 * `npm start`'s first step: the environment and the routing file are valid, or one line per problem
 * and exit 2, before anything is built (the engine checks the same again when it starts). Deprecated
 * keys still load; each is named on stderr so the file gets updated.
 */
try {
  const config = loadConfig();
  checkRoutingFile(config);
  const path = config.routingConfigPath;
  if (existsSync(path))
    for (const key of deprecatedKeys(parse(readFileSync(path, 'utf8'))))
      process.stderr.write(`warning: ${path}: ${key.path} ${key.message}\n`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
