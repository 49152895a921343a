/** The S3 connector function: env config, a real erasure of every version, logs without personal data. */
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { ENV } from '../../../lib/core/contract';
import { logger } from '../../../lib/core/observability';
import { createConnectorHandler } from '../../../lib/connectors/handler';
import { invocation, subject } from '../../lib/connectors/fixtures';

const s3 = mockClient(S3Client);
const context = { functionName: 'lethe-connector-files', awsRequestId: 'aws-req-2' } as unknown as Context;
const env = {
  [ENV.connectorSystem]: 'files',
  [ENV.connectorConfig]: JSON.stringify({ bucket: 'uploads', prefix: 'customers/{customerId}/' }),
};

test('erases every version under the subject prefix and logs only refs and counts, at DEBUG too', async () => {
  // Per-subject lines are DEBUG (issue 16, section 3): at the most verbose level, still only refs and counts.
  const level = logger.getLevelName();
  logger.setLogLevel('DEBUG');
  const output: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => output.push(String(chunk)) > 0);
  try {
    // The listing finds two versions; the verification's listing after the delete (issue 19) finds none.
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'customers/C-ADA-77/cv.pdf', VersionId: 'v1', IsLatest: true }],
        DeleteMarkers: [{ Key: 'customers/C-ADA-77/old.pdf', VersionId: 'dm1', IsLatest: true }],
      })
      .resolves({});
    s3.on(DeleteObjectsCommand).resolves({});
    const handler = createConnectorHandler('s3', { env });
    const result = await handler(
      invocation([subject({ subjectId: 'ada-lovelace-1815', locator: { customerId: 'C-ADA-77' } })], { system: 'files' }),
      context,
    );
    expect(result.subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'erased',
      counts: { records: 0, fields: 0, objects: 1 },
      verification: 'verified',
    });
    expect(s3.commandCalls(ListObjectVersionsCommand)[0].args[0].input).toEqual({ Bucket: 'uploads', Prefix: 'customers/C-ADA-77/' });
    expect(s3.commandCalls(DeleteObjectsCommand)[0].args[0].input.Delete?.Objects).toHaveLength(2);
  } finally {
    spy.mockRestore();
    logger.setLogLevel(level);
  }
  const all = output.join('');
  expect(all).toContain('"subjectRef":"ref-user1"');
  expect(all).not.toContain('C-ADA-77');
  expect(all).not.toContain('ada-lovelace-1815');
});
