/**
 * The contract between the stack (lib/stack), the state machines (statemachines/), the Lambda handlers
 * (lambdas/, lib/runtime) and local mode: names, keys and payloads that more than one of them relies on.
 * Change it only together with every side.
 *
 * Privacy rule that shapes everything here: a subject's id never appears in clear in a key, a log line, a
 * Step Functions payload or an audit record. It appears as `subjectRef`, a keyed HMAC-SHA-256 of the id; the
 * clear id and the locators/identifiers needed to find the data are stored only KMS-encrypted (`sealed`).
 */

/** Environment variables every Lethe function may read. */
export const ENV = {
  /** The policy document as JSON (baked into the bundle at synth time). */
  policyJson: 'LETHE_POLICY_JSON',
  /** Alternatively, a path to the policy file (local mode). */
  policyFile: 'LETHE_POLICY_FILE',
  /** JSON object purpose id → ledger table name. */
  ledgerTables: 'LETHE_LEDGER_TABLES',
  eventsTable: 'LETHE_EVENTS_TABLE',
  requestsTable: 'LETHE_REQUESTS_TABLE',
  idempotencyTable: 'LETHE_IDEMPOTENCY_TABLE',
  auditChainTable: 'LETHE_AUDIT_CHAIN_TABLE',
  auditBucket: 'LETHE_AUDIT_BUCKET',
  /** The exports bucket (access exports, lib/runtime/exports.ts; lifecycle deletes them after 30 days). */
  exportsBucket: 'LETHE_EXPORTS_BUCKET',
  /**
   * When the audit bucket has Object Lock: the mode each record is written with (COMPLIANCE or GOVERNANCE) and,
   * in `auditRetentionDays`, for how long. Unset: records are written without per-object retention (s3rver).
   */
  auditObjectLockMode: 'LETHE_AUDIT_OBJECT_LOCK_MODE',
  auditRetentionDays: 'LETHE_AUDIT_RETENTION_DAYS',
  /** Secrets Manager secret (name or ARN) holding the HMAC key for subjectRef and the `hmac` strategy. */
  hmacSecret: 'LETHE_HMAC_SECRET',
  /** KMS key id/ARN/alias used to seal subject ids, locators and identifiers. */
  sealingKey: 'LETHE_SEALING_KEY',
  erasureStateMachineArn: 'LETHE_ERASURE_STATE_MACHINE_ARN',
  /** JSON object system id → function name of the connector that serves it. */
  connectorFunctions: 'LETHE_CONNECTOR_FUNCTIONS',
  /** In a connector function: its system id, and its config (JSON). */
  connectorSystem: 'LETHE_SYSTEM',
  connectorConfig: 'LETHE_CONNECTOR_CONFIG',
  /** In deadline-monitor: an open request whose deadline is at most this many days away (or past) counts as near. */
  deadlineWarningDays: 'LETHE_DEADLINE_WARNING_DAYS',
  /** In sweep-apply: failed sweeps after which a holding is quarantined (default 3, lib/runtime/budgets.ts). */
  quarantineAfterFailedSweeps: 'LETHE_QUARANTINE_AFTER_FAILED_SWEEPS',
  /** In api: the KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) that signs receipts (lib/runtime/receipts.ts). */
  receiptKey: 'LETHE_RECEIPT_KEY',
  /** Local mode instead of receiptKey: the PEM file of the local receipt signing key (lib/core/receipt-signer.ts). */
  receiptKeyFile: 'LETHE_RECEIPT_KEY_FILE',
  /** The tombstones table (lib/runtime/tombstones.ts; issue 19, item 3): what replay after a restore applies again. */
  tombstonesTable: 'LETHE_TOMBSTONES_TABLE',
  /** The KMS key that wraps the tombstones' per-period data keys (a key of their own, not the sealing key's family). */
  tombstoneKey: 'LETHE_TOMBSTONE_KEY',
} as const;

