/**
 * The p50 latency of one round trip per service class, in eu-north-1, each with its source and the date it was
 * read (`latency-eu-north-1.json`, like the prices file). A figure nobody published is `null`, never invented.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DocumentError, type Issue } from '../core/errors';
import { schemaIssues } from '../policy/schema-issues';
import { formatPath, readSourceFile } from '../policy/source';

export const DEFAULT_LATENCY_FILE = join(__dirname, 'latency-eu-north-1.json');

/** The round-trip classes of the critical path. */
export const LATENCY_CLASSES = [
  'dynamodb',
  's3',
  'kms',
  'lambdaInvoke',
  'stepFunctionsTransition',
  'stepFunctionsApi',
  'secretsManager',
] as const;

export type LatencyClass = (typeof LATENCY_CLASSES)[number];

const Latency = z.strictObject({
  /** The p50 (or its documented stand-in), or null when no published figure was found. */
  value: z.number().positive().nullable(),
  unit: z.literal('ms'),
  what: z.string().min(1),
  source: z.string().min(1),
  date: z.iso.date(),
  status: z.string().regex(/^(confirmed|bound: \S.*|unsourced: \S.*)$/, 'must be "confirmed", "bound: <how>" or "unsourced: <why>"'),
});

const LatencyFile = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region code such as eu-north-1'),
    read: z.iso.date(),
    latencies: z.strictObject(Object.fromEntries(LATENCY_CLASSES.map((c) => [c, Latency])) as Record<LatencyClass, typeof Latency>),
    notes: z.array(z.string().min(1)),
  })
  .superRefine((file, ctx) => {
    for (const [name, entry] of Object.entries(file.latencies)) {
      if ((entry.value === null) !== entry.status.startsWith('unsourced:'))
        ctx.addIssue({
          code: 'custom',
          path: ['latencies', name, 'status'],
          message: 'a null value must be "unsourced: <why>", and only a null value may be',
        });
    }
  });

export type Latencies = z.infer<typeof LatencyFile>;

/** Reads and validates a latency file: `DocumentError` listing every bad field otherwise. */
export function loadLatencies(file: string = DEFAULT_LATENCY_FILE): Latencies {
  const source = readSourceFile(file, 'latency file');
  const parsed = LatencyFile.safeParse(source.data, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issues: Issue[] = schemaIssues(parsed.error.issues, source.data).map((raw) => {
    const position = source.locate(raw.path, { key: raw.atKey });
    return { file: source.file, line: position?.line, column: position?.column, path: formatPath(raw.path), message: raw.message };
  });
  throw new DocumentError('latency file', issues);
}
