/**
 * lib/local/aws-endpoint.ts + step-functions.ts, called by the real AWS SDK clients and by the runtime's own
 * code (Sealer, secretKeySource, LambdaConnectorClient's invokeConnectorFunction, StepFunctionsErasureWorkflow),
 * as the functions call them in local mode. Everything on 127.0.0.1.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, RedriveExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { invokeConnectorFunction } from '../../../lib/connectors/lambda';
import { type AwsEndpoint, functionNameOf, secretNameOf, startAwsEndpoint } from '../../../lib/local/aws-endpoint';
import type { InvokeResult } from '../../../lib/local/functions';
import { LocalKmsKey } from '../../../lib/local/keys';
import { stateMachineArn } from '../../../lib/local/resources';
import { LocalStepFunctions } from '../../../lib/local/step-functions';
import { Sealer } from '../../../lib/runtime/sealing';
import { secretKeySource } from '../../../lib/core/subject-ref';
import { StepFunctionsErasureWorkflow } from '../../../lib/runtime/workflow';

jest.setTimeout(30_000);

const region = 'eu-north-1';
const kms = new LocalKmsKey(Buffer.alloc(32, 1), region);
const ERASURE = stateMachineArn(region, 'erasure');
const invocations: { fn: string; payload: unknown }[] = [];
/** Systems whose connector fails permanently (erasure-system throws), until removed. */
const failing = new Set<string>();

