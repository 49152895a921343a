import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addUsage,
  BYTES_PER_GB,
  costOf,
  DEFAULT_PRICES_FILE,
  expressBilledGbSeconds,
  lambdaBilledGbSeconds,
  loadPrices,
  PRICE_KEYS,
  type PriceKey,
  type Prices,
  scaleUsage,
  SERVICES,
  unitPrice,
  type Usage,
  ZERO_USAGE,
} from '../../../lib/bench/cost-model';
import { DocumentError, FileError, InputError } from '../../../lib/core/errors';

/** Round prices, a different one per key, so that every expected cost below can be worked out by hand. */
const ROUND: Record<PriceKey, { usd: number; per: number }> = {
  'stepFunctions.standardTransition': { usd: 25, per: 1000 }, // 0.025 each
  'stepFunctions.expressRequest': { usd: 1, per: 1_000_000 },
  'stepFunctions.expressGbSecond': { usd: 36, per: 3600 }, // 0.01 each
  'lambda.arm.request': { usd: 2, per: 1_000_000 },
  'lambda.arm.gbSecond': { usd: 1, per: 100 }, // 0.01 each
  'lambda.x86.request': { usd: 1000, per: 1 }, // poison: Lethe runs on Arm, x86 must never be charged
  'lambda.x86.gbSecond': { usd: 1000, per: 1 },
  'dynamodb.readRequestUnit': { usd: 1, per: 1_000_000 },
  'dynamodb.writeRequestUnit': { usd: 5, per: 1_000_000 },
  'dynamodb.streamReadRequestUnit': { usd: 2, per: 100_000 },
  's3.tier1Request': { usd: 5, per: 1000 },
  's3.tier2Request': { usd: 4, per: 10_000 },
  'kms.request': { usd: 3, per: 10_000 },
  'apiGateway.restRequest': { usd: 3.5, per: 1_000_000 },
  'logs.ingestedGb': { usd: 0.5, per: 1 },
  'scheduler.invocation': { usd: 1, per: 1_000_000 },
  'eventBridge.customEvent': { usd: 2, per: 1_000_000 },
};

const shipped = loadPrices();

function roundPrices(): Prices {
  const prices = Object.fromEntries(PRICE_KEYS.map((key) => [key, { ...shipped.prices[key], ...ROUND[key] }]));
  return { ...shipped, prices: prices as Prices['prices'] };
}

function usage(parts: Partial<{ [K in keyof Usage]: Usage[K] }>): Usage {
  return { ...ZERO_USAGE, ...parts };
}

function zeros(overrides: Readonly<Record<string, number>> = {}): Record<string, number> {
  return { ...Object.fromEntries(SERVICES.map((s) => [s, 0])), ...overrides };
}

describe('the shipped eu-north-1 price file', () => {
  it('is read, dated and complete', () => {
    // GIVEN the price file shipped in lib/bench/
    // WHEN it is loaded with the default path
    // THEN it is for eu-north-1 in USD, read on 2026-11-22, with exactly the prices the model needs
    expect(shipped.region).toBe('eu-north-1');
    expect(shipped.currency).toBe('USD');
    expect(shipped.read).toBe('2026-11-22');
    expect(Object.keys(shipped.prices).sort()).toEqual([...PRICE_KEYS].sort());
    expect(shipped.notes.some((n) => /free tiers? .*not applied/i.test(n))).toBe(true);
  });

  it.each<{ key: PriceKey; unit: number }>([
    // The eu-north-1 values that were seen in a source: Step Functions' Stockholm row, Lambda's metered-unit map.
    { key: 'stepFunctions.standardTransition', unit: 0.000025 },
    { key: 'lambda.arm.request', unit: 0.0000002 },
    { key: 'lambda.arm.gbSecond', unit: 0.0000133334 },
    { key: 'lambda.x86.request', unit: 0.0000002 },
    { key: 'lambda.x86.gbSecond', unit: 0.0000166667 },
  ])('$key is confirmed for eu-north-1 at $unit USD a unit', ({ key, unit }) => {
    // GIVEN the shipped file WHEN the price is read THEN it is the confirmed eu-north-1 value
    expect(shipped.prices[key].status).toBe('confirmed');
    expect(unitPrice(shipped, key)).toBeCloseTo(unit, 15);
  });

  it('says why each price that is not confirmed stands in for the eu-north-1 one', () => {
    // GIVEN every price of the shipped file
    const assumed = PRICE_KEYS.filter((key) => shipped.prices[key].status !== 'confirmed');
    // THEN each unconfirmed one is "assumed: <why>", with a reason of some length, and a source
    expect(assumed.length).toBeGreaterThan(0);
    for (const key of assumed) {
      expect(shipped.prices[key].status).toMatch(/^assumed: .{20,}/);
      expect(shipped.prices[key].source.length).toBeGreaterThan(10);
    }
  });

  it.each<{ name: string; usage: Usage; service: string; usd: number }>([
    {
      name: '1,000 Standard transitions',
      usage: usage({ stepFunctions: { standardTransitions: 1000, expressRequests: 0, expressGbSeconds: 0 } }),
      service: 'stepFunctions',
      usd: 0.025,
    },
    // 1M × 0.0000002 + 400,000 × 0.0000133334 = 0.2 + 5.33336
    {
      name: '1M Arm requests and 400,000 GB-seconds',
      usage: usage({ lambda: { requests: 1_000_000, gbSeconds: 400_000 } }),
      service: 'lambda',
      usd: 5.53336,
    },
  ])('prices $name at the eu-north-1 rate', ({ usage: u, service, usd }) => {
    // GIVEN the shipped prices WHEN the usage is costed THEN the cost is the hand-computed one
    const cost = costOf(u, shipped);
    expect(cost.byService[service]).toBeCloseTo(usd, 10);
    expect(cost.totalUSD).toBeCloseTo(usd, 10);
  });
});

