import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** The ids of what is being handled (a REST request's `reqId`, a socket event's `eventId`). */
export interface HandlingIds {
  reqId?: string;
  eventId?: string;
}

const handling = new AsyncLocalStorage<HandlingIds>();

/**
 * Runs `work` as the handling of one request or socket event: every line logged meanwhile, by any
 * logger down the call (services, the dialog service, consumers it runs), carries its id.
 */
export function whileHandling<T>(ids: HandlingIds, work: () => T): T {
  return handling.run(ids, work);
}

/** The handling's ids not already bound to the logger that writes the line (no key twice). */
function handlingIds(_line: object, _level: number, logger: Logger): object {
  const ids = handling.getStore();
  if (!ids) return {};
  const bound = logger.bindings();
  return Object.fromEntries(Object.entries(ids).filter(([key]) => !(key in bound)));
}

/**
 * JSON lines for log collectors; on a terminal (`npm start` by hand) readable coloured lines instead,
 * written synchronously (no transport thread), so nothing is lost when the process exits.
 */
export function createLogger(level: string, nodeId: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { node: nodeId },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: handlingIds,
  };
  if (destination) return pino(options, destination);
  if (!process.stdout.isTTY) return pino(options);
  return pino(
    options,
    pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }),
  );
}
