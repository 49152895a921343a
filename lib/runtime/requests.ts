/**
 * Erasure requests (contract REQUESTS): one item per request. The subject's id and the identifiers are sealed;
 * the per-record plan and its progress live in the `systems` map, so every step of the workflow can be re-run
 * and picks up where the last run stopped.
 *
 * The map is keyed by record (spec 2.2): the subject's main record in a system under the system id (as every request
 * stored before items), one item's record under `<system>#item#<itemRef>` (ledger.ts recordKeyOf; an HMAC, never
 * the raw ref), whose entry names its `system` and `itemRef`. The raw refs are sealed in `sealedRefs`.
 */
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Temporal } from '@js-temporal/polyfill';
import { isConditionFailure } from '../core/dynamodb-errors';
import { ConflictError, RequestNotFoundError } from './errors';
import {
  type ConnectorCounts,
  type ConnectorField,
  type RecordAction,
  REQUESTS,
  type RequestStatus,
  SYSTEM_STATUS,
  type SystemStatus,
  type Verification,
} from '../core/contract';
import { utcIso } from '../core/time';

/** A purpose whose holding in the system goes, and how. */
export interface GoingHolding {
  readonly outcome: 'erase' | 'anonymise';
  /** The collection planned for: a holding re-collected since is left active. */
  readonly collectedAtMs: number;
}

export interface SystemEntry {
  /** An item record's system id (the key is then `<system>#item#<itemRef>`); absent: the key is the system id. */
  readonly system?: string;
  /** An item record's item: the HMAC of its ref (SubjectRefs.itemRef). Absent: the subject's main record. */
  readonly itemRef?: string;
  readonly status: SystemStatus;
  /** What the audit record names as the action. */
  readonly action: RecordAction | 'retain';
  readonly record: RecordAction;
  readonly removeFields: readonly string[];
  readonly anonymiseFields: readonly string[];
  /** purpose → the holding that goes. */
  readonly going: Readonly<Record<string, GoingHolding>>;
  /** Purposes whose holdings in this system are retained (Art. 18). */
  readonly retainedPurposes: readonly string[];
  /** False when nothing changes in the system itself (shared data protects every field): no connector call. */
  readonly invoke: boolean;
  /**
   * An erasure's record that keeps retained data (spec 2.3, 2.4): it is restricted, its mark naming this id (a
   * keep-restriction's request, a hold, or the erasure request). With `record` `restrict` that is the one call; with
   * fields removed from a kept record, a second call after them (erasure.ts restrictRetained).
   */
  readonly restrictionId?: string;
  /** The second call's outcome (`restricted`, or `nothing-found`), once it was made. */
  readonly restrictedStatus?: SystemStatus;
  /** Record `export` (an access request): the fields the plan lists, with their categories (names only, no values). */
  readonly exportFields?: readonly ConnectorField[];
  /**
   * Whether the connector verified its action (contract VERIFICATIONS, issue 19); absent where nothing was to verify.
   * A verification that found data left is no status here: the record failed, with error `ConnectorVerificationError`.
   */
  readonly verification?: Verification;
  readonly counts?: ConnectorCounts;
  /** Fields removed or anonymised, for the answer. */
  readonly fields?: readonly string[];
  /** Error name (never a message that could quote data). */
  readonly error?: string;
  /** The finished holdings have been marked done in the ledger. */
  readonly ledgerDone?: boolean;
  /** The status an audit record was written for. */
  readonly auditedStatus?: SystemStatus;
  /** That audit record's place in the chain and its hash (a receipt names it: lib/runtime/receipts.ts). */
  readonly auditRecord?: { readonly seq: number; readonly hash: string };
  readonly updatedAt?: string;
}

export interface RetainedEntry {
  readonly purpose: string;
  /** Where the holding is an item's (spec 2.7): the HMAC of its ref (the answer shows the ref while it is kept). */
  readonly itemRef?: string;
  readonly reason: string;
  /** Policy time zone with offset, or null while unknown or never. */
  readonly until: string | null;
  /** Where `until` is null because the clock has not started: the events that would start it (spec 2.7). */
  readonly waitingFor?: readonly string[];
  /** Where `until` is null because the purpose keeps the data indefinitely (spec 2.7). */
  readonly indefinite?: true;
  /** Where a legal hold retains the data (spec 2.3): its id; `reason` is then the hold's and `until` null. */
  readonly hold?: string;
}

/** What a completed request keeps for its receipt (RequestItem.receiptBasis): HMACs only. */
export interface ReceiptBasis {
  readonly subject: string;
  /** Ledger itemRef → the item's audit HMAC (SubjectRefs.auditItem). */
  readonly items: Readonly<Record<string, string>>;
}

