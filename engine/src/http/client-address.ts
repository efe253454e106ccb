import type { IncomingHttpHeaders } from 'node:http';

/**
 * The client's address as express computes `req.ip` with `trust proxy` set to `trustedHops`
 * (TRUST_PROXY): the connection's peer, then X-Forwarded-For read from the right, believing exactly
 * `trustedHops` proxies. With 0 the header is ignored, so a client cannot choose its own address;
 * with 1 the address the one trusted proxy saw is taken, whatever the client wrote before it.
 * For places express does not reach, such as socket.io handshakes.
 */
export function clientAddress(
  peer: { address: string; headers: IncomingHttpHeaders },
  trustedHops: number,
): string {
  const header = peer.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop.length > 0);
  const chain = [peer.address, ...forwarded.reverse()];
  return chain[Math.min(trustedHops, chain.length - 1)] ?? peer.address;
}