describe('costOf', () => {
  const prices = roundPrices();

  const rows: { name: string; usage: Usage; byService: Record<string, number> }[] = [
    { name: 'nothing costs nothing', usage: ZERO_USAGE, byService: zeros() },
    {
      name: 'Standard transitions: 12 × 0.025',
      usage: usage({ stepFunctions: { standardTransitions: 12, expressRequests: 0, expressGbSeconds: 0 } }),
      byService: zeros({ stepFunctions: 0.3 }),
    },
    {
      name: 'Express: 1M requests × 0.000001 + 3,600 GB-s × 0.01',
      usage: usage({ stepFunctions: { standardTransitions: 0, expressRequests: 1_000_000, expressGbSeconds: 3600 } }),
      byService: zeros({ stepFunctions: 37 }),
    },
    {
      name: 'Lambda at the Arm rates, never x86: 1M × 0.000002 + 250 GB-s × 0.01',
      usage: usage({ lambda: { requests: 1_000_000, gbSeconds: 250 } }),
      byService: zeros({ lambda: 4.5 }),
    },
    {
      name: 'DynamoDB with stream reads: 2M RRU + 1M WRU × 0.000005 + 100,000 × 0.00002',
      usage: usage({ dynamodb: { readRequestUnits: 2_000_000, writeRequestUnits: 1_000_000, streamReadRequests: 100_000 } }),
      byService: zeros({ dynamodb: 9 }),
    },
    {
      name: 'DynamoDB without stream reads',
      usage: usage({ dynamodb: { readRequestUnits: 1_000_000, writeRequestUnits: 0 } }),
      byService: zeros({ dynamodb: 1 }),
    },
    {
      name: 'S3: 1,000 tier-1 × 0.005 + 10,000 tier-2 × 0.0004',
      usage: usage({ s3: { tier1Requests: 1000, tier2Requests: 10_000 } }),
      byService: zeros({ s3: 9 }),
    },
    { name: 'KMS: 20,000 × 0.0003', usage: usage({ kms: { requests: 20_000 } }), byService: zeros({ kms: 6 }) },
    { name: 'API Gateway: 2M × 0.0000035', usage: usage({ apiGateway: { requests: 2_000_000 } }), byService: zeros({ apiGateway: 7 }) },
    { name: 'Logs: 3 GiB × 0.5', usage: usage({ logs: { ingestedBytes: 3 * 1024 ** 3 } }), byService: zeros({ logs: 1.5 }) },
    {
      name: 'Logs: 10^9 bytes is 0.931 GB of 2^30 bytes, × 0.5',
      usage: usage({ logs: { ingestedBytes: 1e9 } }),
      byService: zeros({ logs: 0.4656612873077393 }),
    },
    { name: 'Scheduler: 3M × 0.000001', usage: usage({ scheduler: { invocations: 3_000_000 } }), byService: zeros({ scheduler: 3 }) },
    {
      name: 'EventBridge: 500,000 × 0.000002',
      usage: usage({ eventBridge: { customEvents: 500_000 } }),
      byService: zeros({ eventBridge: 1 }),
    },
    {
      name: 'everything at once adds up per service',
      usage: {
        stepFunctions: { standardTransitions: 12, expressRequests: 1_000_000, expressGbSeconds: 3600 },
        lambda: { requests: 1_000_000, gbSeconds: 250 },
        dynamodb: { readRequestUnits: 2_000_000, writeRequestUnits: 1_000_000, streamReadRequests: 100_000 },
        s3: { tier1Requests: 1000, tier2Requests: 10_000 },
        kms: { requests: 20_000 },
        apiGateway: { requests: 2_000_000 },
        logs: { ingestedBytes: 3 * 1024 ** 3 },
        scheduler: { invocations: 3_000_000 },
        eventBridge: { customEvents: 500_000 },
      },
      byService: { stepFunctions: 37.3, lambda: 4.5, dynamodb: 9, s3: 9, kms: 6, apiGateway: 7, logs: 1.5, scheduler: 3, eventBridge: 1 },
    },
  ];

  it('counts a GB as 2^30 bytes, as AWS bills', () => {
    expect(BYTES_PER_GB).toBe(1_073_741_824);
  });

  it.each(rows)('$name', ({ usage: u, byService }) => {
    // GIVEN round prices WHEN the usage is costed
    const cost = costOf(u, prices);
    // THEN each service costs the hand-computed amount and the total is their sum
    expect(Object.keys(cost.byService).sort()).toEqual([...SERVICES].sort());
    for (const service of SERVICES) expect(cost.byService[service]).toBeCloseTo(byService[service], 10);
    const total = Object.values(byService).reduce((a, b) => a + b, 0);
    expect(cost.totalUSD).toBeCloseTo(total, 10);
  });

  it.each<{ name: string; usage: unknown; message: RegExp }>([
    {
      name: 'a negative count',
      usage: usage({ kms: { requests: -1 } }),
      message: /^usage is invalid: usage\.kms\.requests: Too small: expected number to be >=0; got -1$/,
    },
    { name: 'NaN', usage: usage({ lambda: { requests: 1, gbSeconds: Number.NaN } }), message: /usage\.lambda\.gbSeconds: .*NaN/ },
    {
      name: 'Infinity',
      usage: usage({ s3: { tier1Requests: Number.POSITIVE_INFINITY, tier2Requests: 0 } }),
      message: /usage\.s3\.tier1Requests/,
    },
    {
      name: 'a misspelt count',
      usage: usage({ apiGateway: { requests: 1, reqs: 2 } as never }),
      message: /usage\.apiGateway\.reqs: unknown key "reqs"/,
    },
    { name: 'a missing service', usage: { ...ZERO_USAGE, logs: undefined }, message: /usage\.logs: missing/ },
  ])('refuses $name, naming the field', ({ usage: u, message }) => {
    // GIVEN a usage with a bad count WHEN it is costed THEN an InputError names the field
    const attempt = (): unknown => costOf(u as Usage, prices);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });
});

