/**
 * lib/local/local-mode.ts: the facade that starts local mode's services in order and stops them in reverse order,
 * once; and the one place the stop signals are handled. Fake services only: nothing is started for real.
 */
import { EventEmitter } from 'node:events';
import { LocalModeError } from '../../../lib/local/errors';
import { describeNotStopped, LocalMode, type LocalService, LocalStep, started, stopOnSignals } from '../../../lib/local/local-mode';

/** A fake service that writes what happens to it into `events`. */
function fake(
  events: string[],
  name: string,
  behaviour: { startFails?: Error; stopFails?: Error; startMs?: number } = {},
): LocalService & { stops: number } {
  const service = {
    name,
    stops: 0,
    async start() {
      events.push(`start ${name}`);
      if (behaviour.startMs) await new Promise((resolve) => setTimeout(resolve, behaviour.startMs));
      if (behaviour.startFails) throw behaviour.startFails;
      events.push(`up ${name}`);
    },
    async stop() {
      service.stops++;
      events.push(`stop ${name}`);
      if (behaviour.stopFails) throw behaviour.stopFails;
    },
  };
  return service;
}

describe('LocalMode', () => {
  it('starts the stages in order and stops the started services in reverse order', async () => {
    // GIVEN three stages, the second of two services started side by side
    const events: string[] = [];
    const mode = new LocalMode([
      fake(events, 'lock'),
      [fake(events, 'dynamodb', { startMs: 20 }), fake(events, 's3')],
      fake(events, 'api'),
    ]);

    // WHEN it starts and stops
    await mode.start();
    const afterStart = [...events];
    const startedServices = mode.startedServices;
    events.length = 0;
    await mode.stop();

    // THEN the services of a stage start together, each stage after the one before; the stops run last first
    expect(afterStart).toEqual(['start lock', 'up lock', 'start dynamodb', 'start s3', 'up s3', 'up dynamodb', 'start api', 'up api']);
    expect(events).toEqual(['stop api', 'stop s3', 'stop dynamodb', 'stop lock']);
    expect(startedServices).toEqual(['lock', 'dynamodb', 's3', 'api']);
    expect(mode.startedServices).toEqual([]);
  });

  it.each([
    [
      'a service alone in its stage',
      (events: string[], boom: Error) => [fake(events, 'a'), fake(events, 'b'), fake(events, 'c', { startFails: boom }), fake(events, 'd')],
      ['stop b', 'stop a'],
    ],
    [
      'a service started side by side with others',
      (events: string[], boom: Error) => [
        fake(events, 'a'),
        [fake(events, 'b', { startMs: 20 }), fake(events, 'c', { startFails: boom }), fake(events, 'e')],
        fake(events, 'd'),
      ],
      ['stop e', 'stop b', 'stop a'],
    ],
  ])('when %s fails to start, stops the started ones last first and rejects with the original error', async (_what, stagesOf, stops) => {
    // GIVEN a service whose start fails with an error that has a cause
    const events: string[] = [];
    const cause = new Error('EADDRINUSE');
    const boom = new LocalModeError('port 8787 is in use', { cause });
    const mode = new LocalMode(stagesOf(events, boom));

    // WHEN it starts
    const error = await mode.start().catch((e: unknown) => e);

    // THEN the very error of the failed start is thrown, cause kept; what started is stopped; later stages never start
    expect(error).toBe(boom);
    expect((error as Error).cause).toBe(cause);
    expect(events.filter((e) => e.startsWith('stop'))).toEqual(stops);
    expect(events).not.toContain('start d');
    expect(mode.startedServices).toEqual([]);
  });

  it('rejects with the failed start even when a stop fails on the way back, and stops the rest', async () => {
    const events: string[] = [];
    const boom = new Error('Java is missing');
    const mode = new LocalMode([
      fake(events, 'a'),
      fake(events, 'b', { stopFails: new Error('stuck') }),
      fake(events, 'c', { startFails: boom }),
    ]);

    await expect(mode.start()).rejects.toBe(boom);
    expect(events.filter((e) => e.startsWith('stop'))).toEqual(['stop b', 'stop a']);
  });

  it('stops each service once, however often and from wherever stop() is called', async () => {
    // GIVEN a started local mode, one of whose services fails to stop
    const events: string[] = [];
    const services = [fake(events, 'a'), fake(events, 'b', { stopFails: new Error('stuck') }), fake(events, 'c')];
    const mode = new LocalMode(services);
    await mode.start();

    // WHEN stop() is called three times, two of them at once
    await Promise.all([mode.stop(), mode.stop()]);
    await mode.stop();

    // THEN each service was stopped exactly once, the failing one not keeping the others running
    expect(services.map((s) => s.stops)).toEqual([1, 1, 1]);
    expect(events.filter((e) => e.startsWith('stop'))).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('stop() during start() lets the stage under way finish, stops what started, and start() rejects', async () => {
    const events: string[] = [];
    const mode = new LocalMode([fake(events, 'a'), fake(events, 'b', { startMs: 30 }), fake(events, 'c')]);

    const starting = mode.start().catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await mode.stop();

    const error = await starting;
    expect(error).toBeInstanceOf(LocalModeError);
    expect((error as Error).message).toBe('local mode was stopped while it was starting');
    expect(events).toEqual(['start a', 'up a', 'start b', 'up b', 'stop b', 'stop a']);
  });

  it.each([
    ['started twice', async (mode: LocalMode) => mode.start().then(() => mode.start()), 'local mode is already started'],
    ['started after a stop', async (mode: LocalMode) => mode.stop().then(() => mode.start()), 'local mode was stopped; start a new one'],
  ])('refuses to be %s', async (_what, act, message) => {
    await expect(act(new LocalMode([fake([], 'a')]))).rejects.toThrow(new LocalModeError(message));
  });

  it('GIVEN a service whose stop hangs and one whose stop throws WHEN stopped THEN the stop ends in time, names both, and every cleanup ran', async () => {
    // GIVEN three services with a cleanup each (a temporary directory): b's stop never ends, c's throws
    const events: string[] = [];
    const withCleanup = (service: LocalService, stop?: () => Promise<void>): LocalService => ({
      name: service.name,
      start: () => service.start(),
      stop: stop ?? (() => service.stop()),
      cleanup: () => events.push(`cleanup ${service.name}`),
    });
    const mode = new LocalMode(
      [
        withCleanup(fake(events, 'a')),
        withCleanup(fake(events, 'b'), () => new Promise<void>(() => undefined)),
        withCleanup(fake(events, 'c'), () => Promise.reject(new Error('port still bound'))),
      ],
      { stopTimeoutMs: 50 },
    );
    await mode.start();

    // WHEN it is stopped
    const report = await mode.stop();

    // THEN the stop ended, naming b (in time) and c (its error); each cleanup ran once, the hanging one's too
    expect(report.notStopped).toEqual([
      { service: 'c', reason: 'port still bound' },
      { service: 'b', reason: 'did not stop within 0.05 s' },
    ]);
    expect(describeNotStopped(report)).toBe('Not stopped: c (port still bound); b (did not stop within 0.05 s).');
    expect(events.filter((e) => e.startsWith('cleanup'))).toEqual(['cleanup c', 'cleanup b', 'cleanup a']);
    expect(mode.cleanupNow()).toEqual(['b']);
    expect(events.filter((e) => e.startsWith('cleanup'))).toHaveLength(3);
  });

  it('GIVEN a stop under way WHEN cleanupNow() is called (a second Ctrl-C) THEN the cleanups not run yet run at once and the services not stopped are named', async () => {
    const events: string[] = [];
    let finish!: () => void;
    const services: LocalService[] = ['a', 'b'].map((name) => ({
      name,
      start: () => Promise.resolve(),
      stop: () => (name === 'b' ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve()),
      cleanup: () => events.push(`cleanup ${name}`),
    }));
    const mode = new LocalMode(services);
    await mode.start();
    const stopping = mode.stop();
    await new Promise((resolve) => setImmediate(resolve)); // b's stop is under way

    expect(mode.cleanupNow()).toEqual(['b', 'a']);
    expect(events).toEqual(['cleanup b', 'cleanup a']);

    finish();
    await expect(stopping).resolves.toEqual({ notStopped: [] });
    expect(events).toEqual(['cleanup b', 'cleanup a']);
  });
});

describe('LocalStep', () => {
  it('runs its start, and its undo as its stop', async () => {
    const events: string[] = [];
    const mode = new LocalMode([
      new LocalStep('seed', () => void events.push('seeded')),
      new LocalStep(
        'timers',
        () => void events.push('set'),
        () => void events.push('cleared'),
      ),
    ]);
    await mode.start();
    await mode.stop();
    expect(events).toEqual(['seeded', 'set', 'cleared']);
  });
});

describe('started', () => {
  it('answers the value of a started service, and names the service that is not started', () => {
    expect(started(5, 'DynamoDB Local')).toBe(5);
    expect(() => started(undefined, 'DynamoDB Local')).toThrow(new LocalModeError('DynamoDB Local is not started'));
  });
});

describe('stopOnSignals', () => {
  /** A process stand-in, a clock, and a local mode of two fake services. */
  function setup(stopFails?: Error) {
    const events: string[] = [];
    const source = new EventEmitter();
    let clock = 1_000;
    const mode = new LocalMode([fake(events, 'a'), fake(events, 'b', stopFails ? { stopFails } : {})]);
    const target = stopFails ? { stop: () => mode.stop().then(() => Promise.reject(stopFails)) } : mode;
    const stopped = stopOnSignals(target, {
      source,
      now: () => clock,
      onStopping: (signal) => events.push(`stopping on ${signal}`),
      onForce: (signal) => events.push(`forced by ${signal}`),
    });
    return { events, source, mode, stopped, tick: (ms: number) => (clock += ms) };
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('stops everything on %s, once, and removes its listeners', async (signal) => {
    // GIVEN a started local mode, stopped on signals
    const { events, source, mode, stopped } = setup();
    await mode.start();
    events.length = 0;

    // WHEN the signal arrives twice at once (Ctrl-C, from the terminal and relayed by npm)
    source.emit(signal, signal);
    source.emit(signal, signal);
    await stopped;

    // THEN one stop ran, last service first; the repeat was not taken as a second Ctrl-C; no listener is left
    expect(events).toEqual([`stopping on ${signal}`, 'stop b', 'stop a']);
    expect(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM')).toBe(0);
  });

  it('hands a later signal during a slow stop to onForce', async () => {
    const events: string[] = [];
    const source = new EventEmitter();
    let clock = 0;
    let finish!: () => void;
    const stopped = stopOnSignals(
      { stop: () => new Promise<void>((resolve) => (finish = resolve)) },
      { source, now: () => clock, onStopping: () => events.push('stopping'), onForce: (s) => events.push(`forced by ${s}`) },
    );

    source.emit('SIGINT', 'SIGINT');
    clock += 1_499;
    source.emit('SIGINT', 'SIGINT');
    clock += 1;
    source.emit('SIGTERM', 'SIGTERM');
    finish();
    await stopped;

    expect(events).toEqual(['stopping', 'forced by SIGTERM']);
  });

  it('rejects with the error of a stop that failed', async () => {
    const stuck = new Error('stuck');
    const { source, mode, stopped } = setup(stuck);
    await mode.start();
    source.emit('SIGTERM', 'SIGTERM');
    await expect(stopped).rejects.toBe(stuck);
  });
});