/**
 * Tombstones (lib/runtime/tombstones.ts): pk the system id, sk the tombstone's id (a hash of what erased the record and
 * the record: written again, it is the same item); `atMs` (N) when it was erased; `expiration` (N, epoch seconds) the
 * TTL, the erasure plus the system's backupRetention. The data keys of the periods are items of the same table under
 * pk `keysPartition`, sk the period, removed when their period's last tombstone is past its window.
 */
export const TOMBSTONES = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiration',
  keysPartition: '#keys',
} as const;

/** Replay state machine input (statemachines/replay.asl.json): apply a system's tombstones since a restore point again. */
export interface ReplayExecutionInput {
  readonly system: string;
  /** The restore point: every tombstone from this instant on is applied again. An ISO instant with an offset. */
  readonly since: string;
  /** Optional end (an ISO instant): tombstones written after it are left. @default now */
  readonly until?: string;
}

/** What a replay found again: counts only, the subjects as audit HMACs; no personal data. */
export interface ReplayOutput {
  readonly replayId: string;
  readonly system: string;
  readonly since: string;
  /** Tombstones in the window. */
  readonly tombstones: number;
  /** Records found again (restored) and erased again. */
  readonly foundAgain: number;
  /** Records already gone (nothing-found). */
  readonly nothingFound: number;
  /** Tombstones whose period key is destroyed (past their window): they cannot be opened, so cannot be applied. */
  readonly shredded: number;
  /** Tombstones whose connector call failed (by error name). */
  readonly failed: readonly { readonly subject: string; readonly error: string }[];
  /** The subjects found again, as their audit HMACs (never the subject id). */
  readonly subjectsFoundAgain: readonly string[];
  readonly counts: ConnectorCounts;
}

/**
 * CloudWatch metrics that functions publish (Powertools Metrics: namespace from POWERTOOLS_METRICS_NAMESPACE,
 * default dimension `service` = POWERTOOLS_SERVICE_NAME, both set by the stack) and the stack alarms on.
 */
export const METRICS = {
  namespace: 'Lethe',
  /** deadline-monitor, on every run (0 included): open erasure requests within ENV.deadlineWarningDays of their deadline. */
  openRequestsNearDeadline: 'OpenRequestsNearDeadline',
  /** sweep-apply, when a batch quarantined holdings: how many (a holding that failed too many sweeps; alarmed). */
  holdingsQuarantined: 'HoldingsQuarantined',
  /**
   * sweep-apply and ledger-stream, when an expiry's connector found nothing where a holding said there was data:
   * how many holdings (kept active and flagged, never closed as done; alarmed).
   */
  holdingsNothingFound: 'HoldingsNothingFound',
} as const;

/**
 * Ledger tables: one per purpose; one item per holding (subject × system, and × item for an item holding, spec 2.2).
 * The sort key (`system`) of a holding of the subject's main record is the system id; that of an item holding is
 * `<system id><itemKeyMark><itemRef>` (itemRef: an HMAC of the item's ref, SubjectRefs.itemRef), which no system id
 * (kebab-case) and no other item's key can equal. An item holding also stores `systemId` (the system id) and `itemRef`;
 * its raw ref is only in the sealed locator.
 */
export const LEDGER = {
  partitionKey: 'subjectRef',
  sortKey: 'system',
  itemKeyMark: '#item#',
  itemSystemAttribute: 'systemId',
  itemRefAttribute: 'itemRef',
  /**
   * Sparse GSI: only active holdings with a known expiry carry its keys. `dueShard` (S): a stable hash of
   * subjectRef modulo `dueShards`, two digits ("00".."15"); `dueAt` (N): the expiry in epoch milliseconds.
   */
  dueIndex: 'due',
  dueShardAttribute: 'dueShard',
  dueAtAttribute: 'dueAt',
  /** Number of due-index partitions; the sweep reads each. */
  dueShards: 16,
  /**
   * Sparse GSI, KEYS_ONLY plus `dueAt` and `expiresAt`: the active holdings that have no expiry to wait for in the due
   * index, by why (PARKED_STATE). `parkedShard` (S): `<state>#<shard>`, the shard a stable hash of subjectRef modulo
   * `parkedShards`, two digits ("waiting#03"): fewer than the due index's, since holdings are parked and unparked far
   * less often than they expire, and a count reads every partition.
   * Only the API's counts (GET /retention/holdings) read it; the sweep never does. Written with the due keys, by the
   * same writes (lib/runtime/ledger.ts), so a holding is in it exactly while it is parked.
   */
  parkedIndex: 'parked',
  parkedShardAttribute: 'parkedShard',
  parkedShards: 4,
  ttlAttribute: 'ttl',
  /** TTL backstop on an active holding: this long after its expiry DynamoDB may delete it (the stream then erases it). */
  activeTtlGraceSeconds: 3 * 24 * 3600,
  /** A finished holding's ledger item is kept this long for the record, then TTL removes it. */
  doneTtlSeconds: 30 * 24 * 3600,
} as const;

