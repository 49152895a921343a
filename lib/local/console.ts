/**
 * What `npm start` prints: the banner with the endpoints and the token, curl lines to try, and each function log
 * line shortened to one readable line (the full JSON lines are in the log file).
 */
import { randomUUID } from 'node:crypto';
import type { DemoSubject } from './demo';

export interface BannerInput {
  readonly apiUrl: string;
  readonly token: string;
  readonly tokenFile: string;
  readonly policyFile: string;
  readonly controller: string;
  readonly purposes: number;
  readonly systems: Readonly<Record<string, string>>;
  readonly dataDir: string;
  readonly persist: boolean;
  readonly logFile: string;
  readonly endpoints: Readonly<Record<string, string>>;
  readonly startedInMs: number;
  readonly demo?: {
    readonly subjects: readonly DemoSubject[];
    readonly seeded: boolean;
    /** An event type of the policy, for the events example. */
    readonly eventType?: string;
    /** A purpose and one of its systems, for the holdings example. */
    readonly holding?: { readonly purpose: string; readonly system: string };
  };
  readonly sweepEveryMs: number | false;
  /** Held http systems and the receiver they are on: the banner prints how to extend a request and release them. */
  readonly hold?: { readonly receiverUrl: string; readonly systems: readonly string[] };
  /** The audit bucket and the S3 endpoint it is on: the banner prints the `lethe audit verify` command for it. */
  readonly audit?: AuditVerifyTarget;
  /** The DPO console's address (docs/console.md). */
  readonly console?: string;
}

/** Where local mode's audit chain is: its bucket on s3rver and, to check the chain's end, the audit-chain table's head. */
export interface AuditVerifyTarget {
  readonly bucket: string;
  readonly s3Endpoint: string;
  /** The audit-chain table in DynamoDB Local, on `dynamodbEndpoint`. @default - none: the chain alone is checked */
  readonly chain?: { readonly table: string; readonly dynamodbEndpoint: string };
}

/** The command that verifies local mode's audit chain, exactly as a user types it. */
export function auditVerifyCommand(audit: AuditVerifyTarget): string {
  const chain = audit.chain ? ` --chain-table ${audit.chain.table} --dynamodb-endpoint-url ${audit.chain.dynamodbEndpoint}` : '';
  return `npx lethe audit verify --bucket ${audit.bucket} --endpoint-url ${audit.s3Endpoint}${chain}`;
}

