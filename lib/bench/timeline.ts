/**
 * Where an execution's time went, from its history (the event log aws-local-stepfunctions keeps for each
 * execution in local mode): how long each top-level state took, and for the states inside a Map, how many ran
 * and how long they took (fastest, median, slowest). Pure: it reads timestamps only, never inputs or outputs.
 */
import { median } from 'simple-statistics';

/** The fields of a history event this reads (lib/local `ExecutionHistoryEvent`). */
export interface TimelineEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly index?: number;
  readonly state?: { readonly name?: string };
}

export interface StateTime {
  readonly state: string;
  /** From the state's first entry to its last exit (retries included). */
  readonly ms: number;
}

export interface IteratedStateTime {
  readonly state: string;
  readonly runs: number;
  readonly minMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

export interface Timeline {
  /** The execution, from its first event to its last. */
  readonly totalMs: number;
  /** The top-level states in the order they were entered. */
  readonly states: readonly StateTime[];
  /** The states run inside Map iterations, by name, in the order first entered. */
  readonly iterated: readonly IteratedStateTime[];
}

interface Span {
  readonly entered: number;
  exited?: number;
}

/** The first entry and the last exit of one state (one key: a state name, or an iteration's index). */
function track<K>(spans: Map<K, Span>, key: K, event: TimelineEvent): void {
  const span = spans.get(key);
  if (event.type === 'StateEntered' && !span) spans.set(key, { entered: event.timestamp });
  else if (event.type === 'StateExited' && span) span.exited = event.timestamp;
}

const durationsOf = (spans: Iterable<Span>): number[] => [...spans].flatMap((s) => (s.exited === undefined ? [] : [s.exited - s.entered]));

export function timelineOf(history: readonly TimelineEvent[]): Timeline {
  if (history.length === 0) return { totalMs: 0, states: [], iterated: [] };
  const top = new Map<string, Span>();
  const inner = new Map<string, Map<number, Span>>();
  for (const event of history) {
    const name = event.state?.name;
    if (!name || (event.type !== 'StateEntered' && event.type !== 'StateExited')) continue;
    if (event.index === undefined) {
      track(top, name, event);
    } else {
      const spans = inner.get(name) ?? new Map<number, Span>();
      inner.set(name, spans);
      track(spans, event.index, event);
    }
  }
  const timestamps = history.map((e) => e.timestamp);
  return {
    totalMs: Math.max(...timestamps) - Math.min(...timestamps),
    states: [...top.entries()].flatMap(([state, span]) => durationsOf([span]).map((ms) => ({ state, ms }))),
    iterated: [...inner.entries()].flatMap(([state, spans]) => {
      const ms = durationsOf(spans.values());
      return ms.length === 0 ? [] : [{ state, runs: ms.length, minMs: Math.min(...ms), medianMs: median(ms), maxMs: Math.max(...ms) }];
    }),
  };
}