/**
 * Why an active holding is out of the due index (LEDGER.parkedIndex): its clock waits for an event (`waiting`), a
 * legal hold or a restriction with keep keeps it (`held`), its rule keeps it indefinitely (`indefinite`), it failed
 * too many sweeps (`quarantined`), or its expiry found nothing of its data (`nothing-found`).
 */
export const PARKED_STATE = {
  waiting: 'waiting',
  held: 'held',
  indefinite: 'indefinite',
  quarantined: 'quarantined',
  nothingFound: 'nothing-found',
} as const;
export type ParkedState = (typeof PARKED_STATE)[keyof typeof PARKED_STATE];

export const HOLDING_STATUS = { active: 'active', done: 'done' } as const;
export type HoldingStatus = (typeof HOLDING_STATUS)[keyof typeof HOLDING_STATUS];

/**
 * Subject events: pk subjectRef, sk `${at}#${type}#${eventId}`. Beside a subject's events, one counter item (sk
 * `counterKey`) whose `seq` (N) is raised after each event is written: a holding's expiry records the `seq` it was
 * computed at (`eventsSeq` on the ledger item), so that the event path and the registration path agree (subjects.ts).
 * `ttl` is set on a subject's events and counter once it has no active holding (event-store.ts, retireIfIdle).
 */
export const EVENTS = {
  partitionKey: 'subjectRef',
  sortKey: 'eventKey',
  /** Sorts after every event key (those start with a year's digits, or + or -). */
  counterKey: '~counter',
  /**
   * Legal holds (spec 2.3, lib/runtime/holds.ts) live beside the events, sk `hold#<holdId>`: after every event key
   * (digits, + or -) and before the counter. Placing or releasing one raises the counter like an event. An active
   * hold never gets a `ttl`; a released one retires with the subject's events.
   */
  holdKeyPrefix: 'hold#',
  seqAttribute: 'seq',
  ttlAttribute: 'ttl',
  /** A subject with no active holding keeps its events this long (a holding registered meanwhile keeps them). */
  idleTtlSeconds: 30 * 24 * 3600,
} as const;

/**
 * Erasure requests: pk requestId; sparse GSI of open requests by deadline, for the deadline alarm. While a
 * request is open (not completed) `openSince` (S) holds `openValue`, the index's one partition, so the monitor
 * can query it; `deadline` (S) is the deadline as a UTC ISO string with milliseconds
 * (`2025-05-01T22:00:00.000Z`), fixed width so that text order is time order.
 * A second GSI, `by-subject` (pk `subjectRef`, sk `receivedAt`, keys only), lists one subject's requests for
 * `GET /subjects/{subjectId}` (lib/runtime/subject-view.ts) without a scan; an item that TTL removes leaves it too.
 */
export const REQUESTS = {
  partitionKey: 'requestId',
  openIndex: 'open-by-deadline',
  openAttribute: 'openSince',
  openValue: 'open',
  subjectIndex: 'by-subject',
  subjectAttribute: 'subjectRef',
  receivedAtAttribute: 'receivedAt',
  deadlineAttribute: 'deadline',
  /** Set when a request completes (its sealed subject id and details go then): TTL removes the item this long after. */
  ttlAttribute: 'ttl',
  completedTtlSeconds: 90 * 24 * 3600,
} as const;

