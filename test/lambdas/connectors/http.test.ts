/** The HTTP connector function: env config, the signing secret from Secrets Manager, a real local receiver. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { ENV } from '../../../lib/core/contract';
import { ConnectorTransientError } from '../../../lib/connectors/errors';
import { createConnectorHandler } from '../../../lib/connectors/handler';
import { verifyWebhookSignature } from '../../../lib/connectors/webhook';
import { invocation, subject } from '../../lib/connectors/fixtures';

const secrets = mockClient(SecretsManagerClient);
const context = { functionName: 'lethe-connector-billing', awsRequestId: 'aws-req-3' } as unknown as Context;

test('signs with the secret named in the config, and turns a 503 into a transient error', async () => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'whsec-from-sm' });
  let answer = 200;
  const verified: boolean[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      verified.push(verifyWebhookSignature('whsec-from-sm', body, req.headers['x-lethe-signature'] as string));
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1 } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const output: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => output.push(String(chunk)) > 0);
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/erase`;
    const handler = createConnectorHandler('http', {
      env: {
        [ENV.connectorSystem]: 'billing',
        [ENV.connectorConfig]: JSON.stringify({ url, secretName: 'lethe/billing', timeoutSeconds: 2 }),
      },
    });
    const call = () =>
      handler(invocation([subject({ subjectId: 'ada-1815', identifiers: { email: 'ada@example.com' } })], { system: 'billing' }), context);

    expect((await call()).subjects[0].status).toBe('erased');
    answer = 503;
    await expect(call()).rejects.toThrow(ConnectorTransientError);
    expect(verified).toEqual([true, true]);
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual(['lethe/billing']);
  } finally {
    spy.mockRestore();
    await new Promise((resolve) => server.close(resolve));
  }
  const all = output.join('');
  expect(all).toContain('"error":"ConnectorTransientError"');
  expect(all).not.toContain('ada-1815');
  expect(all).not.toContain('ada@example.com');
});
