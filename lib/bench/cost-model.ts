/**
 * The AWS cost model of the benchmarks: what a run counted (state transitions, Lambda requests and
 * GB-seconds, DynamoDB request units, S3 requests, ...) times the published prices of one region, kept in
 * one JSON file with the date they were read (`prices-eu-north-1.json`).
 *
 * Free tiers are NOT applied: the benchmarks report the marginal cost of the work at scale, which is what a
 * controller pays once the free allowances are used up. Every price is the first (most expensive) tier.
 *
 * Pure: no AWS SDK, no clock. Only `loadPrices` touches the file system.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DocumentError, InputError, type Issue } from '../core/errors';
import { schemaIssues } from '../policy/schema-issues';
import { formatPath, readSourceFile } from '../policy/source';

/** The price file shipped with Lethe. */
export const DEFAULT_PRICES_FILE = join(__dirname, 'prices-eu-north-1.json');

/** AWS bills data in GB of 2^30 bytes (its worked examples: 100 GB = 107,374,182,400 bytes). */
export const BYTES_PER_GB = 1024 ** 3;

/** Every price the model needs; a price file must have exactly these. */
export const PRICE_KEYS = [
  'stepFunctions.standardTransition',
  'stepFunctions.expressRequest',
  'stepFunctions.expressGbSecond',
  'lambda.arm.request',
  'lambda.arm.gbSecond',
  'lambda.x86.request',
  'lambda.x86.gbSecond',
  'dynamodb.readRequestUnit',
  'dynamodb.writeRequestUnit',
  'dynamodb.streamReadRequestUnit',
  's3.tier1Request',
  's3.tier2Request',
  'kms.request',
  'apiGateway.restRequest',
  'logs.ingestedGb',
  'scheduler.invocation',
  'eventBridge.customEvent',
] as const;

export type PriceKey = (typeof PRICE_KEYS)[number];

/** The services a `Cost` is broken down by, in the order reports list them. */
export const SERVICES = ['stepFunctions', 'lambda', 'dynamodb', 's3', 'kms', 'apiGateway', 'logs', 'scheduler', 'eventBridge'] as const;

export type Service = (typeof SERVICES)[number];

const Price = z.strictObject({
  /** The published price, in USD, of `per` units (e.g. 0.025 per 1000 state transitions). */
  usd: z.number().nonnegative(),
  per: z.number().int().positive(),
  unit: z.string().min(1),
  /** The usage type, rate code or table row the price was read from. */
  item: z.string().min(1),
  source: z.string().min(1),
  sourceDate: z.iso.date().optional(),
  status: z.string().regex(/^(confirmed|assumed: \S.*)$/, 'must be "confirmed" or "assumed: <why>"'),
});

const priceShape = Object.fromEntries(PRICE_KEYS.map((key) => [key, Price])) as Record<PriceKey, typeof Price>;

const PriceFile = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region code such as eu-north-1'),
  currency: z.literal('USD'),
  /** The date the prices were read. */
  read: z.iso.date(),
  prices: z.strictObject(priceShape),
  notes: z.array(z.string().min(1)),
});

export type Price = z.infer<typeof Price>;
export type Prices = z.infer<typeof PriceFile>;

const count = z.number().nonnegative();

const UsageSchema = z.strictObject({
  stepFunctions: z.strictObject({ standardTransitions: count, expressRequests: count, expressGbSeconds: count }),
  lambda: z.strictObject({ requests: count, gbSeconds: count }),
  dynamodb: z.strictObject({ readRequestUnits: count, writeRequestUnits: count, streamReadRequests: count.optional() }),
  s3: z.strictObject({ tier1Requests: count, tier2Requests: count }),
  kms: z.strictObject({ requests: count }),
  apiGateway: z.strictObject({ requests: count }),
  logs: z.strictObject({ ingestedBytes: count }),
  scheduler: z.strictObject({ invocations: count }).optional(),
  eventBridge: z.strictObject({ customEvents: count }).optional(),
});