/** The audit chain's head and sequence claims: pk `seq` (number as zero-padded string) or `head`. */
export const AUDIT_CHAIN = { partitionKey: 'id', headId: 'head' } as const;

export const REQUEST_STATUS = ['received', 'running', 'completed', 'failed'] as const;
export type RequestStatus = (typeof REQUEST_STATUS)[number];

/**
 * What became of a subject's data in a system. `kept-shared`: nothing changed there and no connector ran, because
 * the record and every field of it are still needed for another purpose (the shared-data rule); the holding that
 * went is finished in the ledger. Connectors never answer it (ConnectorSubjectOutcome).
 */
export const SYSTEM_STATUS = [
  'pending',
  'erased',
  'anonymised',
  'fields-removed',
  'fields-anonymised',
  'kept-shared',
  'nothing-found',
  'retained',
  'failed',
  'restricted',
  'unrestricted',
  'exported',
] as const;
export type SystemStatus = (typeof SYSTEM_STATUS)[number];

/** Error names the state machines retry (transient) or catch (permanent). Lambda reports `errorType` = error.name. */
export const ERROR_NAMES = {
  transient: 'ConnectorTransientError',
  permanent: 'ConnectorPermanentError',
  /** A task's own AWS call failed transiently (throttling, 5xx, a refused or dropped connection): retried. */
  runtimeTransient: 'RuntimeTransientError',
  notFound: 'RequestNotFoundError',
  /** Raised by the erasure state machine's "Erasure failed" state when a system failed permanently. */
  erasureFailed: 'ErasureFailed',
  /**
   * A connector did its action, then found, asking its system again, that some of what the action should have removed
   * is still there (VERIFICATION): the subject fails (permanently), never reported erased.
   */
  verification: 'ConnectorVerificationError',
} as const;

// ---------------------------------------------------------------------------------------------------------
// Step Functions payloads (execution history): ids and HMACs only.
// ---------------------------------------------------------------------------------------------------------

/**
 * Definition substitutions of statemachines/*.asl.json (`${Name}` in a Task's Resource); each takes the ARN of
 * the Lambda function named by the key (lambdas/<key>.ts).
 */
export const ASL_SUBSTITUTIONS = {
  'erasure-plan': 'ErasurePlanFunctionArn',
  'erasure-system': 'ErasureSystemFunctionArn',
  'erasure-finish': 'ErasureFinishFunctionArn',
  'sweep-read': 'SweepReadFunctionArn',
  'sweep-apply': 'SweepApplyFunctionArn',
  replay: 'ReplayFunctionArn',
} as const;
export type AslSubstitution = (typeof ASL_SUBSTITUTIONS)[keyof typeof ASL_SUBSTITUTIONS];

/** Erasure state machine input. */
export interface ErasureExecutionInput {
  readonly requestId: string;
}

/**
 * Output of the "plan" task: the records to visit (spec 2.2: the subject's main record in a system, or one item's
 * record there), each by its system id and its record key (the ledger's sort key value: the system id, or
 * `<system>#item#<itemRef>`, an HMAC, never the item's raw ref).
 */
export interface ErasurePlanOutput {
  readonly requestId: string;
  readonly policyHash: string;
  readonly systems: readonly { readonly system: string; readonly record: string }[];
}

/** Input of the per-system task (one Map iteration): one record. */
export interface ErasureSystemInput {
  readonly requestId: string;
  readonly system: string;
  /** The record key (ErasurePlanOutput). Absent (a plan from before items): the system's main record. */
  readonly record?: string;
}

/** Output of the per-system task; also what a Catch records for a failed system. */
export interface ErasureSystemOutput {
  readonly system: string;
  /** An item record's key, as in the input (absent for a main record, whose key is the system id). */
  readonly record?: string;
  readonly status: SystemStatus;
  readonly counts?: ConnectorCounts;
  /** Whether the connector verified its action (VERIFICATION); absent where nothing was to verify. */
  readonly verification?: Verification;
  readonly error?: string;
}

/** Input of the finish task. */
export interface ErasureFinishInput {
  readonly requestId: string;
  readonly results: readonly ErasureSystemOutput[];
}

