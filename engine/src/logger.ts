import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * JSON lines for log collectors; on a terminal (`npm start` by hand) readable coloured lines instead,
 * written synchronously (no transport thread), so nothing is lost when the process exits.
 */
export function createLogger(level: string, nodeId: string): Logger {
  const options = { level, base: { node: nodeId }, timestamp: pino.stdTimeFunctions.isoTime };
  if (!process.stdout.isTTY) return pino(options);
  return pino(
    options,
    pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }),
  );
}
