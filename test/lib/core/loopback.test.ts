/** lib/core/loopback.ts: every server Lethe runs here listens on 127.0.0.1 only, with a backlog for bursts. */
import http from 'node:http';
import { LISTEN_BACKLOG, listenOnLoopback } from '../../../lib/core/loopback';

describe('listenOnLoopback', () => {
  it('GIVEN a server WHEN started on port 0 THEN it listens on 127.0.0.1 only, on a free port, with the burst backlog', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    const listen = jest.spyOn(server, 'listen');
    const started = await listenOnLoopback(server, 0);
    try {
      expect(listen).toHaveBeenCalledWith({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, expect.any(Function));
      expect(LISTEN_BACKLOG).toBeGreaterThanOrEqual(1000);
      expect(server.address()).toMatchObject({ address: '127.0.0.1', port: started.port });
      expect(started.url).toBe(`http://127.0.0.1:${started.port}`);
      expect(await (await fetch(started.url)).text()).toBe('ok');
    } finally {
      await started.close();
    }
    expect(server.listening).toBe(false);
  });

  it('GIVEN a port in use THEN the explained error', async () => {
    const first = await listenOnLoopback(http.createServer(), 0);
    try {
      await expect(listenOnLoopback(http.createServer(), first.port, (e) => new Error(`port taken: ${e.code}`))).rejects.toThrow(
        'port taken: EADDRINUSE',
      );
    } finally {
      await first.close();
    }
  });
});
