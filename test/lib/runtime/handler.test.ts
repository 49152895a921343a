/**
 * lib/runtime/handler.ts: a state machine task (transientErrors) rethrows a transient AWS failure as
 * RuntimeTransientError, the name the definitions' Retry lists; anything else passes unchanged, and a function
 * that did not ask for it is left alone.
 */
import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { InputError } from '../../../lib/core/errors';
import { ERROR_NAMES } from '../../../lib/core/contract';
import { withPowertools } from '../../../lib/runtime/handler';
import { captureOutput, lambdaContext } from './support/runtime';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
const sdk = <T>(Type: new (o: { message: string; $metadata: object }) => T, status: number) =>
  new Type({ message: 'from the service', $metadata: { httpStatusCode: status } });

const run = (error: unknown, transientErrors = true) =>
  captureOutput(() =>
    withPowertools(
      async () => {
        throw error;
      },
      { transientErrors },
    )({}, lambdaContext('lethe-erasure-plan') as never),
  );

test.each([
  ['a refused connection', refused(), 'Error (ECONNREFUSED)'],
  ['DynamoDB throttling', sdk(ProvisionedThroughputExceededException, 400), 'ProvisionedThroughputExceededException (HTTP 400)'],
  ['a DynamoDB 500', sdk(InternalServerError, 500), 'InternalServerError (HTTP 500)'],
])('%s becomes RuntimeTransientError, naming only the error', async (_what, error, named) => {
  const { error: thrown } = await run(error);
  expect(thrown).toMatchObject({ name: ERROR_NAMES.runtimeTransient, message: `an AWS call failed transiently: ${named}` });
  expect((thrown as Error).cause).toBe(error);
  expect((thrown as Error).message).not.toContain('127.0.0.1');
});

test.each<[string, Error]>([
  ['a conditional check', sdk(ConditionalCheckFailedException, 400)],
  ['bad input', new InputError('bad requestId', { path: 'requestId' })],
  ['a permanent connector error', new ConnectorPermanentError('system "x" failed')],
  ['a plain bug', new TypeError('x is undefined')],
])('%s passes unchanged', async (_what, error) => {
  expect((await run(error)).error).toBe(error);
});

test('without transientErrors, a transient failure keeps its own name', async () => {
  const error = refused();
  expect((await run(error, false)).error).toBe(error);
});
