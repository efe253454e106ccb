import type { TestServer } from '../support/engine';

export interface ApiResponse<T> {
  status: number;
  body: {
    data: T;
    error: { code: string; field?: string; message: string; details?: { path: string; message: string }[] };
  };
}

/** One REST call with a Bearer token and a JSON body; the status and the parsed JSON answer. */
export async function api<T>(
  server: TestServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ApiResponse<T>['body'] };
}
