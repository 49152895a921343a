/**
 * Test helpers for the state machines: reading the ASL files, walking their states scope by scope, and
 * handler doubles that record what each Task received.
 */
import type { AslEvent, JsonValue, StateMachineName } from '../../lib/local/run-asl';
import { readStateMachine } from '../../lib/local/run-asl';

// asl-validator ships no type declarations.
interface AslValidationResult {
  readonly isValid: boolean;
  readonly errorsText: (separator?: string) => string;
}
/* eslint-disable @typescript-eslint/no-require-imports -- asl-validator ships no types */
export const aslValidator: (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => AslValidationResult = require('asl-validator');
/* eslint-enable @typescript-eslint/no-require-imports */

export type State = Readonly<Record<string, unknown>> & { readonly Type: string };
export interface Definition {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
  readonly [field: string]: unknown;
}

/** A state machine's definition as written (placeholders unsubstituted). */
export function definitionOf(name: StateMachineName): Definition {
  return JSON.parse(readStateMachine(name)) as Definition;
}

/** One set of States with its StartAt: the top level, or the ItemProcessor of a Map. */
export interface Scope {
  readonly where: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
}

export function scopesOf(definition: Definition): Scope[] {
  const scopes: Scope[] = [];
  const visit = (where: string, machine: { StartAt: string; States: Readonly<Record<string, State>> }): void => {
    scopes.push({ where, StartAt: machine.StartAt, States: machine.States });
    for (const [name, state] of Object.entries(machine.States)) {
      for (const nested of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])]) {
        if (nested) visit(`${where} > ${name}`, nested as Definition);
      }
    }
  };
  visit('top level', definition);
  return scopes;
}

/** Every state of every scope, with its name. */
export function statesOf(definition: Definition): { name: string; state: State }[] {
  return scopesOf(definition).flatMap((scope) => Object.entries(scope.States).map(([name, state]) => ({ name, state })));
}

/** The states a state can go to: Next, Default, each Choice's Next, each Catch's Next. */
export function targetsOf(state: State): string[] {
  const targets: string[] = [];
  if (typeof state.Next === 'string') targets.push(state.Next);
  if (typeof state.Default === 'string') targets.push(state.Default);
  for (const choice of (state.Choices as { Next: string }[] | undefined) ?? []) targets.push(choice.Next);
  for (const catcher of (state.Catch as { Next: string }[] | undefined) ?? []) targets.push(catcher.Next);
  return targets;
}

/** Names of the states of `scope` that StartAt cannot reach. */
export function unreachableStates(scope: Scope): string[] {
  const seen = new Set<string>();
  const queue = [scope.StartAt];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name) || !scope.States[name]) continue;
    seen.add(name);
    queue.push(...targetsOf(scope.States[name]));
  }
  return Object.keys(scope.States).filter((name) => !seen.has(name));
}

/** The `${Name}` placeholders of a definition's text. */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]);
}

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly BackoffRate?: number;
  readonly MaxAttempts?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: string;
}

/** The longest a retrier can pause in total before giving up (ASL defaults: 1 s, rate 2, 3 attempts). */
export function worstCaseRetryPauseSeconds(retrier: Retrier): number {
  let total = 0;
  for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt += 1) {
    const pause = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
    total += Math.min(pause, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  }
  return total;
}

/** An error as a Lambda function would throw it: what Step Functions matches on is its `name`. */
export function lambdaError(name: string, message = `${name} (test double)`): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A handler double that records every payload it receives. */
export interface Recorder<I, O> {
  readonly handler: (payload: JsonValue) => Promise<O>;
  readonly calls: I[];
}
export function recorder<I, O>(respond: (input: I, call: number) => O | Promise<O>): Recorder<I, O> {
  const calls: I[] = [];
  return {
    calls,
    handler: async (payload) => {
      calls.push(payload as I);
      return respond(payload as I, calls.length);
    },
  };
}

/** Counts how many calls are in progress at once. */
export class InFlightMeter {
  private current = 0;
  public max = 0;

  public async around<T>(work: () => Promise<T>): Promise<T> {
    this.current += 1;
    this.max = Math.max(this.max, this.current);
    try {
      return await work();
    } finally {
      this.current -= 1;
    }
  }
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every object key found in the payloads of a history: the inputs and outputs of the execution, its Map
 * iterations and its states. An entry that is not an event (see `historyFrom`) counts as a payload itself.
 */
export function keysInHistory(history: readonly unknown[]): Set<string> {
  const keys = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        keys.add(key);
        collect(inner);
      }
    }
  };
  for (const entry of history) {
    const event = entry as Record<string, unknown> | null;
    if (!event || typeof event !== 'object' || typeof event.type !== 'string' || typeof event.timestamp !== 'number') {
      collect(entry);
      continue;
    }
    collect(event.input);
    collect(event.output);
    const state = event.state as { input?: unknown; output?: unknown } | undefined;
    collect(state?.input);
    collect(state?.output);
    collect((event.parentState as { input?: unknown } | undefined)?.input);
  }
  return keys;
}

/** The output of each exit from the named state, in order. */
export function outputsOf(events: readonly AslEvent[], stateName: string): unknown[] {
  return events
    .filter((event) => event.type === 'StateExited' && event.state.name === stateName)
    .map((event) => (event as { state: { output?: unknown } }).state.output);
}

/**
 * The history from the moment `stateName` first exits: its output, then every later event. The state that drops
 * extra input fields is where they must stop appearing (before it, they are the execution's own input).
 */
export function historyFrom(events: readonly AslEvent[], stateName: string): unknown[] {
  const exit = events.findIndex((event) => event.type === 'StateExited' && event.state.name === stateName);
  if (exit < 0) throw new Error(`state "${stateName}" never exited`);
  return [(events[exit] as { state: { output?: unknown } }).state.output, ...events.slice(exit + 1)];
}
