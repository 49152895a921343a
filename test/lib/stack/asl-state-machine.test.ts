/**
 * AslStateMachine and the two workflows: an ASL placeholder without a function stops synthesis, Distributed Map
 * states are found at any depth, and the sweep must have one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StackConfigError } from '../../../lib/stack/errors';
import { AslStateMachine, aslPlaceholders, distributedMapStates } from '../../../lib/stack/asl-state-machine';
import { SweepWorkflow } from '../../../lib/stack/sweep-workflow';
import { tempDir } from '../../support/temp-dir';

const dir = tempDir('lethe-asl-');
const aslFile = (name: string, definition: unknown): string => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(definition));
  return file;
};
const task = (resource: string, next?: string) => ({ Type: 'Task', Resource: resource, ...(next ? { Next: next } : { End: true }) });

function scope() {
  const stack = new Stack(new App(), 'T', { env: { region: 'eu-north-1' } });
  const fn = lambda.Function.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:eu-north-1:123456789012:function:f');
  return { stack, fn, key: new kms.Key(stack, 'Key') };
}

describe('aslPlaceholders', () => {
  it('lists each ${Name} once, sorted', () => {
    expect(aslPlaceholders('{"a":"${B}","b":"${A}","c":"${B}","d":"$.x"}')).toEqual(['A', 'B']);
  });
});

describe('distributedMapStates', () => {
  it.each([
    ['an inline map', { States: { M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, States: {} } } } }, []],
    [
      'a distributed map',
      { States: { M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, States: {} } } } },
      ['M'],
    ],
    [
      'a distributed map inside a parallel branch',
      {
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ States: { D: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } } } }],
          },
        },
      },
      ['D'],
    ],
  ])('finds %s', (_, definition, expected) => {
    expect(distributedMapStates(definition as never)).toEqual(expected);
  });
});

describe('AslStateMachine', () => {
  it.each([
    [undefined, 'ERROR'],
    [sfn.LogLevel.ALL, 'ALL'],
  ] as const)('logs at level %s as %s (failures only by default, issue 16), never the execution data', (logLevel, level) => {
    const { stack, fn, key } = scope();
    new AslStateMachine(stack, 'M', {
      definitionFile: aslFile('one.asl.json', { StartAt: 'A', States: { A: task('${Known}') } }),
      functions: { Known: fn },
      stateMachineType: sfn.StateMachineType.STANDARD,
      logKey: key,
      comment: 't',
      ...(logLevel ? { logLevel } : {}),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: level, IncludeExecutionData: false }),
    });
  });

  it('stops synthesis when the file uses a placeholder no function is given for', () => {
    // GIVEN an ASL file with ${Missing} WHEN the construct is built with only ${Known}
    const { stack, fn, key } = scope();
    const file = aslFile('missing.asl.json', { StartAt: 'A', States: { A: task('${Known}', 'B'), B: task('${Missing}') } });
    // THEN the error names the placeholder and the file
    expect(
      () =>
        new AslStateMachine(stack, 'M', {
          definitionFile: file,
          functions: { Known: fn },
          stateMachineType: sfn.StateMachineType.STANDARD,
          logKey: key,
          comment: 't',
        }),
    ).toThrow(new StackConfigError(`T/M: ${file} uses \${Missing} but no function is given for it; known: Known`));
  });

  it('names a file that is not JSON', () => {
    const { stack, fn, key } = scope();
    const file = path.join(dir, 'broken.asl.json');
    writeFileSync(file, '{"StartAt": ');
    expect(
      () =>
        new AslStateMachine(stack, 'M', {
          definitionFile: file,
          functions: { Known: fn },
          stateMachineType: sfn.StateMachineType.STANDARD,
          logKey: key,
          comment: 't',
        }),
    ).toThrow(/broken\.asl\.json is not valid JSON/);
  });

  it('refuses a sweep definition without a Distributed Map', () => {
    const { stack, fn, key } = scope();
    const sweepDir = mkdtempSync(path.join(dir, 'sweep-'));
    writeFileSync(
      path.join(sweepDir, 'sweep.asl.json'),
      JSON.stringify({ StartAt: 'A', States: { A: task('${SweepReadFunctionArn}', 'B'), B: task('${SweepApplyFunctionArn}') } }),
    );
    expect(
      () => new SweepWorkflow(stack, 'Sweep', { statemachinesDir: sweepDir, readFunction: fn, applyFunction: fn, logKey: key }),
    ).toThrow(/has no Map state in DISTRIBUTED mode/);
  });
});