const shell = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The curl lines to try, with the token in them; the erasure request with an Idempotency-Key of its own. */
export function curlLines(input: Pick<BannerInput, 'apiUrl' | 'token' | 'demo'>): string[] {
  const auth = `-H ${shell(`Authorization: Bearer ${input.token}`)}`;
  const json = `-H 'Content-Type: application/json'`;
  const subject = input.demo?.subjects.find((s) => s.kind === 'active');
  const subjectId = subject?.subjectId ?? 'customer-1';
  const body = {
    subjectId,
    ...(subject ? { identifiers: { email: subject.email } } : {}),
    verification: { method: 'e-mail link', verifiedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
  const lines = [
    '# Ask Lethe to erase a subject everywhere (202, with a requestId; sent again with the same key, the same request):',
    `curl -s ${auth} ${json} -H ${shell(`Idempotency-Key: ${randomUUID()}`)} -X POST ${input.apiUrl}/erasure-requests -d ${shell(JSON.stringify(body))}`,
    '# See how it went (replace REQUEST_ID with the requestId from the answer):',
    `curl -s ${auth} ${input.apiUrl}/erasure-requests/REQUEST_ID`,
    '# Register a holding: data of a subject collected for a purpose in a system (201):',
  ];
  const holding = input.demo?.holding;
  if (holding) {
    lines.push(
      `curl -s ${auth} ${json} -X POST ${input.apiUrl}/subjects/customer-3/holdings -d ${shell(
        JSON.stringify({ ...holding, collectedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }),
      )}`,
    );
  }
  if (input.demo?.eventType) {
    lines.push(
      '# Report an event that starts a retention clock (201):',
      `curl -s ${auth} ${json} -X POST ${input.apiUrl}/subjects/customer-10/events -d ${shell(
        JSON.stringify({ type: input.demo.eventType, at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }),
      )}`,
    );
  }
  return lines;
}

/** How to extend a request while a system is held, and release the system (docs/local-mode.md). */
export function holdLines(input: Pick<BannerInput, 'apiUrl' | 'token'> & { readonly hold: NonNullable<BannerInput['hold']> }): string[] {
  const auth = `-H ${shell(`Authorization: Bearer ${input.token}`)}`;
  const systems = input.hold.systems.join(', ');
  return [
    `# Held: ${systems} (its webhook answers 503 until released; a request that reaches it retries, then stays open as failed).`,
    "# Extend that request's deadline (200 while it is open; once per request, by 1 or 2 months):",
    `curl -s ${auth} -H 'Content-Type: application/json' -X POST ${input.apiUrl}/erasure-requests/REQUEST_ID/extend -d ${shell(
      JSON.stringify({ months: 2, reason: 'The request is complex: a system needs more time.' }),
    )}`,
    '# Release the system: its failed requests are redriven and complete:',
    ...input.hold.systems.map((id) => `curl -s -X POST ${input.hold.receiverUrl}/systems/${encodeURIComponent(id)}/release`),
  ];
}

export function banner(input: BannerInput): string[] {
  const lines = [
    '',
    `Lethe local mode is running (started in ${(input.startedInMs / 1000).toFixed(1)} s), on 127.0.0.1 only.`,
    '',
    `  policy      ${input.policyFile} (${input.controller}: ${input.purposes} purposes, ${Object.keys(input.systems).length} systems)`,
    ...(input.console ? [`  console     ${input.console}   (the DPO console: open it in a browser)`] : []),
    `  API         ${input.apiUrl}`,
    `  token       ${input.token}   (also in ${input.tokenFile})`,
    `  data        ${input.dataDir}${input.persist ? ' (kept across restarts)' : ' (tables in memory; gone at stop)'}`,
    `  logs        ${input.logFile}`,
    ...Object.entries(input.endpoints).map(([k, v]) => `  ${k.padEnd(11)} ${v}`),
    `  sweeps      ${input.sweepEveryMs === false ? 'off (run them with the API of lib/local)' : `every purpose, every ${Math.round(input.sweepEveryMs / 1000)} s`}`,
    '',
    'Systems:',
    ...Object.entries(input.systems).map(([id, what]) => `  ${id.padEnd(22)} ${what}`),
  ];
  if (input.demo) {
    lines.push(
      '',
      input.demo.seeded ? 'Demo subjects (their holdings are registered in the ledger):' : 'Demo subjects (seeded in an earlier run):',
      ...input.demo.subjects.map(
        (s) =>
          `  ${s.subjectId.padEnd(12)} ${s.name}, ${s.email}${s.kind === 'former' ? '   former customer: part of their data is past retention and will be erased shortly' : ''}`,
      ),
    );
  }
  lines.push('', 'Try:', ...curlLines(input));
  if (input.hold && input.hold.systems.length > 0) lines.push(...holdLines({ ...input, hold: input.hold }));
  if (input.audit) {
    lines.push(
      `# Verify the audit trail's hash chain (bucket ${input.audit.bucket}${input.audit.chain ? `, its end against the head in ${input.audit.chain.table}` : ''}; exit 0 intact, 1 broken):`,
      auditVerifyCommand(input.audit),
    );
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  return lines;
}

/** Keys of a function's JSON log line worth showing on the console. */
const SHOWN = [
  'requestId',
  'sweepId',
  'purpose',
  'system',
  'status',
  // A refused API request: its error code and the field it names (lib/runtime/http.ts logs no value).
  'code',
  'path',
  'outcome',
  'subjects',
  'count',
  'error',
  'itemsRead',
  'batches',
  'holdingsDone',
  'holdingsFailed',
  'holdingsQuarantined',
  'subjectsNotDone',
  'failedSweeps',
];

/**
 * One console line for a function's log line, or undefined to skip it (metrics, debug). Only ids, statuses and
 * counts are shown, never the whole line.
 */
export function formatLogLine(functionName: string, line: string): string | undefined {
  const name = functionName.replace(/^lethe-local-/, '');
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    // Powertools' reminder when an invocation published no metric is not news on a console.
    if (!line.trim() || line.startsWith('No application metrics to publish')) return undefined;
    return `  [${name}] ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`;
  }
  if (!entry || typeof entry !== 'object' || '_aws' in entry) return undefined;
  const level = typeof entry.level === 'string' ? entry.level : '';
  if (level === 'DEBUG') return undefined;
  // An idle sweep reads empty pages every minute: not worth a line.
  if (entry.message === 'due page read' && entry.itemsRead === 0) return undefined;
  const details = SHOWN.filter((k) => entry[k] !== undefined && typeof entry[k] !== 'object').map((k) => `${k}=${String(entry[k])}`);
  return `  [${name}] ${level ? `${level} ` : ''}${typeof entry.message === 'string' ? entry.message : ''}${details.length ? ` (${details.join(', ')})` : ''}`;
}
