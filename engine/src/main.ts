import { ConfigError, checkRoutingFile, loadConfig } from './config';
import { startServer } from './server';

/** Process entry: a bad environment exits 2 with one line; SIGTERM/SIGINT drain and exit 0. */
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
    checkRoutingFile(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const server = await startServer(config);
  // A stray rejection (a dependency's callback, a race at shutdown) is logged, not fatal: every
  // request path has its own error handling, and dying would drop every live connection.
  process.on('unhandledRejection', (reason) =>
    server.engine.logger.error({ err: reason }, 'unhandled rejection'),
  );
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    server.engine.logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (error) => {
        server.engine.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  // A refusal found once the database is open (a demo account in production) is a configuration error too.
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`engine failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
