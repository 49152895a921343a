/**
 * One small local AWS endpoint (node:http, on 127.0.0.1) that answers exactly the calls Lethe's functions make
 * to services other than DynamoDB and S3, in the services' own wire protocols, so that the functions reach it
 * through the SDK's standard endpoint settings (AWS_ENDPOINT_URL_LAMBDA, _KMS, _SECRETS_MANAGER, _SFN):
 *
 * - Lambda Invoke (REST JSON: POST /2015-03-31/functions/{name}/invocations): runs the local function; a
 *   thrown error is answered as Lambda answers it (200, `X-Amz-Function-Error: Unhandled`, body
 *   `{errorType, errorMessage, trace}`).
 * - KMS Encrypt, GenerateDataKey, Decrypt, DescribeKey (JSON 1.1): the local key (keys.ts).
 * - Secrets Manager GetSecretValue (JSON 1.1): the local secrets, by name or ARN.
 * - Step Functions StartExecution, DescribeExecution, RedriveExecution (JSON 1.0): step-functions.ts.
 * Anything else is `UnknownOperationException`, so a call Lethe starts making is noticed, not faked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { listenOnLoopback } from '../core/loopback';
import type { InvokeResult } from './functions';
import { KmsInvalidCiphertext, LOCAL_ACCOUNT, type LocalKmsKey, type LocalSecrets } from './keys';
import { type LocalStepFunctions, StepFunctionsError } from './step-functions';

export interface AwsEndpointOptions {
  readonly region: string;
  /** The local function a Lambda FunctionName (name, ARN or partial ARN) refers to, if any. */
  readonly resolveFunction: (nameOrArn: string) => string | undefined;
  readonly invoke: (functionName: string, payload: string) => Promise<InvokeResult>;
  readonly kms: LocalKmsKey;
  readonly secrets: LocalSecrets;
  readonly stepFunctions: LocalStepFunctions;
  /** @default 0 (a free port) */
  readonly port?: number;
}