/** What a run counted, in AWS's billing units. */
export interface Usage {
  readonly stepFunctions: { readonly standardTransitions: number; readonly expressRequests: number; readonly expressGbSeconds: number };
  /** Lethe's functions run on Arm (ARM64): priced at the Arm rates. */
  readonly lambda: { readonly requests: number; readonly gbSeconds: number };
  readonly dynamodb: { readonly readRequestUnits: number; readonly writeRequestUnits: number; readonly streamReadRequests?: number };
  /** Tier 1: PUT, COPY, POST, LIST. Tier 2: GET and all others except DELETE, which is free. */
  readonly s3: { readonly tier1Requests: number; readonly tier2Requests: number };
  readonly kms: { readonly requests: number };
  /** REST API requests. */
  readonly apiGateway: { readonly requests: number };
  readonly logs: { readonly ingestedBytes: number };
  readonly scheduler?: { readonly invocations: number };
  /** Custom events put on an event bus. */
  readonly eventBridge?: { readonly customEvents: number };
}

export interface Cost {
  readonly totalUSD: number;
  /** USD per service; every entry of `SERVICES` is present. */
  readonly byService: Readonly<Record<string, number>>;
}

export const ZERO_USAGE: Usage = {
  stepFunctions: { standardTransitions: 0, expressRequests: 0, expressGbSeconds: 0 },
  lambda: { requests: 0, gbSeconds: 0 },
  dynamodb: { readRequestUnits: 0, writeRequestUnits: 0 },
  s3: { tier1Requests: 0, tier2Requests: 0 },
  kms: { requests: 0 },
  apiGateway: { requests: 0 },
  logs: { ingestedBytes: 0 },
};

/**
 * Reads and validates a price file. Throws `FileError` when it cannot be read and `DocumentError` listing
 * every bad field as `file:line:column: path: message` otherwise.
 */