export interface Extension {
  readonly months: 1 | 2;
  readonly reason: string;
  readonly at: string;
  readonly previousDeadline: string;
}

/**
 * The kinds of data subject request (spec 2.4), all in the one requests table: erasure (Art. 17), restriction
 * (Art. 18), access (Art. 15). An item without `kind` is an erasure request (every item stored before kinds).
 */
export const REQUEST_KINDS = ['erasure', 'restriction', 'access'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** A restriction's lift (spec 2.4; lib/runtime/restrictions.ts), as stored on its request. */
export interface LiftRecord {
  /** UTC ISO with milliseconds. */
  readonly at: string;
  /** `api` (POST /restriction-requests/{id}/lift) or `sweep:<id>` (at `until`). */
  readonly by: string;
  /** Each record the connector was asked to unrestrict: its system, an item's itemRef (HMAC), and the outcome. */
  readonly records: readonly { readonly system: string; readonly itemRef?: string; readonly status: SystemStatus }[];
}

/** A stored request's kind: `kind`, or erasure for an item stored before kinds. */
export const kindOf = (item: Pick<RequestItem, 'kind'>): RequestKind => item.kind ?? 'erasure';

/** What an access request's plan says is held, per record (spec 2.7 `access`; no values, ids and names only). */
export interface AccessEntryItem {
  readonly system: string;
  /** An item record's: the HMAC of its ref (as RetainedEntry.itemRef). */
  readonly itemRef?: string;
  readonly purposes: readonly string[];
  readonly categories: readonly string[];
  readonly fields: readonly string[];
}

export interface RequestItem {
  readonly requestId: string;
  /** Absent: erasure (kindOf). */
  readonly kind?: RequestKind;
  /** Restriction: when it is to be lifted (UTC ISO); absent: until the controller lifts it. */
  readonly until?: string;
  /** Restriction (Art. 18(1)(b),(c)): the data is also held, like a legal hold, until the restriction is lifted. */
  readonly keep?: boolean;
  /** Restriction: when and by what it was lifted, and what became of each record it had restricted (restrictions.ts). */
  readonly lifted?: LiftRecord;
  /** Access: the export document's language (absent: English). */
  readonly lang?: 'en' | 'sv';
  /** Access: what the plan found held, per record (stored by the plan step). */
  readonly access?: readonly AccessEntryItem[];
  readonly subjectRef: string;
  /** Sealed `{subjectId}` (requestContext(id, 'subject')); removed once the request is completed. */
  readonly sealedSubject?: string;
  /** Sealed `{identifiers, reason}` (requestContext(id, 'details')); removed once the request is completed. */
  readonly sealedDetails?: string;
  readonly scope?: readonly string[];
  readonly verification: { readonly method: string; readonly verifiedAt: string };
  readonly status: RequestStatus;
  /** UTC ISO with milliseconds. */
  readonly receivedAt: string;
  /** UTC ISO with milliseconds (the open index's sort key). */
  readonly deadline: string;
  readonly openSince?: string;
  readonly extension?: Extension;
  readonly policyHash?: string;
  /** Record key (the system id, or `<system>#item#<itemRef>`) → its plan and progress. */
  readonly systems?: Readonly<Record<string, SystemEntry>>;
  /** The record keys in the plan's order (per system in the policy's order, the main record first). */
  readonly systemOrder?: readonly string[];
  /**
   * Sealed `{[itemRef]: ref}` (requestContext(id, 'refs')): the raw refs of the request's item records, for the
   * answer to the caller who registered them; removed with the subject id once the request is completed.
   */
  readonly sealedRefs?: string;
  readonly retained?: readonly RetainedEntry[];
  readonly plannedAt?: string;
  readonly finishedAt?: string;
  /**
   * Set when the request completes, while the subject id is still at hand (lib/runtime/receipts.ts): the subject as
   * its audit records name it (SubjectRefs.auditSubject) and each item record's audit HMAC by its ledger itemRef, so
   * that a receipt names them as the audit trail does once the subject id and the raw refs are gone.
   */
  readonly receiptBasis?: ReceiptBasis;
  /** Epoch seconds, once completed: TTL removes the request REQUESTS.completedTtlSeconds after it completed. */
  readonly ttl?: number;
}

/** Every status but `pending` and `failed`: the system needs nothing more. */
export const FINAL_SYSTEM_STATUSES: readonly SystemStatus[] = SYSTEM_STATUS.filter((s) => s !== 'pending' && s !== 'failed');
export const isFinal = (status: SystemStatus): boolean => FINAL_SYSTEM_STATUSES.includes(status);

export class RequestStore {
  public constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Creates the request; if one with this id exists already, returns that one instead. */
  public async create(item: RequestItem): Promise<{ created: boolean; item: RequestItem }> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': REQUESTS.partitionKey },
        }),
      );
      return { created: true, item };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { created: false, item: await this.require(item.requestId) };
    }
  }

  public async get(requestId: string): Promise<RequestItem | undefined> {
    const { Item } = await this.ddb.send(
      new GetCommand({ TableName: this.table, Key: { [REQUESTS.partitionKey]: requestId }, ConsistentRead: true }),
    );
    return Item as RequestItem | undefined;
  }

  /** The request, or `RequestNotFoundError`. */
  public async require(requestId: string): Promise<RequestItem> {
    const item = await this.get(requestId);
    if (!item) throw new RequestNotFoundError(requestId);
    return item;
  }

  /** Stores the plan unless one is stored already (a re-run keeps the first plan). Returns whether it stored it. */
  public async storePlan(
    requestId: string,
    plan: Pick<RequestItem, 'systems' | 'systemOrder' | 'retained' | 'policyHash' | 'sealedRefs' | 'access'>,
    now: Temporal.Instant,
  ): Promise<boolean> {
    const refs = plan.sealedRefs !== undefined;
    const access = plan.access !== undefined;
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [REQUESTS.partitionKey]: requestId },
          UpdateExpression:
            'SET #systems = :systems, #order = :order, #retained = :retained, #policyHash = :hash, #plannedAt = :at' +
            (refs ? ', #sealedRefs = :refs' : '') +
            (access ? ', #access = :access' : ''),
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#systems)',
          ExpressionAttributeNames: {
            '#pk': REQUESTS.partitionKey,
            '#systems': 'systems',
            '#order': 'systemOrder',
            '#retained': 'retained',
            '#policyHash': 'policyHash',
            '#plannedAt': 'plannedAt',
            ...(refs ? { '#sealedRefs': 'sealedRefs' } : {}),
            ...(access ? { '#access': 'access' } : {}),
          },
          ExpressionAttributeValues: {
            ':systems': plan.systems ?? {},
            ':order': plan.systemOrder ?? [],
            ':retained': plan.retained ?? [],
            ':hash': plan.policyHash ?? '',
            ':at': utcIso(now),
            ...(refs ? { ':refs': plan.sealedRefs } : {}),
            ...(access ? { ':access': plan.access } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** received/failed/running → running; a completed request stays completed. */
  public async markRunning(requestId: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [REQUESTS.partitionKey]: requestId },
          UpdateExpression: 'SET #status = :running',
          ConditionExpression: 'attribute_exists(#pk) AND #status <> :completed',
          ExpressionAttributeNames: { '#pk': REQUESTS.partitionKey, '#status': 'status' },
          ExpressionAttributeValues: { ':running': 'running', ':completed': 'completed' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Sets fields of one record's entry (`system`: its record key); `error: undefined` removes a previous error. */
  public async updateSystem(requestId: string, system: string, patch: Partial<SystemEntry>, now: Temporal.Instant): Promise<void> {
    const names: Record<string, string> = { '#systems': 'systems', '#sys': system };
    const values: Record<string, unknown> = {};
    const set: string[] = [];
    const remove: string[] = [];
    for (const [key, value] of Object.entries({ ...patch, updatedAt: utcIso(now) })) {
      names[`#${key}`] = key;
      if (value === undefined) remove.push(`#systems.#sys.#${key}`);
      else {
        set.push(`#systems.#sys.#${key} = :${key}`);
        values[`:${key}`] = value;
      }
    }
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { [REQUESTS.partitionKey]: requestId },
        UpdateExpression: [`SET ${set.join(', ')}`, remove.length ? `REMOVE ${remove.join(', ')}` : ''].filter(Boolean).join(' '),
        ConditionExpression: 'attribute_exists(#systems.#sys)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * Sets the final status. A completed request leaves the open index, drops its sealed subject id and identifiers
   * (nothing reads them once every system is final and audited: storage limitation) and gets a `ttl`
   * REQUESTS.completedTtlSeconds away; a failed one stays open, both kept, so that a re-run can finish it.
   */
  public async finish(requestId: string, status: 'completed' | 'failed', now: Temporal.Instant, basis?: ReceiptBasis): Promise<void> {
    const completed = status === 'completed';
    const withBasis = completed && basis !== undefined;
    const ttl = Math.floor(now.epochMilliseconds / 1000) + REQUESTS.completedTtlSeconds;
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { [REQUESTS.partitionKey]: requestId },
        UpdateExpression: completed
          ? `SET #status = :status, #finishedAt = :at, #ttl = :ttl${withBasis ? ', #basis = :basis' : ''} REMOVE #open, #details, #subject, #refs`
          : 'SET #status = :status, #finishedAt = :at',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: {
          '#pk': REQUESTS.partitionKey,
          '#status': 'status',
          '#finishedAt': 'finishedAt',
          ...(completed
            ? {
                '#open': REQUESTS.openAttribute,
                '#details': 'sealedDetails',
                '#subject': 'sealedSubject',
                '#refs': 'sealedRefs',
                '#ttl': REQUESTS.ttlAttribute,
                ...(withBasis ? { '#basis': 'receiptBasis' } : {}),
              }
            : {}),
        },
        ExpressionAttributeValues: {
          ':status': status,
          ':at': utcIso(now),
          ...(completed ? { ':ttl': ttl } : {}),
          ...(withBasis ? { ':basis': basis } : {}),
        },
      }),
    );
  }

  /**
   * The ids of a subject's requests, oldest first, from the `by-subject` index (keys only; never a scan). The index
   * is eventually consistent: a request stored a moment ago may be missing, and one that TTL removed a moment ago may
   * still be listed (`get` then finds nothing).
   */
  public async idsOfSubject(subjectRef: string): Promise<string[]> {
    const pages = paginateQuery(
      { client: this.ddb },
      {
        TableName: this.table,
        IndexName: REQUESTS.subjectIndex,
        KeyConditionExpression: '#subject = :ref',
        ExpressionAttributeNames: { '#subject': REQUESTS.subjectAttribute },
        ExpressionAttributeValues: { ':ref': subjectRef },
      },
    );
    const ids: string[] = [];
    for await (const page of pages) for (const item of page.Items ?? []) ids.push(String(item[REQUESTS.partitionKey]));
    return ids;
  }

  /**
   * Records a restriction's lift, once: false when the request is gone (TTL removed it) or was lifted already
   * (the lift itself is guarded by its item in the events table: restrictions.ts).
   */
  public async markLifted(requestId: string, lifted: LiftRecord): Promise<boolean> {
    // Kept until now (keepUntilLifted): TTL removes it REQUESTS.completedTtlSeconds after the lift.
    const ttl = Math.floor(Date.parse(lifted.at) / 1000) + REQUESTS.completedTtlSeconds;
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [REQUESTS.partitionKey]: requestId },
          UpdateExpression: 'SET #lifted = :lifted, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#lifted)',
          ExpressionAttributeNames: { '#pk': REQUESTS.partitionKey, '#lifted': 'lifted', '#ttl': REQUESTS.ttlAttribute },
          ExpressionAttributeValues: { ':lifted': lifted, ':ttl': ttl },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * A completed restriction request stays until it is lifted (its `ttl` goes), so that POST .../lift finds it however
   * long the restriction lasts; markLifted sets the `ttl` again. A request lifted already keeps its `ttl`.
   */
  public async keepUntilLifted(requestId: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [REQUESTS.partitionKey]: requestId },
          UpdateExpression: 'REMOVE #ttl',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#lifted)',
          ExpressionAttributeNames: { '#pk': REQUESTS.partitionKey, '#lifted': 'lifted', '#ttl': REQUESTS.ttlAttribute },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Art. 12(3): once, while the request is not completed. Conflicts name the reason. */
  public async extend(requestId: string, extension: Extension, deadline: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [REQUESTS.partitionKey]: requestId },
          UpdateExpression: 'SET #extension = :extension, #deadline = :deadline',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#extension) AND #status <> :completed',
          ExpressionAttributeNames: {
            '#pk': REQUESTS.partitionKey,
            '#extension': 'extension',
            '#deadline': REQUESTS.deadlineAttribute,
            '#status': 'status',
          },
          ExpressionAttributeValues: { ':extension': extension, ':deadline': deadline, ':completed': 'completed' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = await this.require(requestId);
      if (item.extension) {
        throw new ConflictError(
          `${kindOf(item)} request "${requestId}" was already extended (by ${item.extension.months} month(s)); Art. 12(3) allows one extension`,
        );
      }
      throw new ConflictError(`${kindOf(item)} request "${requestId}" is ${item.status}; only an open request can be extended`);
    }
  }
}
