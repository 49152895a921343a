/**
 * `npm run bench`: Lethe's cost and speed over local mode (lib/bench, docs/benchmarks.md).
 *
 *   npm run bench                      100 000 holdings (1 % due), a table of the figures; progress on stderr
 *   npm run bench -- --json            one JSON object on stdout (the keys of docs/benchmarks.md)
 *   npm run bench -- --large           1 000 000 holdings
 *   npm run bench -- --series 10000,100000,1000000 --series-due 1000 --plot docs/benchmarks.svg
 *                                      discovery alone at each ledger size, and the plot
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { discoveryPlotSvg } from '../lib/bench/plot';
import { runBench, runDiscoverySeries } from '../lib/bench/run';
import { LetheError } from '../lib/core/errors';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function wholeNumber(what: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be a whole number >= ${min}, got "${text}"`);
    return n;
  };
}

function sizes(text: string): number[] {
  const list = text.split(',').map((t) => wholeNumber('each size', 100)(t.trim()));
  if (list.some((n, i) => i > 0 && n <= list[i - 1])) throw new InvalidArgumentError(`sizes must grow, got "${text}"`);
  return list;
}

interface CliOptions {
  readonly json: boolean;
  readonly large: boolean;
  readonly ledgerSize?: number;
  readonly repeat: number;
  readonly concurrent: number;
  readonly series?: number[];
  readonly seriesDue?: number;
  readonly plot?: string;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('bench')
    .description("Lethe's cost and speed, measured over local mode")
    .option('--json', 'print one JSON object on stdout', false)
    .option('--large', 'a ledger of 1 000 000 holdings instead of 100 000', false)
    .option('--ledger-size <n>', 'holdings in the ledger (1 % due)', wholeNumber('--ledger-size', 100))
    .option('--repeat <n>', 'repeats of each timed measurement (medians are reported)', wholeNumber('--repeat', 1), 3)
    .option('--concurrent <n>', 'erasure requests sent at once', wholeNumber('--concurrent', 1), 50)
    .option('--series <sizes>', 'only discovery, at these ledger sizes (comma-separated, growing)', sizes)
    .option(
      '--series-due <n>',
      'with --series: this many holdings due at every size (default: 1 % of each size)',
      wholeNumber('--series-due', 1),
    )
    .option('--plot <file.svg>', 'with --series: write the plot there')
    .showHelpAfterError();
  program.parse(argv, { from: 'user' });
  const options = program.opts<CliOptions>();
  const log = (line: string) => process.stderr.write(`${line}\n`);

  if (options.series) {
    const points = await runDiscoverySeries({ sizes: options.series, due: options.seriesDue, repeat: options.repeat, log });
    if (options.plot) {
      // the title says what was due as the points have it (lib/bench/plot.ts)
      writeFileSync(options.plot, `${await discoveryPlotSvg(points)}\n`);
      log(`plot written to ${options.plot}`);
    }
    process.stdout.write(`${JSON.stringify({ discovery: points }, null, options.json ? undefined : 2)}\n`);
    return 0;
  }
  if (options.plot) throw new InvalidArgumentError('--plot needs --series');
  if (options.seriesDue !== undefined) throw new InvalidArgumentError('--series-due needs --series');

  const report = await runBench({
    ledgerSize: options.ledgerSize ?? (options.large ? 1_000_000 : 100_000),
    repeat: options.repeat,
    concurrentRequests: options.concurrent,
    log,
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const rows: [string, number, string][] = [
    ['readAmplification', report.readAmplification, 'target <= 1.1'],
    ['scanReadAmplification', report.scanReadAmplification, 'the naive Scan, same ledger'],
    ['fanoutLocal', report.fanoutLocal, 'measured here; sequential would be 20'],
    ['fanoutModelledAws', report.fanoutModelledAws, 'target <= 2.2; AWS p50s (lib/bench/latency-eu-north-1.json)'],
    [
      'criticalPath.durableRoundTrips',
      report.criticalPath.durableRoundTrips,
      `target <= 12; one system: ${report.criticalPath.durableRoundTripsOneSystem}`,
    ],
    [
      'erasuresPerSecond',
      report.erasuresPerSecond,
      `overhead ${report.orchestrationOverhead.erasures.toFixed(2)}x vs connectors called directly`,
    ],
    [
      'holdingsSweptPerSecond',
      report.holdingsSweptPerSecond,
      `overhead ${report.orchestrationOverhead.sweep.toFixed(2)}x vs connectors called directly`,
    ],
    ['costPerThousandRequestsUSD', report.costPerThousandRequestsUSD, 'eu-north-1 list prices'],
    ['costPerMillionExpiredUSD.lethe', report.costPerMillionExpiredUSD.lethe, "Lethe's own; target <= $1"],
    ['costPerMillionExpiredUSD.endToEnd', report.costPerMillionExpiredUSD.endToEnd, "with the user's store; target <= $1.60"],
  ];
  for (const [name, value, note] of rows) process.stdout.write(`${name.padEnd(34)} ${value.toPrecision(4).padStart(10)}   ${note}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof LetheError || error instanceof InvalidArgumentError;
    const e = error as Error;
    process.stderr.write(`bench failed: ${known ? e.message : `${e.name}: ${e.message}`}\n`);
    process.exit(1);
  },
);
