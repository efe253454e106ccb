import WebSocket from 'ws';

/**
 * A socket.io client speaking the wire protocol by hand (engine.io v4 over a websocket), so a test
 * can send frames socket.io-client would not build: payloads nested 100,000 deep, raw JSON text.
 */
export interface RawSocket {
  /** Emits `[event, <payloadJson>]` with an ack id; resolves with the ack's JSON text, rejects after `timeoutMs`. */
  emit(event: string, payloadJson: string, timeoutMs?: number): Promise<string>;
  readonly open: boolean;
  close(): void;
}

export function rawSocket(
  url: string,
  namespace: '/visitor' | '/operator',
  auth: unknown,
): Promise<RawSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const acks = new Map<number, (text: string) => void>();
  let nextId = 1;
  let open = false;
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', () => {
      open = false;
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '2') return ws.send('3');
      if (text.startsWith('0')) return ws.send(`40${namespace},${JSON.stringify(auth)}`);
      if (text.startsWith(`40${namespace},`)) {
        open = true;
        return resolve({
          emit(event, payloadJson, timeoutMs = 15_000) {
            const id = nextId++;
            return new Promise((done, fail) => {
              const timer = setTimeout(() => {
                acks.delete(id);
                fail(new Error(`no ack for ${event} within ${timeoutMs} ms`));
              }, timeoutMs);
              acks.set(id, (ack) => {
                clearTimeout(timer);
                done(ack);
              });
              ws.send(`42${namespace},${id}[${JSON.stringify(event)},${payloadJson}]`);
            });
          },
          get open() {
            return open && ws.readyState === WebSocket.OPEN;
          },
          close: () => ws.close(),
        });
      }
      if (text.startsWith(`44${namespace},`)) return reject(new Error(`handshake refused: ${text}`));
      const ack = text.match(new RegExp(`^43${namespace},(\\d+)(.*)$`, 's'));
      if (ack) acks.get(Number(ack[1]))?.(ack[2]!);
    });
  });
}

/** JSON text of an array nested `depth` levels deep (no object is built: the text is the payload). */
export const nestedJson = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