describe('addUsage and scaleUsage', () => {
  const a: Usage = {
    stepFunctions: { standardTransitions: 10, expressRequests: 2, expressGbSeconds: 0.5 },
    lambda: { requests: 3, gbSeconds: 1.25 },
    dynamodb: { readRequestUnits: 4, writeRequestUnits: 5 },
    s3: { tier1Requests: 6, tier2Requests: 7 },
    kms: { requests: 8 },
    apiGateway: { requests: 9 },
    logs: { ingestedBytes: 100 },
  };
  const b: Usage = {
    ...a,
    dynamodb: { readRequestUnits: 1, writeRequestUnits: 1, streamReadRequests: 2 },
    scheduler: { invocations: 1 },
  };

  it.each<{ name: string; sum: () => Usage; expected: Usage }>([
    { name: 'ZERO_USAGE is the identity', sum: () => addUsage(ZERO_USAGE, b), expected: b },
    { name: 'optional parts absent on both sides stay absent', sum: () => addUsage(a, ZERO_USAGE), expected: a },
    {
      name: 'counts add field by field; an optional part on one side is kept',
      sum: () => addUsage(a, b),
      expected: {
        stepFunctions: { standardTransitions: 20, expressRequests: 4, expressGbSeconds: 1 },
        lambda: { requests: 6, gbSeconds: 2.5 },
        dynamodb: { readRequestUnits: 5, writeRequestUnits: 6, streamReadRequests: 2 },
        s3: { tier1Requests: 12, tier2Requests: 14 },
        kms: { requests: 16 },
        apiGateway: { requests: 18 },
        logs: { ingestedBytes: 200 },
        scheduler: { invocations: 1 },
      },
    },
    { name: 'scaling by 2 is adding to itself', sum: () => scaleUsage(b, 2), expected: addUsage(b, b) },
    {
      name: 'scaling by 0 gives zeros, keeping the optional parts',
      sum: () => scaleUsage(b, 0),
      expected: {
        ...ZERO_USAGE,
        dynamodb: { readRequestUnits: 0, writeRequestUnits: 0, streamReadRequests: 0 },
        scheduler: { invocations: 0 },
      },
    },
  ])('$name', ({ sum, expected }) => {
    // GIVEN two usages WHEN combined THEN the result is the hand-computed usage, with no extra keys
    expect(sum()).toStrictEqual(expected);
  });

  it('scales cost linearly: 1,000 × one run costs 1,000 × the run', () => {
    // GIVEN a run's usage and the shipped prices
    const one = costOf(b, shipped).totalUSD;
    // WHEN the usage is scaled by 1,000 THEN its cost is 1,000 times the run's
    expect(costOf(scaleUsage(b, 1000), shipped).totalUSD).toBeCloseTo(1000 * one, 12);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the factor %p', (factor) => {
    // GIVEN a bad factor WHEN scaling THEN an InputError names it
    expect(() => scaleUsage(a, factor)).toThrow(InputError);
    expect(() => scaleUsage(a, factor)).toThrow(/^factor: must be a finite number >= 0/);
  });

  it('refuses to add a usage with a negative count, naming which side', () => {
    // GIVEN a second usage with a negative count WHEN added THEN the error names b's field
    const bad = usage({ kms: { requests: -3 } });
    expect(() => addUsage(a, bad)).toThrow(/b\.kms\.requests: Too small/);
  });
});

