import { ConfigError, checkRoutingFile, loadConfig } from '../config';

/**
 * `npm start`'s first step: the environment and the routing file are valid, or one line per problem
 * and exit 2, before anything is built (the engine checks the same again when it starts).
 */
try {
  const config = loadConfig();
  checkRoutingFile(config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
