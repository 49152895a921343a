/**
 * What the console server talks to, built in one place for `lethe console` and `npm start`:
 * - local mode: its API with the token from its data directory, and its audit bucket in s3rver (s3rver's fixed keys);
 * - a deployed stack: its API signed with SigV4, and its audit bucket in S3, both with the user's credentials (the
 *   AWS SDK's standard chain, `--profile` when given).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { readChainHead } from '../audit/head';
import { type AuditSource, s3Source } from '../audit/verify';
import { LOCAL_S3 } from '../connectors/clients';
import type { AuditHeadReader } from './audit-view';
import { ConsoleError } from './errors';
import { type ApiForwarder, localForwarder, parseApiUrl, regionOfApiUrl, sigV4Forwarder } from './forward';

export interface ConsoleTarget {
  readonly api: ApiForwarder;
  /** Undefined when no audit bucket is known. */
  readonly audit?: () => AuditSource;
  /** The audit-chain table's head; undefined when no table is known (the proof page says the chain's end was not checked). */
  readonly auditHead?: AuditHeadReader;
  /** One line for the start message: where the API and the audit records are. */
  readonly description: string;
}

export interface LocalTargetOptions {
  readonly apiUrl: string;
  readonly token: () => string;
  readonly s3Endpoint: string;
  readonly auditBucket: string;
  /** DynamoDB Local's endpoint and the audit-chain table there; both, or no head is read. @default - none */
  readonly dynamodbEndpoint?: string;
  readonly auditChainTable?: string;
}

/** Reads the head of `table` with a client made on the first read. */
function headReader(table: string, client: () => DynamoDBClient): AuditHeadReader {
  let dynamodb: DynamoDBClient | undefined;
  return {
    table,
    read: () => readChainHead((dynamodb ??= client()), table),
  };
}

/** Local mode: its API with its token, its audit bucket in its s3rver, its audit-chain table in DynamoDB Local. */
export function localTarget(options: LocalTargetOptions): ConsoleTarget {
  let s3: S3Client | undefined;
  const { dynamodbEndpoint, auditChainTable } = options;
  return {
    api: localForwarder({ apiUrl: options.apiUrl, token: options.token }),
    audit: () => {
      s3 ??= new S3Client({
        region: LOCAL_S3.region,
        credentials: { ...LOCAL_S3.credentials },
        endpoint: options.s3Endpoint,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return s3Source(s3, options.auditBucket);
    },
    ...(dynamodbEndpoint && auditChainTable
      ? {
          auditHead: headReader(
            auditChainTable,
            // DynamoDB Local takes any keys: local mode's own clients use s3rver's (lib/local/emulator-services.ts).
            () => new DynamoDBClient({ region: LOCAL_S3.region, credentials: { ...LOCAL_S3.credentials }, endpoint: dynamodbEndpoint }),
          ),
        }
      : {}),
    description:
      `local mode's API ${options.apiUrl}, audit s3://${options.auditBucket} on ${options.s3Endpoint}` +
      (dynamodbEndpoint && auditChainTable ? `, head in ${auditChainTable} on ${dynamodbEndpoint}` : ', no audit-chain table'),
  };
}

export interface DeployedTargetOptions {
  readonly apiUrl: string;
  /** @default - the region in the API URL */
  readonly region?: string;
  /** A profile of ~/.aws/config. @default - the SDK's standard chain (AWS_PROFILE, the environment, SSO, ...) */
  readonly profile?: string;
  /** @default - none: the audit page says how to give it */
  readonly auditBucket?: string;
  /** The audit-chain table, whose head the chain's end is checked against. @default - none: the proof page says the end was not checked */
  readonly auditChainTable?: string;
  /** @default - fromNodeProviderChain({ profile }) */
  readonly credentials?: ReturnType<typeof fromNodeProviderChain>;
}

/** A deployed stack: its API signed with SigV4, its audit bucket read, with the user's own credentials. */
export function deployedTarget(options: DeployedTargetOptions): ConsoleTarget {
  const url = parseApiUrl(options.apiUrl);
  const region = options.region ?? regionOfApiUrl(url);
  if (!region) {
    throw new ConsoleError(
      `no region for ${url.href}: it is not an execute-api URL with a region in it; give --region, e.g. --region eu-north-1`,
    );
  }
  const credentials = options.credentials ?? fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  let s3: S3Client | undefined;
  const bucket = options.auditBucket;
  const table = options.auditChainTable;
  return {
    api: sigV4Forwarder({ apiUrl: url.href, region, credentials }),
    ...(bucket
      ? {
          audit: () => {
            s3 ??= new S3Client({ region, credentials });
            return s3Source(s3, bucket);
          },
        }
      : {}),
    ...(table ? { auditHead: headReader(table, () => new DynamoDBClient({ region, credentials })) } : {}),
    description:
      `${url.href} in ${region} (SigV4${options.profile ? `, profile ${options.profile}` : ''})` +
      (bucket ? `, audit s3://${bucket}` : ', no audit bucket (--audit-bucket)') +
      (table ? `, head in ${table}` : ', no audit-chain table (--audit-chain-table)'),
  };
}