describe('billed GB-seconds', () => {
  it.each<{ name: string; f: typeof lambdaBilledGbSeconds; durationMs: number; memoryMb: number; gbSeconds: number }>([
    // Express: duration rounded up to 100 ms, memory up to a multiple of 64 MB; 1 GB = 1,024 MB.
    {
      name: 'Express 250 ms at 50 MB bills 0.3 s × 64 MB',
      f: expressBilledGbSeconds,
      durationMs: 250,
      memoryMb: 50,
      gbSeconds: 0.3 * 0.0625,
    },
    { name: 'Express 100 ms at 64 MB is not rounded', f: expressBilledGbSeconds, durationMs: 100, memoryMb: 64, gbSeconds: 0.1 * 0.0625 },
    {
      name: 'Express 101 ms at 65 MB bills 0.2 s × 128 MB',
      f: expressBilledGbSeconds,
      durationMs: 101,
      memoryMb: 65,
      gbSeconds: 0.2 * 0.125,
    },
    { name: 'Express 60 s at 128 MB', f: expressBilledGbSeconds, durationMs: 60_000, memoryMb: 128, gbSeconds: 7.5 },
    { name: 'Express 0 ms bills nothing', f: expressBilledGbSeconds, durationMs: 0, memoryMb: 64, gbSeconds: 0 },
    // Lambda: duration rounded up to 1 ms, at the configured memory.
    { name: 'Lambda 1.2 ms at 128 MB bills 2 ms', f: lambdaBilledGbSeconds, durationMs: 1.2, memoryMb: 128, gbSeconds: 0.002 * 0.125 },
    { name: 'Lambda 1 s at 1,024 MB is 1 GB-s', f: lambdaBilledGbSeconds, durationMs: 1000, memoryMb: 1024, gbSeconds: 1 },
    { name: 'Lambda 200 ms at 1,769 MB', f: lambdaBilledGbSeconds, durationMs: 200, memoryMb: 1769, gbSeconds: 0.3455078125 },
  ])('$name', ({ f, durationMs, memoryMb, gbSeconds }) => {
    // GIVEN a duration and memory WHEN billed THEN the GB-seconds follow AWS's rounding
    expect(f(durationMs, memoryMb)).toBeCloseTo(gbSeconds, 12);
  });

  it.each<{ durationMs: number; memoryMb: number; message: RegExp }>([
    { durationMs: -1, memoryMb: 128, message: /^durationMs: must be a finite number >= 0; got -1$/ },
    { durationMs: Number.NaN, memoryMb: 128, message: /^durationMs: / },
    { durationMs: 10, memoryMb: 0, message: /^memoryMb: must be a finite number > 0; got 0$/ },
  ])('refuses $durationMs ms at $memoryMb MB', ({ durationMs, memoryMb, message }) => {
    for (const f of [lambdaBilledGbSeconds, expressBilledGbSeconds]) {
      expect(() => f(durationMs, memoryMb)).toThrow(InputError);
      expect(() => f(durationMs, memoryMb)).toThrow(message);
    }
  });
});

