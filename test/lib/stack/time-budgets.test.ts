/**
 * Every function has a time budget that fits where it runs (issue 15, item 10), read from the synthesized template
 * and the state machine definitions it deploys: a function invoked from an Express execution (the sweep's
 * Distributed Map children) times out within Express's 5 minutes and below its Task's TimeoutSeconds, the Task's
 * attempts and retry pauses fit in the 5 minutes, and a connector function times out early enough for sweep-apply
 * to wait for a whole call and still record what it did.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { allStates } from '../../../lib/local/run-asl';
import {
  CONNECTOR_TIMEOUT_SECONDS,
  EXPRESS_MAX_SECONDS,
  FUNCTION_TIMEOUT_SECONDS,
  SWEEP_FINISH_RESERVE_MS,
} from '../../../lib/runtime/budgets';
import { ENV } from '../../../lib/core/contract';
import { ConnectorFunctions } from '../../../lib/stack/connector-functions';
import { actionsOf, type CfnTemplate, functionOfService, resourcesOf, resourcesOfType, ROOT, statementsOfRole, synthLethe } from './synth';

const { json } = synthLethe();

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly BackoffRate?: number;
  readonly MaxAttempts?: number;
  readonly MaxDelaySeconds?: number;
}
type AslState = Record<string, unknown> & { Type: string; Resource?: string; TimeoutSeconds?: number; Retry?: Retrier[] };

/** The deployed state machines: their definition file's states and the function each substitution names. */
function machines(template: CfnTemplate) {
  return resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([id, r]) => {
    const substitutions = r.Properties!.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
    const file = Object.keys(substitutions).some((s) => s.startsWith('Sweep')) ? 'sweep' : 'erasure';
    const definition = JSON.parse(readFileSync(path.join(ROOT, 'statemachines', `${file}.asl.json`), 'utf8')) as { States: object };
    const functionOf = (resource: string) => substitutions[/^\$\{(\w+)\}$/.exec(resource)![1]]['Fn::GetAtt'][0];
    return { id, file, definition, functionOf };
  });
}

/** Tasks that run inside an Express execution: the states of a Map's ItemProcessor whose ExecutionType is EXPRESS. */
function expressTasks(definition: { States: object }): { name: string; state: AslState }[] {
  return allStates(definition)
    .filter(
      ({ state }) =>
        (state.ItemProcessor as { ProcessorConfig?: { ExecutionType?: string } })?.ProcessorConfig?.ExecutionType === 'EXPRESS',
    )
    .flatMap(({ state }) => allStates(state.ItemProcessor as { States: object }))
    .filter(({ state }) => state.Type === 'Task') as { name: string; state: AslState }[];
}

/** The longest a Task can take with every retry: each attempt up to TimeoutSeconds, each pause its longest. */
function worstCaseSeconds(state: AslState): number {
  let total = state.TimeoutSeconds!;
  for (const retrier of state.Retry ?? []) {
    const attempts = retrier.MaxAttempts ?? 3;
    for (let n = 0; n < attempts; n++) {
      const pause = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** n;
      total += Math.min(pause, retrier.MaxDelaySeconds ?? Infinity) + state.TimeoutSeconds!;
    }
  }
  return total;
}

const timeoutOf = (functionId: string): number => json.Resources[functionId].Properties!.Timeout as number;

test('the production limits are what AWS enforces', () => {
  expect(EXPRESS_MAX_SECONDS).toBe(300);
});

test('every function invoked from an Express state machine times out within 5 minutes and below its Task’s TimeoutSeconds', () => {
  const found: string[] = [];
  for (const machine of machines(json)) {
    for (const { name, state } of expressTasks(machine.definition)) {
      const fn = machine.functionOf(state.Resource!);
      found.push(`${machine.file}: ${name}`);
      // THEN the Task has a TimeoutSeconds, the function's timeout is below it, and both are within Express's limit
      expect({ name, timeoutSeconds: state.TimeoutSeconds }).toEqual({ name, timeoutSeconds: expect.any(Number) });
      expect(timeoutOf(fn)).toBeLessThanOrEqual(EXPRESS_MAX_SECONDS);
      expect(timeoutOf(fn)).toBeLessThan(state.TimeoutSeconds!);
      // AND every attempt and pause of its retries fits in the Express execution
      expect(worstCaseSeconds(state)).toBeLessThanOrEqual(EXPRESS_MAX_SECONDS);
    }
  }
  expect(found).toEqual(['sweep: Apply expiry to a batch']);
});

test('each Lethe function is deployed with the timeout of lib/runtime/budgets.ts', () => {
  const deployed = Object.fromEntries(
    Object.keys(FUNCTION_TIMEOUT_SECONDS).map((entry) => [entry, timeoutOf(functionOfService(json, `lethe-${entry}`))]),
  );
  expect(deployed).toEqual(FUNCTION_TIMEOUT_SECONDS);
});

test('a connector function times out early enough for sweep-apply to wait for a whole call and record it', () => {
  const connectors = resourcesOfType(json, 'AWS::Lambda::Function').filter(
    ([, r]) => r.Properties?.Environment?.Variables?.[ENV.connectorSystem],
  );
  expect(connectors.length).toBeGreaterThan(0);
  for (const [id] of connectors) {
    expect(timeoutOf(id)).toBe(CONNECTOR_TIMEOUT_SECONDS);
    expect(timeoutOf(id) * 1000 + SWEEP_FINISH_RESERVE_MS).toBeLessThan(timeoutOf(functionOfService(json, 'lethe-sweep-apply')) * 1000);
  }
});

test('a connector timeout longer than sweep-apply can wait for is refused at synthesis', () => {
  expect(() => ConnectorFunctions.checkTimeout(Duration.seconds(CONNECTOR_TIMEOUT_SECONDS))).not.toThrow();
  expect(() => ConnectorFunctions.checkTimeout(Duration.minutes(5))).toThrow(
    /ConnectorFunctions: timeout must be at most 60 seconds \(sweep-apply waits for a connector call within its own 120 s\); got 300 seconds/,
  );
});

test('the sweep may start its own continuation (issue 15, item 11): states:StartExecution on its own ARN, no other', () => {
  const sweep = machines(json).find((m) => m.file === 'sweep')!;
  const role = (json.Resources[sweep.id].Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const starts = statementsOfRole(json, role).filter((s) => s.Effect === 'Allow' && actionsOf(s).includes('states:StartExecution'));
  expect(starts.flatMap(resourcesOf)).toEqual([{ Ref: sweep.id }]);
});
