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
    server.listen(port, '127.0.0.1', () => resolve());
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
