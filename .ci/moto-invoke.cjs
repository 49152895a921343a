#!/usr/bin/env node
/**
 * Invokes the deployed bundles of the stack that .ci/moto-stack.py created in moto, each with the environment
 * moto's Lambda holds for it (every table, key, secret and state machine resolved to what moto created), against
 * moto on 127.0.0.1:
 *   - api: GET /erasure-requests/{an unknown id} answers 404; POST /erasure-requests answers 202 with a request id
 *     (KMS seals the subject, Secrets Manager gives the HMAC key, DynamoDB stores the request, Step Functions starts);
 *   - erasure-plan plans that request; erasure-finish finishes it (the audit record goes to S3 and the chain table);
 *     the API then answers GET with the final status;
 *   - deadline-monitor and sweep-read (for every purpose) run against the empty indexes.
 *
 * Usage: AWS_DEFAULT_REGION=eu-north-1 node .ci/moto-invoke.cjs ENDPOINT CDK_OUT   (CDK_OUT/moto-functions.json is written
 * by moto-stack.py)
 * Prints one line per check, "FAIL ..." for a failure, and exits 1 when any failed.
 *
 * Adaptations made for moto alone (the bundles and their environment are as deployed):
 *   - The bundles run in a local Node process, not in moto's Lambda: moto runs functions in Docker containers from
 *     a Lambda base image, which CI machines neither have nor may download. Each runs in its own process with its
 *     deployed environment plus what the Lambda runtime would give it (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME) and
 *     AWS_ENDPOINT_URL pointing every SDK client at moto, with moto's test credentials.
 *   - The state machines do not run: moto accepts StartExecution without running the definition, so the test calls
 *     erasure-plan and erasure-finish itself with the input the state machine would pass (no connector runs).
 *   - The connector functions are not invoked: they reach the controller's own tables, buckets and SaaS webhooks,
 *     which are not part of the stack.
 *   - X-Ray: AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR, as there is no Lambda trace context outside Lambda.
 *   - The receipt key: moto's CloudFormation drops a KMS key's KeySpec and KeyUsage, so one of the right spec is made
 *     through moto's KMS API and given to the functions that sign receipts (below).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { cpSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const RESULT = '@@lethe-result@@';

if (process.argv[2] === '--invoke') {
  // Child: require the bundle, call its handler with the event on stdin, print the result after the marker.
  const bundle = process.argv[3];
  const event = JSON.parse(readFileSync(0, 'utf8'));
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    awsRequestId: randomUUID(),
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:111111111111:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 60_000,
    callbackWaitsForEmptyEventLoop: true,
  };
  Promise.resolve()
    .then(() => require(bundle).handler(event, context))
    .then(
      (result) => process.stdout.write(`\n${RESULT}${JSON.stringify({ result: result ?? null })}\n`),
      (error) => process.stdout.write(`\n${RESULT}${JSON.stringify({ error: `${error && error.name}: ${error && error.message}` })}\n`),
    );
  return;
}

const [endpoint, cdkOut] = process.argv.slice(2);
const region = process.env.AWS_DEFAULT_REGION || 'eu-north-1';
const { functions } = JSON.parse(readFileSync(path.join(cdkOut, 'moto-functions.json'), 'utf8'));
// Each bundle runs from a copy outside the repository, as on Lambda: a module the bundle does not carry (an AWS SDK
// left to the runtime) must fail here, not be found in the repository's node_modules.
const lone = mkdtempSync(path.join(tmpdir(), 'lethe-moto-bundles-'));
for (const fn of Object.values(functions)) {
  const copy = path.join(lone, path.basename(fn.bundle));
  cpSync(fn.bundle, copy, { recursive: true });
  fn.bundle = copy;
}
process.on('exit', () => rmSync(lone, { recursive: true, force: true }));
const byService = new Map(Object.values(functions).map((f) => [f.environment.POWERTOOLS_SERVICE_NAME, f]));
// moto's CloudFormation creates AWS::KMS::Key without its KeySpec and KeyUsage, so the receipt key (ECC_NIST_P256,
// SIGN_VERIFY; lib/stack/receipt-key.ts, checked by the template test) comes out a symmetric key that erasure-finish
// rightly refuses. A key of that spec is made through moto's KMS API (which models it) and given to the functions
// that sign receipts, in place of the template's.
const receiptSigners = Object.values(functions).filter((f) => f.environment.LETHE_RECEIPT_KEY !== undefined);
if (receiptSigners.length > 0) {
  const made = spawnSync(
    'python3',
    [
      '-c',
      'import boto3,sys; print(boto3.client("kms", endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id="testing", aws_secret_access_key="testing").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description="lethe receipts (moto)")["KeyMetadata"]["Arn"])',
      endpoint,
      region,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const arn = (made.stdout || '').trim();
  if (made.status !== 0 || !arn.startsWith('arn:')) {
    console.log(`FAIL the receipt key could not be made in moto: ${(made.stderr || made.stdout || '').trim().slice(-300)}`);
    process.exit(1);
  }
  for (const fn of receiptSigners) fn.environment.LETHE_RECEIPT_KEY = arn;
  console.log(
    `moto: receipt key made through the KMS API (ECC_NIST_P256, SIGN_VERIFY) for ${receiptSigners.map((f) => f.name).join(', ')}`,
  );
}
const failures = [];
const check = (ok, line) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`);
  if (!ok) failures.push(line);
  return ok;
};

function invoke(service, event) {
  const fn = byService.get(service);
  if (!fn) return { error: `no deployed function with POWERTOOLS_SERVICE_NAME=${service}` };
  const child = spawnSync(process.execPath, [__filename, '--invoke', path.join(fn.bundle, 'index.js')], {
    input: JSON.stringify(event),
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      ...fn.environment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    },
  });
  const line = (child.stdout || '').split('\n').find((l) => l.startsWith(RESULT));
  if (!line) return { error: `no result (exit ${child.status}): ${(child.stderr || child.stdout || '').trim().slice(-600)}` };
  return JSON.parse(line.slice(RESULT.length));
}

const apiEvent = (method, resource, pathParameters, body) => {
  let p = resource;
  for (const [k, v] of Object.entries(pathParameters || {})) p = p.replace(`{${k}}`, encodeURIComponent(v));
  return {
    resource,
    path: p,
    httpMethod: method,
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: pathParameters || null,
    stageVariables: null,
    requestContext: {
      resourcePath: resource,
      httpMethod: method,
      path: `/v1${p}`,
      stage: 'v1',
      requestId: randomUUID(),
      identity: { userArn: 'arn:aws:iam::111111111111:user/ci', sourceIp: '127.0.0.1' },
    },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
};
const statusOf = (r) => (r.result && typeof r.result.statusCode === 'number' ? r.result.statusCode : undefined);
const bodyOf = (r) => {
  try {
    return JSON.parse(r.result.body);
  } catch {
    return undefined;
  }
};
const describe = (r) => (r.error ? r.error : `${statusOf(r)} ${r.result && r.result.body}`.slice(0, 400));

// The API: an unknown request is 404; a new erasure request is 202.
const missing = invoke('lethe-api', apiEvent('GET', '/erasure-requests/{requestId}', { requestId: randomUUID() }));
check(statusOf(missing) === 404, `api GET /erasure-requests/{unknown id} → 404 (got ${describe(missing)})`);

const created = invoke(
  'lethe-api',
  apiEvent('POST', '/erasure-requests', undefined, {
    subjectId: 'ci-subject-1',
    verification: { method: 'ci', verifiedAt: new Date(Date.now() - 60_000).toISOString() },
  }),
);
const requestId = statusOf(created) === 202 ? (bodyOf(created) || {}).requestId : undefined;
check(
  statusOf(created) === 202 && typeof requestId === 'string',
  `api POST /erasure-requests → 202 with a requestId (got ${describe(created)})`,
);

if (requestId) {
  // The erasure workflow's first and last tasks, with the input the state machine passes them.
  const plan = invoke('lethe-erasure-plan', { requestId });
  check(!plan.error && plan.result && plan.result.requestId === requestId, `erasure-plan ran (got ${JSON.stringify(plan).slice(0, 400)})`);
  const finish = invoke('lethe-erasure-finish', { requestId, results: [] });
  check(
    !finish.error && finish.result && finish.result.requestId === requestId && typeof finish.result.status === 'string',
    `erasure-finish ran (got ${JSON.stringify(finish).slice(0, 400)})`,
  );
  const after = invoke('lethe-api', apiEvent('GET', '/erasure-requests/{requestId}', { requestId }));
  const status = (bodyOf(after) || {}).status;
  check(
    statusOf(after) === 200 && finish.result && status === finish.result.status,
    `api GET /erasure-requests/{id} → 200 with the finished status (got ${describe(after)})`,
  );
}

const monitor = invoke('lethe-deadline-monitor', {});
check(!monitor.error, `deadline-monitor ran (got ${JSON.stringify(monitor).slice(0, 300)})`);
const ledgerTables = JSON.parse(byService.get('lethe-sweep-read').environment.LETHE_LEDGER_TABLES);
for (const purpose of Object.keys(ledgerTables)) {
  // The input the sweep state machine gives it: the execution's name as sweepId, its start time as now.
  const page = invoke('lethe-sweep-read', { purpose, sweepId: `ci-${randomUUID()}`, now: new Date().toISOString() });
  check(
    !page.error && page.result && page.result.purpose === purpose,
    `sweep-read of purpose ${purpose} ran (got ${JSON.stringify(page).slice(0, 300)})`,
  );
}

console.log(`moto invocations: ${failures.length === 0 ? 'all passed' : `${failures.length} failed`}`);
process.exitCode = failures.length === 0 ? 0 : 1;