/**
 * Output of the finish task: the final status it set, and the records that failed (empty when completed), by record
 * key: a system id for a main record, `<system>#item#<itemRef>` for an item's (the retry Map passes each as `system`).
 */
export interface ErasureFinishOutput {
  readonly requestId: string;
  readonly status: Extract<RequestStatus, 'completed' | 'failed'>;
  readonly failedSystems: readonly string[];
}

/** Sweep state machine input; `now` (ISO with offset) overrides the clock, for simulations and tests. */
export interface SweepExecutionInput {
  readonly purpose: string;
  readonly now?: string;
  /**
   * Set when a sweep continues in a new execution (after SWEEP_PAGES_PER_EXECUTION pages, to stay under the
   * history limit): the sweep's id and clock, where to read on, and which execution of the sweep this is.
   */
  readonly sweepId?: string;
  readonly cursor?: SweepCursor;
  readonly part?: number;
}

/** Input and output of the "read a page" task: a cursor over the due index's shards. */
export interface SweepReadInput {
  readonly purpose: string;
  readonly sweepId: string;
  readonly now: string;
  readonly cursor?: SweepCursor;
}
export interface SweepCursor {
  readonly shard: number;
  readonly lastKey?: Record<string, unknown>;
}
export interface SweepReadOutput {
  readonly purpose: string;
  readonly sweepId: string;
  readonly now: string;
  /** Due holdings of this page, grouped by subject and cut into batches. */
  readonly batches: readonly SweepBatch[];
  readonly itemsRead: number;
  /** Absent when every shard has been read. */
  readonly cursor?: SweepCursor;
}
export interface SweepBatch {
  readonly subjectRefs: readonly string[];
}

