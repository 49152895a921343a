/**
 * The ledger tables' DynamoDB stream: a TTL removal of a still-active holding erases it (lib/runtime/ledger-stream.ts).
 * Records are processed with Powertools batch: a record that fails is reported in `batchItemFailures` and
 * retried by Lambda (the event source needs ReportBatchItemFailures), the others are not run again.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { withPowertools } from '../lib/runtime/handler';
import { handleLedgerRecord } from '../lib/runtime/ledger-stream';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return withPowertools<DynamoDBStreamEvent, DynamoDBBatchResponse>(
    async (event, context) =>
      processPartialResponse(event, (record: DynamoDBRecord) => handleLedgerRecord(getRuntime(), record), processor, { context }),
    { metrics: true },
  );
}

export const handler = makeHandler();
