/**
 * One erasure's critical path in durable round trips (issue 16): every call the metering proxies saw while it ran
 * (DynamoDB, S3, KMS, Secrets Manager, Lambda Invoke, Step Functions) and every state transition of its execution
 * history, each a round trip of its class. Calls that overlap in time count once: the path waits for the slowest
 * of them, not for each. `fanoutModelledAws` then prices each round trip at its class's p50 on AWS
 * (latency-eu-north-1.json). Pure: timestamps in, figures out.
 */
import type { CallSpan } from '../local/meter';
import type { Latencies, LatencyClass } from './latency';

/** A round trip of one class, from `start` to `end` (ms since the epoch; a transition is an instant). */
export interface RoundTrip {
  readonly cls: LatencyClass;
  readonly start: number;
  readonly end: number;
}

/** The class of a proxied call. */
export function classOf(span: Pick<CallSpan, 'service' | 'operation'>): LatencyClass {
  if (span.service === 'dynamodb') return 'dynamodb';
  if (span.service === 's3') return 's3';
  if (span.operation.startsWith('TrentService:')) return 'kms';
  if (span.operation === 'lambda:Invoke') return 'lambdaInvoke';
  if (span.operation.startsWith('secretsmanager:')) return 'secretsManager';
  return 'stepFunctionsApi';
}

/** Each state entered, from an execution's history: one persisted transition each. */
export function transitionsOf(history: readonly { readonly type: string; readonly timestamp: number }[]): RoundTrip[] {
  return history
    .filter((e) => e.type === 'StateEntered')
    .map((e) => ({ cls: 'stepFunctionsTransition' as const, start: e.timestamp, end: e.timestamp }));
}

export interface CriticalPath {
  /** Groups of overlapping round trips, in time order: each group is one round trip of the path. */
  readonly durableRoundTrips: number;
  /** The classes in each group. */
  readonly groups: readonly (readonly LatencyClass[])[];
  /** The time covered by some round trip (the groups' union), ms. */
  readonly busyMs: number;
}

export function criticalPathOf(trips: readonly RoundTrip[]): CriticalPath {
  const sorted = [...trips].sort((a, b) => a.start - b.start || a.end - b.end);
  const groups: { classes: Set<LatencyClass>; start: number; end: number }[] = [];
  for (const trip of sorted) {
    const last = groups.at(-1);
    if (last && trip.start <= last.end) {
      last.classes.add(trip.cls);
      last.end = Math.max(last.end, trip.end);
    } else {
      groups.push({ classes: new Set([trip.cls]), start: trip.start, end: trip.end });
    }
  }
  return {
    durableRoundTrips: groups.length,
    groups: groups.map((g) => [...g.classes].sort()),
    busyMs: groups.reduce((sum, g) => sum + (g.end - g.start), 0),
  };
}

/**
 * One erasure's path: the calls from the request (`began`) to the execution's end (its last history event; a call
 * that starts later, such as reading the request's status, is not the erasure's) and its transitions. `cpuMs`: the
 * wall time from the request to the end during which no round trip was in flight.
 */
export function erasurePathOf(
  spans: readonly CallSpan[],
  history: readonly { readonly type: string; readonly timestamp: number }[],
  began: number,
): { path: CriticalPath; cpuMs: number } {
  const end = Math.max(...history.map((e) => e.timestamp));
  const calls = spans
    .filter((s) => s.start >= began && s.start <= end)
    .map((s) => ({ cls: classOf(s), start: s.start, end: Math.min(s.end, end) }));
  const path = criticalPathOf([...calls, ...transitionsOf(history)]);
  return { path, cpuMs: Math.max(0, end - began - path.busyMs) };
}

export interface ModelledFanout {
  /** (round trips × p50 of each + CPU time + slowest connector) ÷ slowest connector. */
  readonly fanoutModelledAws: number;
  /** The round trips' modelled time, ms. */
  readonly roundTripMs: number;
  /** Round trips whose classes have no published p50: left out, so the figure is a lower bound when > 0. */
  readonly unpriced: number;
  readonly cpuMs: number;
  readonly slowestConnectorMs: number;
}

/**
 * Prices each group at the largest p50 of its classes (the path waits for the slowest of overlapping calls).
 * `cpuMs`: the erasure's wall time when no round trip was in flight, measured.
 */
export function modelledFanout(path: CriticalPath, latencies: Latencies, cpuMs: number, slowestConnectorMs: number): ModelledFanout {
  let roundTripMs = 0;
  let unpriced = 0;
  for (const classes of path.groups) {
    const known = classes.map((c) => latencies.latencies[c].value).filter((v): v is number => v !== null);
    if (known.length === 0) unpriced++;
    else roundTripMs += Math.max(...known);
  }
  return {
    fanoutModelledAws: (roundTripMs + cpuMs + slowestConnectorMs) / slowestConnectorMs,
    roundTripMs,
    unpriced,
    cpuMs,
    slowestConnectorMs,
  };
}
