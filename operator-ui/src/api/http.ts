import type { ErrorBody } from '@hotline/protocol';
import type { ErrorDetail } from '../lib/error-paths';

/** An API failure with the engine's error code, the field at fault and every validation detail. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorBody['code'] | 'network',
    message: string,
    readonly field?: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Calls the engine's REST API with the session cookie and unwraps `{ data }`. Errors become ApiError;
 * a 401 also tells the registered listener, so the console returns to the login screen.
 */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { Accept: 'application/json' }
          : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'network', `The engine cannot be reached (${(error as Error).message}).`);
  }
  const payload = (await response.json().catch(() => null)) as {
    data?: T;
    error?: ErrorBody & { details?: ErrorDetail[] };
  } | null;
  if (!response.ok || !payload || payload.error) {
    const error = payload?.error;
    if (response.status === 401 && !path.startsWith('/api/auth/login')) unauthorizedListener?.();
    throw new ApiError(
      response.status,
      error?.code ?? 'internal',
      error?.message ?? `HTTP ${response.status}`,
      error?.field,
      error?.details ?? [],
    );
  }
  return payload.data as T;
}

let unauthorizedListener: (() => void) | null = null;
export function onUnauthorized(listener: () => void) {
  unauthorizedListener = listener;
}
