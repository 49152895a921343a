/**
 * How the built-in connectors (and `lethe audit verify`) build their AWS clients. An endpoint (local mode: DynamoDB
 * Local, s3rver) comes from the options or from the SDK's standard variables `AWS_ENDPOINT_URL_<SERVICE>` /
 * `AWS_ENDPOINT_URL`. The DynamoDB and Lambda clients leave the variables to the SDK, which reads them itself (and the
 * shared config file's `endpoint_url`, and `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`). The S3 client reads them here too,
 * because its options depend on whether the endpoint is a local server (see createS3Client).
 *
 * An S3 endpoint on this machine (127.0.0.1, localhost, [::1]) is local mode's s3rver: with no region and no
 * credentials configured in the environment, the client uses s3rver's (`LOCAL_S3`), so that
 * `lethe audit verify --bucket lethe-local-audit --endpoint-url http://127.0.0.1:<port>` works with nothing set by
 * hand. Any other endpoint, and no endpoint, keeps the SDK's standard chain.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ClientOptions {
  readonly region?: string;
  /** A custom endpoint, e.g. `http://127.0.0.1:4569` for s3rver. @default the SDK's: AWS_ENDPOINT_URL_<SERVICE> ?? AWS_ENDPOINT_URL */
  readonly endpoint?: string;
}

/**
 * What local mode's s3rver accepts: its fixed access keys, and any region (s3rver checks a signature in the scope the
 * request names). The region is the example policy's.
 */
export const LOCAL_S3 = {
  region: 'eu-north-1',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
} as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Whether `url` is an address on this machine (127.0.0.1, localhost, [::1]). */
export function isLoopbackEndpoint(url: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(url).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** The environment names the SDK would take a region or credentials from: if one is set, the SDK decides. */
const nonEmpty = (name: string) => (process.env[name] ?? '') !== '';

/** The S3 endpoint the SDK will use from the options or the standard variables, known before the client is built. */
function s3Endpoint(options: ClientOptions): string | undefined {
  return options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? undefined;
}

/**
 * An S3 client. On AWS it keeps the SDK's defaults: checksums computed and responses validated wherever S3
 * supports them. With a custom endpoint (a local S3 server such as s3rver) it uses path-style addressing
 * (`http://host/bucket/key`) and checksums only where S3 requires them, which is what local servers accept.
 * On a loopback endpoint, a region and credentials not set in the environment (`AWS_REGION`/`AWS_DEFAULT_REGION`,
 * `AWS_ACCESS_KEY_ID`/`AWS_PROFILE`) default to s3rver's (`LOCAL_S3`).
 */
export function createS3Client(options: ClientOptions = {}): S3Client {
  const endpoint = s3Endpoint(options);
  const { region, credentials } = loopbackDefaults(endpoint, options.region);
  return new S3Client({
    ...(region ? { region } : {}),
    ...credentials,
    ...(endpoint
      ? { endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

/**
 * On a loopback endpoint, a region and credentials not set in the environment (`AWS_REGION`/`AWS_DEFAULT_REGION`,
 * `AWS_ACCESS_KEY_ID`/`AWS_PROFILE`): `LOCAL_S3`'s, which s3rver and DynamoDB Local (any keys) both take.
 */
function loopbackDefaults(endpoint: string | undefined, region: string | undefined) {
  const local = endpoint !== undefined && isLoopbackEndpoint(endpoint);
  return {
    region: region ?? (local && !nonEmpty('AWS_REGION') && !nonEmpty('AWS_DEFAULT_REGION') ? LOCAL_S3.region : undefined),
    credentials: local && !nonEmpty('AWS_ACCESS_KEY_ID') && !nonEmpty('AWS_PROFILE') ? { credentials: { ...LOCAL_S3.credentials } } : {},
  };
}

/**
 * A DynamoDB client (`lethe audit verify --chain-table`). On a loopback endpoint (DynamoDB Local, from the options or
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL`), a region and credentials not set in the environment default to
 * `LOCAL_S3`'s, as for S3; elsewhere the SDK's standard chain.
 */
export function createDynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL ?? undefined;
  const { region, credentials } = loopbackDefaults(endpoint, options.region);
  return new DynamoDBClient({
    ...(region ? { region } : {}),
    ...credentials,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
}

/** A DynamoDB document client: plain JavaScript values in and out; numbers too large for a double are refused. */
export function createDynamoDbDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createLambdaClient(options: ClientOptions = {}): LambdaClient {
  return new LambdaClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
}