export interface AwsEndpoint {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Lambda's synchronous payload limit. */
const MAX_LAMBDA_PAYLOAD = 6 * 1024 * 1024;

class ServiceError extends Error {
  public constructor(
    public readonly code: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

/** The function name in a Lambda FunctionName: `name`, `name:qualifier`, `account:function:name` or a full ARN. */
export function functionNameOf(nameOrArn: string): string {
  const arn = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(nameOrArn);
  if (arn) return arn[1];
  const partial = /^\d{12}:function:([^:]+)(?::[^:]+)?$/.exec(nameOrArn);
  if (partial) return partial[1];
  return nameOrArn.split(':')[0];
}

/** The secret name in a SecretId: the name itself, or an ARN `...:secret:<name>-<6 random characters>`. */
export function secretNameOf(secretId: string): string {
  const arn = /^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(secretId);
  if (!arn) return secretId;
  return arn[1].replace(/-[A-Za-z0-9]{6}$/, '');
}

export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  const server = http.createServer((req, res) => {
    void handle(options, req, res).catch((error: unknown) => {
      if (!res.headersSent)
        jsonError(res, 'application/x-amz-json-1.1', new ServiceError('InternalFailure', (error as Error).message, 500));
      else res.destroy();
    });
  });
  return listenOnLoopback(server, options.port ?? 0);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function handle(options: AwsEndpointOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/.exec(url.pathname);
  if (invoke && req.method === 'POST') {
    await lambdaInvoke(options, decodeURIComponent(invoke[1]), url.searchParams.get('Qualifier'), req, res);
    return;
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  const contentType = String(req.headers['content-type'] ?? 'application/x-amz-json-1.1');
  const body = await readBody(req, MAX_LAMBDA_PAYLOAD);
  if (!target || req.method !== 'POST') {
    jsonError(
      res,
      contentType,
      new ServiceError('UnknownOperationException', `local mode does not serve ${req.method} ${url.pathname}`, 404),
    );
    return;
  }
  let input: Json;
  try {
    input = body && body.length > 0 ? (JSON.parse(body.toString('utf8')) as Json) : {};
  } catch {
    jsonError(res, contentType, new ServiceError('SerializationException', 'the request body is not JSON'));
    return;
  }
  try {
    const output = await jsonOperation(options, target, input);
    res.writeHead(200, { 'content-type': contentType, 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(output));
  } catch (error) {
    if (error instanceof ServiceError) jsonError(res, contentType, error);
    else if (error instanceof StepFunctionsError) jsonError(res, contentType, new ServiceError(error.name, error.message));
    else throw error;
  }
}

function jsonError(res: http.ServerResponse, contentType: string, error: ServiceError): void {
  res.writeHead(error.status, { 'content-type': contentType, 'x-amzn-errortype': error.code, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ __type: error.code, message: error.message }));
}

const seconds = (date: Date | undefined): number | undefined => (date ? date.getTime() / 1000 : undefined);
const base64 = (value: unknown, what: string): Buffer => {
  if (typeof value !== 'string') throw new ServiceError('ValidationException', `${what} is required`);
  return Buffer.from(value, 'base64');
};
const context = (value: unknown): Record<string, string> | undefined =>
  value && typeof value === 'object' ? (value as Record<string, string>) : undefined;

async function jsonOperation(options: AwsEndpointOptions, target: string, input: Json): Promise<Json> {
  const { kms, secrets, stepFunctions, region } = options;
  switch (target) {
    case 'TrentService.Encrypt': {
      if (!kms.matches(input.KeyId as string)) throw new ServiceError('NotFoundException', `Key '${String(input.KeyId)}' does not exist`);
      const plaintext = base64(input.Plaintext, 'Plaintext');
      if (plaintext.length < 1 || plaintext.length > 4096) {
        throw new ServiceError('ValidationException', 'Plaintext must be 1 to 4096 bytes');
      }
      return {
        CiphertextBlob: kms.encrypt(plaintext, context(input.EncryptionContext)).toString('base64'),
        KeyId: kms.arn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    }
    case 'TrentService.GenerateDataKey': {
      if (!kms.matches(input.KeyId as string)) throw new ServiceError('NotFoundException', `Key '${String(input.KeyId)}' does not exist`);
      const bytes = input.KeySpec === 'AES_256' ? 32 : input.KeySpec === 'AES_128' ? 16 : Number(input.NumberOfBytes);
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
        throw new ServiceError('ValidationException', 'Give KeySpec (AES_256 or AES_128) or NumberOfBytes (1 to 1024)');
      }
      const plaintext = randomBytes(bytes);
      return {
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: kms.encrypt(plaintext, context(input.EncryptionContext)).toString('base64'),
        KeyId: kms.arn,
      };
    }
    case 'TrentService.Decrypt': {
      if (input.KeyId !== undefined && !kms.matches(input.KeyId as string))
        throw new ServiceError('IncorrectKeyException', 'the ciphertext was not encrypted under this key');
      try {
        const plaintext = kms.decrypt(base64(input.CiphertextBlob, 'CiphertextBlob'), context(input.EncryptionContext));
        return { Plaintext: plaintext.toString('base64'), KeyId: kms.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      } catch (error) {
        if (error instanceof KmsInvalidCiphertext) throw new ServiceError('InvalidCiphertextException', error.message);
        throw error;
      }
    }
    case 'TrentService.DescribeKey': {
      if (!kms.matches(input.KeyId as string)) throw new ServiceError('NotFoundException', `Key '${String(input.KeyId)}' does not exist`);
      return {
        KeyMetadata: {
          AWSAccountId: LOCAL_ACCOUNT,
          KeyId: kms.keyId,
          Arn: kms.arn,
          Enabled: true,
          KeyState: 'Enabled',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyManager: 'CUSTOMER',
          Origin: 'AWS_KMS',
        },
      };
    }
    case 'secretsmanager.GetSecretValue': {
      const name = secretNameOf(typeof input.SecretId === 'string' ? input.SecretId : '');
      const value = secrets.values[name];
      if (value === undefined) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return {
        ARN: `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${name}-LOCAL0`,
        Name: name,
        SecretString: value,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 0,
      };
    }
    case 'AWSStepFunctions.StartExecution': {
      const started = stepFunctions.start({
        stateMachineArn: input.stateMachineArn as string | undefined,
        name: input.name as string | undefined,
        input: input.input as string | undefined,
      });
      return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
    }
    case 'AWSStepFunctions.DescribeExecution': {
      const e = stepFunctions.describe(input.executionArn as string | undefined);
      return {
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: seconds(e.startDate),
        ...(e.stopDate ? { stopDate: seconds(e.stopDate) } : {}),
        input: e.input,
        ...(e.output !== undefined ? { output: e.output } : {}),
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.cause !== undefined ? { cause: e.cause } : {}),
        redriveCount: e.redriveCount,
        redriveStatus: e.status === 'FAILED' ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
        ...(e.redriveDate ? { redriveDate: seconds(e.redriveDate) } : {}),
      };
    }
    case 'AWSStepFunctions.RedriveExecution': {
      const { redriveDate } = stepFunctions.redrive(input.executionArn as string | undefined);
      return { redriveDate: seconds(redriveDate) };
    }
    default:
      throw new ServiceError('UnknownOperationException', `local mode does not implement ${target}`);
  }
}

async function lambdaInvoke(
  options: AwsEndpointOptions,
  functionName: string,
  qualifier: string | null,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const restError = (status: number, code: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify({ Type: 'User', message }));
  };
  const body = await readBody(req, MAX_LAMBDA_PAYLOAD);
  const name = options.resolveFunction(functionNameOf(functionName));
  if (!name || (qualifier !== null && qualifier !== '$LATEST')) {
    restError(
      404,
      'ResourceNotFoundException',
      `Function not found: arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT}:function:${functionNameOf(functionName)}`,
    );
    return;
  }
  if (body === undefined) {
    restError(413, 'RequestTooLargeException', `Request must be smaller than ${MAX_LAMBDA_PAYLOAD} bytes for the InvokeFunction operation`);
    return;
  }
  const payload = body.length === 0 ? '{}' : body.toString('utf8');
  try {
    JSON.parse(payload);
  } catch {
    restError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    return;
  }
  const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (invocationType === 'DryRun') {
    res.writeHead(204, { 'x-amzn-requestid': randomUUID() });
    res.end();
    return;
  }
  if (invocationType === 'Event') {
    void options.invoke(name, payload);
    res.writeHead(202, { 'x-amzn-requestid': randomUUID() });
    res.end();
    return;
  }
  const result = await options.invoke(name, payload);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'x-amz-executed-version': '$LATEST',
    'x-amzn-requestid': randomUUID(),
  };
  if (result.ok) {
    res.writeHead(200, headers);
    res.end(result.payload);
  } else {
    res.writeHead(200, { ...headers, 'x-amz-function-error': 'Unhandled' });
    res.end(JSON.stringify({ errorType: result.errorType, errorMessage: result.errorMessage, trace: [] }));
  }
}
