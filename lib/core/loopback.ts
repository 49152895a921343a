/**
 * Every server Lethe runs on this machine (local mode's, the DPO console's) listens on 127.0.0.1 only, the same way:
 * this is that way.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Connections the kernel queues before the server accepts them: Node's default is 511, and 1 000 clients connecting at
 * once (the load test's erasure requests) overflowed it, one of them reset (ECONNRESET in the fresh-clone CI run of
 * 2026-12-04, and once before). Linux caps it at net.core.somaxconn (4 096 on this machine).
 */
export const LISTEN_BACKLOG = 4096;

/**
 * Starts `server` on 127.0.0.1:`port` (0: a free port). `explain` may turn a listen error (a port in use) into a
 * clearer one.
 */
export async function listenOnLoopback(
  server: http.Server,
  port: number,
  explain: (error: NodeJS.ErrnoException) => Error = (error) => error,
): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(explain(error)));
    server.listen({ port, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
