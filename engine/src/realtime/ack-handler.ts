import type { z } from 'zod';
import { fromZodIssues, toAppError } from '../errors';
import type { Logger } from '../logger';
import type { Ack } from '../protocol/events';

/**
 * Wraps a socket event handler: validates the payload with zod, runs the use case, acks
 * `{ data }` or `{ error: { code, field, message } }`. A bad payload never drops the connection.
 */
export function ackHandler<S extends z.ZodType, T>(
  logger: Logger,
  schema: S,
  work: (input: z.infer<S>) => Promise<T>,
) {
  return async (payload: unknown, ack?: (response: Ack<T>) => void) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    const parsed = schema.safeParse(payload ?? {});
    if (!parsed.success) {
      reply({ error: fromZodIssues(parsed.error.issues).toBody() });
      return;
    }
    try {
      reply({ data: await work(parsed.data) });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'internal') logger.error({ err: error }, 'socket handler failed');
      reply({ error: appError.toBody() });
    }
  };
}
