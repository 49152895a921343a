import { timelineOf, type TimelineEvent } from '../../../lib/bench/timeline';

const entered = (name: string, timestamp: number, index?: number): TimelineEvent => ({
  type: 'StateEntered',
  timestamp,
  state: { name },
  ...(index === undefined ? {} : { index }),
});
const exited = (name: string, timestamp: number, index?: number): TimelineEvent => ({
  type: 'StateExited',
  timestamp,
  state: { name },
  ...(index === undefined ? {} : { index }),
});

describe('timelineOf', () => {
  test('top-level states in order, and the states inside a Map by iteration', () => {
    // GIVEN a plan state, a Map of three iterations of one task, and a finish state
    const history: TimelineEvent[] = [
      { type: 'ExecutionStarted', timestamp: 1000 },
      entered('Plan', 1000),
      exited('Plan', 1080),
      entered('Each system', 1080),
      { type: 'MapIterationStarted', timestamp: 1081, index: 0 },
      entered('Run', 1081, 0),
      entered('Run', 1082, 1),
      entered('Run', 1083, 2),
      exited('Run', 1381, 0),
      exited('Run', 1582, 1),
      exited('Run', 1983, 2),
      exited('Each system', 1990),
      entered('Finish', 1990),
      exited('Finish', 2030),
      { type: 'ExecutionSucceeded', timestamp: 2031 },
    ];
    // WHEN its timeline is taken
    const timeline = timelineOf(history);
    // THEN each top-level state has its duration, and the task its runs' spread
    expect(timeline).toEqual({
      totalMs: 1031,
      states: [
        { state: 'Plan', ms: 80 },
        { state: 'Each system', ms: 910 },
        { state: 'Finish', ms: 40 },
      ],
      iterated: [{ state: 'Run', runs: 3, minMs: 300, medianMs: 500, maxMs: 900 }],
    });
  });

  test('a retried state counts from its first entry to its last exit; a state never exited is left out', () => {
    // GIVEN a task entered twice (a retry) and a state still running
    const history: TimelineEvent[] = [
      entered('Task', 0),
      { type: 'StateRetried', timestamp: 50, state: { name: 'Task' } },
      entered('Task', 2050),
      exited('Task', 2100),
      entered('Running', 2100),
    ];
    // WHEN its timeline is taken / THEN
    expect(timelineOf(history).states).toEqual([{ state: 'Task', ms: 2100 }]);
  });

  test('an empty history has an empty timeline', () => {
    expect(timelineOf([])).toEqual({ totalMs: 0, states: [], iterated: [] });
  });
});