export function loadPrices(file: string = DEFAULT_PRICES_FILE): Prices {
  const source = readSourceFile(file, 'price file');
  const parsed = PriceFile.safeParse(source.data, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issues: Issue[] = schemaIssues(parsed.error.issues, source.data).map((raw) => {
    const position = source.locate(raw.path, { key: raw.atKey });
    return { file: source.file, line: position?.line, column: position?.column, path: formatPath(raw.path), message: raw.message };
  });
  throw new DocumentError('price file', issues);
}

/** The price of one unit, in USD. */
export function unitPrice(prices: Prices, key: PriceKey): number {
  const price = prices.prices[key];
  return price.usd / price.per;
}

/** The cost of `usage` at `prices`, in USD, without free tiers. Throws `InputError` on a negative or non-finite count. */
export function costOf(usage: Usage, prices: Prices): Cost {
  const u = validUsage(usage, 'usage');
  const at = (key: PriceKey, quantity: number): number => quantity * unitPrice(prices, key);
  const byService: Record<Service, number> = {
    stepFunctions:
      at('stepFunctions.standardTransition', u.stepFunctions.standardTransitions) +
      at('stepFunctions.expressRequest', u.stepFunctions.expressRequests) +
      at('stepFunctions.expressGbSecond', u.stepFunctions.expressGbSeconds),
    lambda: at('lambda.arm.request', u.lambda.requests) + at('lambda.arm.gbSecond', u.lambda.gbSeconds),
    dynamodb:
      at('dynamodb.readRequestUnit', u.dynamodb.readRequestUnits) +
      at('dynamodb.writeRequestUnit', u.dynamodb.writeRequestUnits) +
      at('dynamodb.streamReadRequestUnit', u.dynamodb.streamReadRequests ?? 0),
    s3: at('s3.tier1Request', u.s3.tier1Requests) + at('s3.tier2Request', u.s3.tier2Requests),
    kms: at('kms.request', u.kms.requests),
    apiGateway: at('apiGateway.restRequest', u.apiGateway.requests),
    logs: at('logs.ingestedGb', u.logs.ingestedBytes / BYTES_PER_GB),
    scheduler: at('scheduler.invocation', u.scheduler?.invocations ?? 0),
    eventBridge: at('eventBridge.customEvent', u.eventBridge?.customEvents ?? 0),
  };
  const totalUSD = SERVICES.reduce((sum, service) => sum + byService[service], 0);
  return { totalUSD, byService };
}

/** The sum of two usages. An optional part is present when either side has it. */
export function addUsage(a: Usage, b: Usage): Usage {
  return combine(validUsage(a, 'a'), validUsage(b, 'b'), (x, y) => x + y);
}

/** `u` with every count multiplied by `factor` (e.g. per run → per million holdings). */
export function scaleUsage(u: Usage, factor: number): Usage {
  if (!Number.isFinite(factor) || factor < 0) throw new InputError(`must be a finite number >= 0; got ${factor}`, { path: 'factor' });
  const valid = validUsage(u, 'usage');
  return combine(valid, valid, (x) => x * factor);
}

/** Billed GB-seconds of one Lambda invocation: duration rounded up to 1 ms, at the configured memory. */
export function lambdaBilledGbSeconds(durationMs: number, memoryMb: number): number {
  checkDuration(durationMs, memoryMb);
  return (Math.ceil(durationMs) / 1000) * (memoryMb / 1024);
}

/** Billed GB-seconds of one Express execution: duration rounded up to 100 ms, memory up to 64 MB chunks. */
export function expressBilledGbSeconds(durationMs: number, memoryMb: number): number {
  checkDuration(durationMs, memoryMb);
  return (Math.ceil(durationMs / 100) / 10) * ((Math.ceil(memoryMb / 64) * 64) / 1024);
}

function checkDuration(durationMs: number, memoryMb: number): void {
  if (!Number.isFinite(durationMs) || durationMs < 0)
    throw new InputError(`must be a finite number >= 0; got ${durationMs}`, { path: 'durationMs' });
  if (!Number.isFinite(memoryMb) || memoryMb <= 0)
    throw new InputError(`must be a finite number > 0; got ${memoryMb}`, { path: 'memoryMb' });
}

function validUsage(usage: Usage, name: string): Usage {
  const parsed = UsageSchema.safeParse(usage, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = schemaIssues(parsed.error.issues, usage).map((raw) => `${formatPath([name, ...raw.path])}: ${raw.message}`);
  throw new InputError(`usage is invalid: ${problems.join('; ')}`);
}

function combine(a: Usage, b: Usage, op: (x: number, y: number) => number): Usage {
  const optional = <T>(x: T | undefined, y: T | undefined, zero: T): [T, T] | undefined =>
    x === undefined && y === undefined ? undefined : [x ?? zero, y ?? zero];
  const scheduler = optional(a.scheduler, b.scheduler, { invocations: 0 });
  const eventBridge = optional(a.eventBridge, b.eventBridge, { customEvents: 0 });
  const streams = optional(a.dynamodb.streamReadRequests, b.dynamodb.streamReadRequests, 0);
  return {
    stepFunctions: {
      standardTransitions: op(a.stepFunctions.standardTransitions, b.stepFunctions.standardTransitions),
      expressRequests: op(a.stepFunctions.expressRequests, b.stepFunctions.expressRequests),
      expressGbSeconds: op(a.stepFunctions.expressGbSeconds, b.stepFunctions.expressGbSeconds),
    },
    lambda: { requests: op(a.lambda.requests, b.lambda.requests), gbSeconds: op(a.lambda.gbSeconds, b.lambda.gbSeconds) },
    dynamodb: {
      readRequestUnits: op(a.dynamodb.readRequestUnits, b.dynamodb.readRequestUnits),
      writeRequestUnits: op(a.dynamodb.writeRequestUnits, b.dynamodb.writeRequestUnits),
      ...(streams && { streamReadRequests: op(...streams) }),
    },
    s3: { tier1Requests: op(a.s3.tier1Requests, b.s3.tier1Requests), tier2Requests: op(a.s3.tier2Requests, b.s3.tier2Requests) },
    kms: { requests: op(a.kms.requests, b.kms.requests) },
    apiGateway: { requests: op(a.apiGateway.requests, b.apiGateway.requests) },
    logs: { ingestedBytes: op(a.logs.ingestedBytes, b.logs.ingestedBytes) },
    ...(scheduler && { scheduler: { invocations: op(scheduler[0].invocations, scheduler[1].invocations) } }),
    ...(eventBridge && { eventBridge: { customEvents: op(eventBridge[0].customEvents, eventBridge[1].customEvents) } }),
  };
}
