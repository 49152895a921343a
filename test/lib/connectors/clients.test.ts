/**
 * lib/connectors/clients.ts: where each client sends its requests. An endpoint given in the options wins; else the
 * SDK's standard variables `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL` (read by the SDK itself for DynamoDB
 * and Lambda). Each case sends one request and sees which of two loopback servers it reaches.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  createDynamoDbClient,
  createDynamoDbDocumentClient,
  createLambdaClient,
  createS3Client,
  type ClientOptions,
} from '../../../lib/connectors/clients';

interface Server {
  readonly url: string;
  readonly hits: string[];
  close(): Promise<void>;
}

/** A loopback server that records each request's method and path and answers `{}`. */
async function server(): Promise<Server> {
  const hits: string[] = [];
  const s = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => s.close(() => resolve())),
  };
}

const VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_ENDPOINT_URL_S3'] as const;
const CREDENTIALS = { AWS_REGION: 'eu-north-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } as const;

/** Sends one request with a client built by clients.ts; the answer does not matter, only where it went. */
const services: Record<'DYNAMODB' | 'LAMBDA' | 'S3', (options: ClientOptions) => Promise<unknown>> = {
  DYNAMODB: (o) => createDynamoDbDocumentClient(o).send(new GetCommand({ TableName: 't', Key: { pk: 'k' } })),
  LAMBDA: (o) => createLambdaClient(o).send(new GetAccountSettingsCommand({})),
  S3: (o) => createS3Client(o).send(new HeadBucketCommand({ Bucket: 'b' })),
};

describe('the endpoint each client uses', () => {
  let saved: Record<string, string | undefined>;
  let a: Server;
  let b: Server;
  beforeEach(async () => {
    saved = Object.fromEntries([...VARIABLES, ...Object.keys(CREDENTIALS)].map((k) => [k, process.env[k]]));
    for (const k of VARIABLES) delete process.env[k];
    Object.assign(process.env, CREDENTIALS);
    [a, b] = await Promise.all([server(), server()]);
  });
  afterEach(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await Promise.all([a.close(), b.close()]);
  });

  // Table-driven: which variables are set (to server a or b), whether the options name one, and which server answers.
  const cases: { name: string; env: (service: string) => Record<string, 'a' | 'b'>; option?: 'a' | 'b'; reached: 'a' | 'b' }[] = [
    { name: 'AWS_ENDPOINT_URL_<SERVICE>', env: (s) => ({ [`AWS_ENDPOINT_URL_${s}`]: 'a' }), reached: 'a' },
    { name: 'AWS_ENDPOINT_URL alone', env: () => ({ AWS_ENDPOINT_URL: 'b' }), reached: 'b' },
    {
      name: 'AWS_ENDPOINT_URL_<SERVICE> before AWS_ENDPOINT_URL',
      env: (s) => ({ AWS_ENDPOINT_URL: 'b', [`AWS_ENDPOINT_URL_${s}`]: 'a' }),
      reached: 'a',
    },
    {
      name: 'the option before the variables',
      env: (s) => ({ AWS_ENDPOINT_URL: 'a', [`AWS_ENDPOINT_URL_${s}`]: 'a' }),
      option: 'b',
      reached: 'b',
    },
  ];
  const table = Object.keys(services).flatMap((service) => cases.map((c) => ({ service: service as keyof typeof services, ...c })));

  it.each(table)('$service: $name', async ({ service, env, option, reached }) => {
    // GIVEN the variables and options of the case
    const servers = { a, b };
    for (const [k, which] of Object.entries(env(service))) process.env[k] = servers[which].url;
    // WHEN the client sends a request
    await services[service](option ? { endpoint: servers[option].url } : {}).catch(() => undefined);
    // THEN it reached that server, and only it
    const other = reached === 'a' ? b : a;
    expect(servers[reached].hits).toHaveLength(1);
    expect(other.hits).toEqual([]);
  });

  it.each(cases)('DYNAMODB, the plain client (audit verify --chain-table): $name', async ({ env, option, reached }) => {
    const servers = { a, b };
    for (const [k, which] of Object.entries(env('DYNAMODB'))) process.env[k] = servers[which].url;
    const client = createDynamoDbClient(option ? { endpoint: servers[option].url } : {});
    await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'k' } } })).catch(() => undefined);
    expect(servers[reached].hits).toHaveLength(1);
    expect((reached === 'a' ? b : a).hits).toEqual([]);
  });

  it.each([
    { name: 'on a loopback endpoint with nothing set: DynamoDB Local takes the local keys', set: {}, region: 'eu-north-1', key: 'S3RVER' },
    { name: 'with AWS_REGION and keys set: those', set: { AWS_REGION: 'eu-west-1' }, region: 'eu-west-1', key: 'test' },
  ])('DYNAMODB, the plain client: region and keys $name', async ({ set, region, key }) => {
    // AWS_DEFAULT_REGION and AWS_PROFILE are put back here (afterEach puts back the others).
    const more = { AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION, AWS_PROFILE: process.env.AWS_PROFILE };
    try {
      for (const k of [...Object.keys(CREDENTIALS), ...Object.keys(more)]) delete process.env[k];
      if (Object.keys(set).length > 0) Object.assign(process.env, CREDENTIALS, set);
      const client = createDynamoDbClient({ endpoint: a.url });
      expect(await client.config.region()).toBe(region);
      expect((await client.config.credentials()).accessKeyId).toBe(key);
    } finally {
      for (const [k, v] of Object.entries(more)) if (v !== undefined) process.env[k] = v;
    }
  });
});