/** Stand-ins for the local functions: the erasure tasks and one connector. */
async function invoke(fn: string, payload: string): Promise<InvokeResult> {
  const event = JSON.parse(payload) as Record<string, unknown>;
  invocations.push({ fn, payload: event });
  const ok = (value: unknown): InvokeResult => ({ ok: true, payload: JSON.stringify(value) });
  switch (fn) {
    case 'plan':
      return ok({
        requestId: event.requestId,
        policyHash: 'h',
        systems: [
          { system: 'crm', record: 'crm' },
          { system: 'files', record: 'files' },
        ],
      });
    case 'system':
      return failing.has(String(event.system))
        ? { ok: false, errorType: 'ConnectorPermanentError', errorMessage: `system ${String(event.system)} refused` }
        : ok({ system: event.system, status: 'erased' });
    case 'finish': {
      const results = event.results as { system: string; status: string }[];
      const failed = results.filter((r) => r.status === 'failed').map((r) => r.system);
      return ok({ requestId: event.requestId, status: failed.length ? 'failed' : 'completed', failedSystems: failed });
    }
    case 'connector-crm':
      if ((event as { subjects: unknown[] }).subjects.length === 0)
        return { ok: false, errorType: 'ConnectorTransientError', errorMessage: 'busy' };
      return ok({ system: 'crm', subjects: [{ subjectRef: 'ref-1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }] });
    default:
      return { ok: false, errorType: 'Error', errorMessage: `unexpected function ${fn}` };
  }
}

const stepFunctions = new LocalStepFunctions({
  region,
  stateMachines: [{ name: 'erasure', arn: ERASURE }],
  taskFunctions: {
    ErasurePlanFunctionArn: 'plan',
    ErasureSystemFunctionArn: 'system',
    ErasureFinishFunctionArn: 'finish',
    SweepReadFunctionArn: 'sweep-read',
    SweepApplyFunctionArn: 'sweep-apply',
  },
  invoke,
  retryIntervalMs: 1,
});

let endpoint: AwsEndpoint;
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let config: { region: string; endpoint: string; credentials: typeof credentials };

beforeAll(async () => {
  endpoint = await startAwsEndpoint({
    region,
    resolveFunction: (name) => (['connector-crm', 'plan'].includes(name) ? name : undefined),
    invoke,
    kms,
    secrets: { values: { 'lethe-local/hmac': 'c2VjcmV0', 'lethe/crm-webhook': 'webhook-secret' } },
    stepFunctions,
  });
  config = { region, endpoint: endpoint.url, credentials };
});
afterAll(() => endpoint.close());

describe('KMS', () => {
  it("serves the runtime's Sealer: seal and unseal with the same context, refuse another", async () => {
    const sealer = new Sealer(new KMSClient(config), kms.arn);
    const context = { 'lethe:table': 'ledger', 'lethe:subject': 'ref-1' };
    const sealed = await sealer.seal({ subjectId: 'customer-1' }, context);
    expect(await sealer.unseal(sealed, context)).toEqual({ subjectId: 'customer-1' });
    await expect(sealer.unseal(sealed, { ...context, 'lethe:subject': 'ref-10' })).rejects.toMatchObject({
      name: 'SealedValueError',
    });
  });

  it('refuses an unknown key', async () => {
    const sealer = new Sealer(new KMSClient(config), 'alias/unknown');
    await expect(sealer.seal({ a: 1 }, {})).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});

describe('Secrets Manager', () => {
  it('answers GetSecretValue by name or ARN, through Powertools as the runtime reads it', async () => {
    const client = new SecretsManagerClient(config);
    expect(await secretKeySource('lethe-local/hmac', { client })()).toBe('c2VjcmV0');
    const byArn = await client.send(
      new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:eu-north-1:000000000000:secret:lethe/crm-webhook-AbC123' }),
    );
    expect(byArn).toMatchObject({ Name: 'lethe/crm-webhook', SecretString: 'webhook-secret' });
  });

  it('says ResourceNotFoundException for a secret it does not have', async () => {
    await expect(new SecretsManagerClient(config).send(new GetSecretValueCommand({ SecretId: 'lethe/other' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('Lambda Invoke', () => {
  it("runs the local function and returns its result to the connectors' invokeConnectorFunction", async () => {
    const lambda = new LambdaClient(config);
    const invocation = {
      system: 'crm',
      purposes: ['p'],
      operationId: 'op-1',
      policyHash: 'h',
      subjects: [
        {
          subjectRef: 'ref-1',
          subjectId: 'customer-1',
          locator: {},
          identifiers: {},
          record: 'delete' as const,
          removeFields: [],
          anonymiseFields: [],
        },
      ],
    };
    const byArn = `arn:aws:lambda:eu-north-1:000000000000:function:connector-crm`;
    expect(await invokeConnectorFunction(lambda, byArn, invocation)).toEqual({
      system: 'crm',
      subjects: [{ subjectRef: 'ref-1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }],
    });
  });

  it('answers a function error as Lambda does: 200, FunctionError Unhandled, {errorType, errorMessage}', async () => {
    const lambda = new LambdaClient(config);
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'connector-crm', Payload: Buffer.from(JSON.stringify({ subjects: [] })) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({
      errorType: 'ConnectorTransientError',
      errorMessage: 'busy',
      trace: [],
    });
  });

  it('refuses an unknown function (ResourceNotFoundException) and a body that is not JSON', async () => {
    const lambda = new LambdaClient(config);
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'nope', Payload: Buffer.from('{}') }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'plan', Payload: Buffer.from('not json') }))).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
    });
  });

  it('reads function names from ARNs and partial ARNs', () => {
    expect(functionNameOf('arn:aws:lambda:eu-north-1:123456789012:function:my-fn')).toBe('my-fn');
    expect(functionNameOf('arn:aws:lambda:eu-north-1:123456789012:function:my-fn:$LATEST')).toBe('my-fn');
    expect(functionNameOf('123456789012:function:my-fn')).toBe('my-fn');
    expect(functionNameOf('my-fn')).toBe('my-fn');
    expect(secretNameOf('arn:aws:secretsmanager:eu-north-1:1:secret:a/b-c-XyZ123')).toBe('a/b-c');
  });
});

describe('Step Functions', () => {
  const sfn = () => new SFNClient(config);
  const describeUntilDone = async (executionArn: string) => {
    for (;;) {
      const d = await sfn().send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING') return d;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("starts the erasure state machine for the runtime's workflow starter, once per request id", async () => {
    // GIVEN the runtime's StepFunctionsErasureWorkflow WHEN it starts the same request twice while it runs
    const workflow = new StepFunctionsErasureWorkflow(sfn(), ERASURE);
    expect(await workflow.start('req-1')).toBe(true);
    expect(await workflow.start('req-1')).toBe(false);
    // THEN one execution ran the ASL to the end, with the tasks of the definition
    const done = await describeUntilDone(stepFunctions.executionArn(ERASURE, 'req-1'));
    expect(done).toMatchObject({ status: 'SUCCEEDED', name: 'req-1', redriveCount: 0 });
    expect(JSON.parse(done.output!)).toEqual({ requestId: 'req-1', status: 'completed', failedSystems: [] });
    expect(invocations.filter((i) => i.fn === 'plan' && (i.payload as { requestId: string }).requestId === 'req-1')).toHaveLength(1);
    // AND once it has ended, the name is taken (ExecutionAlreadyExists), which the starter counts as started before
    expect(await workflow.start('req-1')).toBe(false);
  });

  it('refuses other input under a running name, an unknown state machine and a bad name', async () => {
    const started = await sfn().send(
      new StartExecutionCommand({ stateMachineArn: ERASURE, name: 'req-2', input: '{"requestId":"req-2"}' }),
    );
    await expect(
      sfn().send(new StartExecutionCommand({ stateMachineArn: ERASURE, name: 'req-2', input: '{"requestId":"x"}' })),
    ).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    await expect(sfn().send(new StartExecutionCommand({ stateMachineArn: `${ERASURE}-nope`, input: '{}' }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(sfn().send(new StartExecutionCommand({ stateMachineArn: ERASURE, name: 'a b', input: '{}' }))).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await describeUntilDone(started.executionArn!);
  });

  it('fails an execution whose system fails permanently, redrives it once the cause is fixed, and refuses to redrive a success', async () => {
    // GIVEN a system that fails permanently WHEN the request runs THEN the execution FAILS naming the error
    failing.add('files');
    const { executionArn } = await sfn().send(
      new StartExecutionCommand({ stateMachineArn: ERASURE, name: 'req-3', input: '{"requestId":"req-3"}' }),
    );
    const failed = await describeUntilDone(executionArn!);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'ConnectorPermanentError', redriveStatus: 'REDRIVABLE' });
    // WHEN the cause is fixed and the execution redriven THEN it re-runs (locally: whole) and succeeds
    failing.delete('files');
    const redrive = await sfn().send(new RedriveExecutionCommand({ executionArn }));
    expect(redrive.redriveDate).toBeInstanceOf(Date);
    const done = await describeUntilDone(executionArn!);
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    // AND a succeeded execution cannot be redriven
    await expect(sfn().send(new RedriveExecutionCommand({ executionArn }))).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
  });

  it('answers an unknown operation as such, never with a made-up success', async () => {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSStepFunctions.DeleteStateMachine', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