describe('loadPrices with a bad price file', () => {
  let dir: string;
  const original = JSON.parse(readFileSync(DEFAULT_PRICES_FILE, 'utf8')) as Record<string, unknown> & {
    prices: Record<string, Record<string, unknown>>;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lethe-prices-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function writeVariant(name: string, change: (doc: typeof original) => void): string {
    const doc = structuredClone(original);
    change(doc);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(doc, null, 2));
    return file;
  }

  it.each<{ name: string; change: (doc: typeof original) => void; message: RegExp }>([
    {
      name: 'a price given as a string',
      change: (d) => (d.prices['lambda.arm.gbSecond'].usd = '0.0000133334'),
      message: /a-price-given-as-a-string\.json:\d+:\d+: prices\["lambda\.arm\.gbSecond"\]\.usd: .*expected number, received string/,
    },
    { name: 'a missing price', change: (d) => delete d.prices['kms.request'], message: /prices\["kms\.request"\]: missing/ },
    {
      name: 'a misspelt price name',
      change: (d) => (d.prices['lambda.arm.gbsecond'] = d.prices['lambda.arm.gbSecond']),
      message: /prices\["lambda\.arm\.gbsecond"\]: unknown key "lambda\.arm\.gbsecond"/,
    },
    {
      name: 'a negative price',
      change: (d) => (d.prices['s3.tier1Request'].usd = -1),
      message: /prices\["s3\.tier1Request"\]\.usd: Too small.*got -1/,
    },
    {
      name: 'a zero quantity',
      change: (d) => (d.prices['s3.tier1Request'].per = 0),
      message: /prices\["s3\.tier1Request"\]\.per: Too small.*got 0/,
    },
    {
      name: 'a status that is neither confirmed nor assumed',
      change: (d) => (d.prices['kms.request'].status = 'guessed'),
      message: /prices\["kms\.request"\]\.status: must be "confirmed" or "assumed: <why>"; got "guessed"/,
    },
    {
      name: 'an assumption without a reason',
      change: (d) => (d.prices['kms.request'].status = 'assumed: '),
      message: /prices\["kms\.request"\]\.status/,
    },
    { name: 'another currency', change: (d) => (d.currency = 'EUR'), message: /currency: .*expected "USD"; got "EUR"/ },
    {
      name: 'a read date that is not a date',
      change: (d) => (d.read = '22/11/2026'),
      message: /read: Invalid ISO date; got "22\/11\/2026"/,
    },
    { name: 'a region name instead of a code', change: (d) => (d.region = 'Stockholm'), message: /region: must be an AWS region code/ },
  ])('refuses $name, naming the field and its line', ({ name, change, message }) => {
    // GIVEN a copy of the shipped file with one field broken
    const file = writeVariant(name.replace(/\W+/g, '-'), change);
    // WHEN it is loaded THEN a DocumentError names the file, line and field, and nothing else is wrong
    const attempt = (): unknown => loadPrices(file);
    expect(attempt).toThrow(DocumentError);
    expect(attempt).toThrow(/^price file is invalid \(1 error\):\n/);
    expect(attempt).toThrow(message);
  });

  it('refuses a file that is not JSON', () => {
    // GIVEN a truncated file WHEN it is loaded THEN the error says the JSON is malformed, with its position
    const file = join(dir, 'truncated.json');
    writeFileSync(file, '{"region": ');
    expect(() => loadPrices(file)).toThrow(DocumentError);
    expect(() => loadPrices(file)).toThrow(/truncated\.json:1:12: malformed JSON/);
  });

  it('refuses a file that does not exist', () => {
    // GIVEN no file WHEN it is loaded THEN a FileError names it
    const file = join(dir, 'absent.json');
    expect(() => loadPrices(file)).toThrow(FileError);
    expect(() => loadPrices(file)).toThrow(`${file}: no such file`);
  });

  it('accepts an unchanged copy, so the failures above are the broken field alone', () => {
    // GIVEN an untouched copy WHEN it is loaded THEN it equals the shipped prices
    expect(loadPrices(writeVariant('copy', () => undefined))).toEqual(shipped);
  });
});