/** Input of the "apply expiry to a batch" task (one Distributed Map item). */
export interface SweepApplyInput {
  readonly purpose: string;
  readonly sweepId: string;
  readonly now: string;
  readonly batch: SweepBatch;
  /** When the child execution started (`$$.Execution.StartTime`): the batch stops in time for its Express limit. */
  readonly startedAt?: string;
}
export interface SweepApplyOutput {
  readonly subjects: number;
  readonly holdingsDone: number;
  readonly holdingsFailed: number;
  /** Holdings this batch quarantined (absent: none). */
  readonly holdingsQuarantined?: number;
  /** Holdings whose connector found nothing (flagged, alarmed; absent: none). */
  readonly holdingsNothingFound?: number;
  /** Subjects left (partly) undone because the time ran out: their holdings stay due (absent: none). */
  readonly subjectsNotDone?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Connector invocations (Lambda payloads, never in execution history or logs).
// ---------------------------------------------------------------------------------------------------------

/**
 * What a connector does to a subject's record. `restrict` and `unrestrict` (spec 2.4, Art. 18) mark the record so
 * that the controller's applications stop processing it, and remove that mark when the restriction is lifted;
 * nothing else of the record changes. They carry `restriction`. A connector that does not implement them must
 * refuse them (a webhook or function answering any other status than `restricted`/`unrestricted` to them is
 * refused by Lethe: `checkActionOutcomes`, lib/connectors/invocation.ts).
 */
export type RecordAction = 'delete' | 'anonymise' | 'keep' | 'restrict' | 'unrestrict' | 'export';

/** The record actions that mark or unmark a record (no field changes). */
export const RESTRICTION_ACTIONS = ['restrict', 'unrestrict'] as const;

/** What a `restrict`/`unrestrict` is about: the request (or hold) that restricts, and until when. */
export interface ConnectorRestriction {
  /** The restriction request's id (`unrestrict` removes a mark only if it is this request's). */
  readonly requestId: string;
  /** UTC ISO: when the restriction is to be lifted; absent while open-ended. */
  readonly until?: string;
}

export interface ConnectorField {
  readonly name: string;
  readonly category: string;
  /** Absent: removed when anonymised. */
  readonly anonymise?: { readonly strategy: string; readonly [option: string]: unknown };
}

export interface ConnectorSubject {
  readonly subjectRef: string;
  readonly subjectId: string;
  /** How to find this subject's data in the system, e.g. `{customerId: "C-123"}`. */
  readonly locator: Readonly<Record<string, string>>;
  readonly identifiers: Readonly<Record<string, string>>;
  /**
   * An item record's ref (spec 2.2: an order number, a ticket id), as the application registered it: the locator
   * then locates that item only, and the connector acts on it alone. Absent: the subject's main record.
   */
  readonly ref?: string;
  readonly record: RecordAction;
  readonly removeFields: readonly ConnectorField[];
  readonly anonymiseFields: readonly ConnectorField[];
  /** With `record` `restrict` or `unrestrict` (required then), never otherwise. */
  readonly restriction?: ConnectorRestriction;
  /**
   * With `record` `export` (required then, never otherwise; spec 2.4, Art. 15): the fields the plan lists for this
   * record (those of the categories held for the purposes in scope). The connector returns these and no other.
   */
  readonly exportFields?: readonly ConnectorField[];
}

/**
 * Record action `export` (spec 2.4, Art. 15): a copy of the listed fields of the subject's record, read and changed
 * nowhere. One entry per stored record the connector found (a table item, a JSON record of an object); `source` says
 * where it is, in words the subject can follow (a table and key, an object key). Personal data: it travels only in
 * the connector's answer and the export document, never in a log, an audit record or execution history.
 */
export interface ConnectorExport {
  readonly records: readonly ConnectorExportRecord[];
  /** S3: the subject's objects (key, size, type, metadata), whether or not their content is JSON. */
  readonly objects?: readonly ConnectorExportObject[];
  /** Set when the connector left data out to stay within EXPORT_LIMITS; the document says so. */
  readonly truncated?: boolean;
}

export interface ConnectorExportRecord {
  readonly source: string;
  /** Each listed field the record has, with its value as stored (a field it does not have is absent). */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface ConnectorExportObject {
  readonly key: string;
  readonly size?: number;
  readonly lastModified?: string;
  readonly contentType?: string;
  /** The object's user metadata (`x-amz-meta-*`). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Whether its JSON records are in `records` (false: not JSON, or over `maxObjectBytes`, or past `maxBytes`). */
  readonly contentIncluded: boolean;
}

/**
 * Bounds of one subject's export in a connector's answer: a Lambda response is at most 6 MB, and the document is
 * read by a person. `maxBytes`: the export's JSON (Lethe refuses a larger answer); `maxObjects`: S3 objects listed;
 * `maxObjectBytes`: the largest S3 object whose content is read.
 */
export const EXPORT_LIMITS = { maxBytes: 4 * 1024 * 1024, maxObjects: 1000, maxObjectBytes: 1024 * 1024 } as const;

/** One call to a connector: one system, one or many subjects (the sweep's batch form). */
export interface ConnectorInvocation {
  readonly system: string;
  readonly purposes: readonly string[];
  readonly subjects: readonly ConnectorSubject[];
  /** Makes retries idempotent at the far end (HTTP Idempotency-Key). */
  readonly operationId: string;
  readonly policyHash: string;
}

export interface ConnectorCounts {
  readonly records: number;
  readonly fields: number;
  readonly objects: number;
}

/**
 * Verification (issue 19): after an action that removes data (`delete`, `anonymise`, `keep` with fields to remove or
 * anonymise), the connector asks its system, in the same invocation, whether anything of the subject (or the item) that
 * should be gone is still there. `verified`: it asked and nothing is; `unverified`: the connector cannot ask (a webhook
 * or function without the `verify` operation). Something still there is no outcome at all: the subject fails with
 * `ERROR_NAMES.verification` (in the result's `failed`, never transient), so the request is not reported completed.
 */
export const VERIFICATIONS = ['verified', 'unverified'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export interface ConnectorSubjectOutcome {
  readonly subjectRef: string;
  /**
   * `restricted`/`unrestricted` answer `restrict`/`unrestrict` (and only those), with counts 0 when nothing was
   * found to mark; the other statuses answer `delete`, `anonymise` and `keep`.
   */
  readonly status: Extract<
    SystemStatus,
    'erased' | 'anonymised' | 'fields-removed' | 'fields-anonymised' | 'nothing-found' | 'restricted' | 'unrestricted' | 'exported'
  >;
  readonly counts: ConnectorCounts;
  /** With status `exported` (which answers `export` only, counts 0 when nothing was found): the copy. */
  readonly export?: ConnectorExport;
  /**
   * With `delete`, `anonymise` and a `keep` with fields (VERIFICATIONS): whether the action was verified. Absent from
   * an answer of a user's function or webhook: `unverified`. Never with `restrict`, `unrestrict` or `export`.
   */
  readonly verification?: Verification;
}

/**
 * A subject of a batch the connector could not do, while it did others (a partial batch): it is retried later,
 * the others' outcomes are kept.
 */
export interface ConnectorSubjectFailure {
  readonly subjectRef: string;
  /**
   * The error's NAME only (`ConnectorTransientError`, `ThrottlingException`): letters, digits, `.`, `_`, `-`, at
   * most 128, starting with a letter. Never a message: a SaaS or a user's function may quote personal data in it.
   */
  readonly error: string;
  /** Worth retrying (as `ConnectorTransientError`), or not (as `ConnectorPermanentError`). */
  readonly transient: boolean;
}

/**
 * A connector's answer to one invocation. Every subject asked about appears exactly once, either in `subjects`
 * (done, with its outcome) or in `failed` (not done); none other. `failed` is for batches where some subjects
 * were done and others were not: the connectors that act subject by subject (DynamoDB, S3, `defineConnector`)
 * throw when every subject failed, so a one-subject invocation of theirs answers an outcome or throws. A user's
 * own function or webhook may answer any subject in `failed`; Lethe then treats that subject as failed with that
 * error, retried (transient) or not.
 */
export interface ConnectorResult {
  readonly system: string;
  /** The subjects done, with their outcome. */
  readonly subjects: readonly ConnectorSubjectOutcome[];
  /** The subjects not done. Absent: none. */
  readonly failed?: readonly ConnectorSubjectFailure[];
}

// ---------------------------------------------------------------------------------------------------------
// Audit records (S3, Object Lock): no raw personal data.
// ---------------------------------------------------------------------------------------------------------

export interface AuditRecord {
  readonly seq: number;
  readonly prevHash: string;
  readonly at: string;
  /** `hold`: a legal hold placed or released (spec 2.3; lib/runtime/holds.ts), one record per system it covers. */
  /** `replay`: a tombstone applied again after a restore (lib/runtime/replay.ts), with its run's `replayId`. */
  readonly kind: 'erasure-request' | 'restriction-request' | 'sweep' | 'ttl' | 'hold' | 'access-request' | 'replay';
  readonly requestId?: string;
  readonly sweepId?: string;
  readonly replayId?: string;
  /** With kind `hold`: the hold's id (its reason is the controller's text and is never audited). */
  readonly holdId?: string;
  readonly purposes: readonly string[];
  readonly system: string;
  /** An item record's (spec 2.2): an HMAC of its ref with the audit key, never the ref (SubjectRefs.auditItem). */
  readonly item?: string;
  readonly action: RecordAction | 'retain' | 'hold' | 'release';
  /** With kind `hold`: `held` (placed) or `released`. */
  readonly outcome: SystemStatus | 'held' | 'released';
  readonly counts: ConnectorCounts;
  /** HMAC of the subject id with the audit key: links records of one subject without naming it. */
  readonly subject: string;
  readonly policyHash: string;
  /**
   * With kind `access-request`, action `export` (lib/runtime/exports.ts): SHA-256 (hex) of the export document as
   * stored (its JSON), so that the document handed out can be matched to this record; never its content.
   */
  readonly objectHash?: string;
  /**
   * Whether the action was verified (VERIFICATIONS), or `failed`: something that should be gone was found still there
   * (the outcome is then `failed`). Absent where nothing was to verify (retain, restrict, export, kept-shared, hold) and
   * in records written before verification existed (their hash covers no such field).
   */
  readonly verification?: Verification | 'failed';
  /** SHA-256 over the canonical JSON of every field above. */
  readonly hash: string;
}
