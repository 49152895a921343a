/**
 * How the built-in connectors build their AWS clients. An endpoint (local mode: DynamoDB Local, s3rver) comes
 * from the options or from the SDK's standard variables `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ClientOptions {
  readonly region?: string;
  /** A custom endpoint, e.g. `http://127.0.0.1:4569` for s3rver. @default AWS_ENDPOINT_URL_<SERVICE> ?? AWS_ENDPOINT_URL */
  readonly endpoint?: string;
}

function endpointFor(service: 'S3' | 'DYNAMODB' | 'LAMBDA', options: ClientOptions): string | undefined {
  return options.endpoint ?? process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL ?? undefined;
}

/**
 * An S3 client. On AWS it keeps the SDK's defaults: checksums computed and responses validated wherever S3
 * supports them. With a custom endpoint (a local S3 server such as s3rver) it uses path-style addressing
 * (`http://host/bucket/key`) and checksums only where S3 requires them, which is what local servers accept.
 */
export function createS3Client(options: ClientOptions = {}): S3Client {
  const endpoint = endpointFor('S3', options);
  return new S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(endpoint
      ? { endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

/** A DynamoDB document client: plain JavaScript values in and out; numbers too large for a double are refused. */
export function createDynamoDbDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  const endpoint = endpointFor('DYNAMODB', options);
  const client = new DynamoDBClient({ ...(options.region ? { region: options.region } : {}), ...(endpoint ? { endpoint } : {}) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createLambdaClient(options: ClientOptions = {}): LambdaClient {
  const endpoint = endpointFor('LAMBDA', options);
  return new LambdaClient({ ...(options.region ? { region: options.region } : {}), ...(endpoint ? { endpoint } : {}) });
}
