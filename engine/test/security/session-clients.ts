import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { DEMO_PASSWORD } from '../../src/accounts/seed';
import type { OperatorSocket } from '../support/clients';

/** A session as an API client and a browser hold it: the bearer token and the cookie pair. */
export interface SignedIn {
  token: string;
  cookie: string;
  sessionId: string;
}

export type Credential = { token: string } | { cookie: string };

const opened: OperatorSocket[] = [];

/** Closes every socket these helpers opened. */
export function closeSessionSockets() {
  for (const socket of opened.splice(0)) socket.close();
}

export async function signIn(
  url: string,
  email: string,
  password = DEMO_PASSWORD,
  userAgent = 'security-test',
): Promise<SignedIn> {
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`login ${email}: ${response.status}`);
  const body = (await response.json()) as { data: { token: string; sessionId: string } };
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { token: body.data.token, cookie, sessionId: body.data.sessionId };
}

const headersOf = (credential: Credential): Record<string, string> =>
  'token' in credential ? { authorization: `Bearer ${credential.token}` } : { cookie: credential.cookie };

/** A REST call with a bearer token or the cookie; the status and the parsed body. */
export async function rest<T = unknown>(
  url: string,
  credential: Credential | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; data: T; error?: { code: string; field?: string } }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(credential ? headersOf(credential) : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      // As the console's browser does: its own origin on every request (the CSRF check on cookie writes).
      origin: new URL(url).origin,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await response.json()) as { data: T; error?: { code: string; field?: string } };
  return { status: response.status, data: parsed.data, error: parsed.error };
}

/**
 * Opens `/operator` with `auth.token` or with the cookie header (as the console does); resolves with
 * the socket, or with the refusal's code.
 */
export function openOperatorSocket(
  url: string,
  credential: Credential,
): Promise<OperatorSocket | { refused: string }> {
  const socket: OperatorSocket = io(`${url}/operator`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...('token' in credential
      ? { auth: { token: credential.token } }
      : { extraHeaders: { cookie: credential.cookie } }),
  });
  opened.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
      resolve({ refused: error.data?.code ?? error.message }),
    );
  });
}

export async function connectedSocket(url: string, credential: Credential): Promise<OperatorSocket> {
  const result = await openOperatorSocket(url, credential);
  if ('refused' in result) throw new Error(`operator socket refused: ${result.refused}`);
  return result;
}

/** Resolves with the disconnect reason and the time it arrived. */
export function disconnection(socket: OperatorSocket): Promise<{ reason: string; at: number }> {
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve({ reason, at: Date.now() })));
}

/** A fresh account for one test, so tests that revoke or demote do not lean on each other. */
export async function newAccount(
  url: string,
  supervisor: Credential,
  role: 'operator' | 'supervisor' = 'operator',
) {
  const email = `op-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'first-password-1';
  const created = await rest<{ id: string }>(url, supervisor, 'POST', '/api/operators', {
    email,
    name: 'Test Operator',
    password,
    role,
  });
  if (created.status !== 201) throw new Error(`create operator: ${created.status}`);
  return { id: created.data.id, email, password };
}
