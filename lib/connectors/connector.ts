/**
 * The connector framework. Every connector, built-in or the user's own, takes one `ConnectorInvocation` (one
 * system, one or many subjects: the sweep's batch form) and answers one `ConnectorResult` (a status and counts
 * per subject). Every connector is idempotent: running the same invocation twice leaves the data as running
 * it once did, and the second run reports what it still found (usually `nothing-found`).
 *
 * - `Connector`: the base of all. Validates the invocation, hands it to `process`, checks that every subject
 *   got exactly one answer: an outcome, or a failure (`failed`).
 * - `SubjectConnector`: for connectors that act subject by subject (DynamoDB, S3, a connector written with
 *   the SDK): validates every subject before touching any, then runs `deleteRecord`, `anonymiseRecord` or
 *   `changeFields` for each valid one, and derives the status from the counts. A subject that fails validation
 *   fails alone (in `failed`, permanently): nothing is done to it, and the others of its batch go on.
 *
 * A partial batch: when one subject of a batch fails (a throttle, a reset) after others were done, the others'
 * outcomes must not be lost (their data is gone: a later run would find nothing and report `nothing-found`).
 * `SubjectConnector` records the failure in the result's `failed` (the error's name and whether it is worth
 * retrying) and goes on with the next subject. Only when every subject failed does it throw (the first one's
 * error), as a one-subject invocation always did: the erasure workflow's retries and catches are unchanged.
 *
 * Status of a subject (spec: per-system status), from what the connector did:
 * - nothing changed at all (counts all 0) → `nothing-found`;
 * - record `delete` → `erased`; record `anonymise` → `anonymised`;
 * - record `keep` with fields to remove (and perhaps to anonymise) → `fields-removed`; with fields to
 *   anonymise only → `fields-anonymised`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Strategy } from '../policy/model';
import {
  ENV,
  type ConnectorCounts,
  type ConnectorExport,
  type ConnectorField,
  type ConnectorRestriction,
  type ConnectorResult,
  type ConnectorSubjectFailure,
  type ConnectorSubjectOutcome,
  type RecordAction,
} from '../core/contract';
import { anonymise, needsHmacKey, type Anonymised } from '../anonymise';
import { errorName, logger } from '../core/observability';
import { mapLimit } from '../core/concurrency';
import type { KeySource } from '../core/subject-ref';
import {
  ConnectorPermanentError,
  ConnectorTransientError,
  ConnectorVerificationError,
  toConnectorError,
  type ConnectorError,
} from './errors';
import {
  checkActionOutcomes,
  checkExports,
  checkOutcomes,
  ConnectorCountsSchema,
  parseInvocation,
  parseOrThrow,
  type Invocation,
  type InvocationField,
  type InvocationSubject,
} from './invocation';

export type { Invocation, InvocationField, InvocationSubject } from './invocation';

/** Counts a connector reports for one subject; a missing count is 0. */
export type Counts = Partial<ConnectorCounts>;

export interface ConnectorOptions {
  /**
   * The HMAC key of the `hmac` strategy (from Secrets Manager, `LETHE_HMAC_SECRET`). Called only when a field
   * to anonymise uses `hmac`; without it such a field is a permanent error.
   */
  readonly hmacKey?: KeySource;
}

/** What a connector's work on one invocation can see besides the subject. */
export interface ConnectorContext {
  readonly system: string;
  readonly operationId: string;
  readonly policyHash: string;
  readonly purposes: readonly string[];
  /**
   * Applies the field's strategy to a value (reading the HMAC key the first time `hmac` needs it). Takes the
   * contract's field type, which a field of the invocation is, so that the SDK's types need not name zod's.
   */
  anonymise(field: ConnectorField, value: unknown): Promise<Anonymised>;
}

/** What `process` answers: the result without its system (every subject once, in `subjects` or in `failed`). */
export type Processed = Omit<ConnectorResult, 'system'>;

/** The fields to change in a kept or anonymised record. */
export interface FieldChanges {
  readonly remove: readonly InvocationField[];
  readonly anonymise: readonly InvocationField[];
}

export abstract class Connector<C = unknown> {
  /** The connector type (`dynamodb`, `s3`, `http`, `lambda`, or `custom` for one written with the SDK). */
  public abstract readonly type: string;

  protected constructor(
    public readonly system: string,
    public readonly config: C,
    protected readonly options: ConnectorOptions = {},
  ) {}

  /** Validates the invocation, runs it, and checks the outcomes. Throws only connector errors. */
  public async run(input: unknown): Promise<ConnectorResult> {
    const invocation = parseInvocation(input);
    if (invocation.system !== this.system) {
      throw new ConnectorPermanentError(
        `connector invocation is for system "${invocation.system}", but this connector serves "${this.system}"`,
      );
    }
    let processed: Processed;
    const context = this.context(invocation);
    try {
      processed = await this.process(invocation, context);
    } catch (error) {
      throw toConnectorError(error, `${this.type} connector of system "${this.system}"`);
    }
    checkOutcomes(processed.subjects, invocation.subjects, `${this.type} connector result`, processed.failed);
    checkActionOutcomes(processed.subjects, invocation.subjects, `${this.type} connector result`);
    checkExports(processed.subjects, invocation.subjects, `${this.type} connector result`);
    const { subjects, failed = [] } = await this.verified(invocation, processed, context);
    return { system: this.system, subjects, ...(failed.length > 0 ? { failed } : {}) };
  }

  /**
   * Verification (contract VERIFICATIONS; issue 19): what of each given subject its action should have removed is still
   * in the system, asked of the system after the action, in the same invocation (no round trip of the workflow's). One
   * entry per subject it could ask about: the counts of what is still there (all 0: nothing), or the error that kept
   * it from asking. A subject without an entry is `unverified`: by default a connector cannot verify. Called only
   * with subjects whose action removes data (`needsVerification`) and that got an outcome.
   */
  protected verify(_subjects: readonly InvocationSubject[], _context: ConnectorContext): Promise<ReadonlyMap<string, Counts | Error>> {
    return Promise.resolve(new Map());
  }

  /**
   * The one place verification is applied (every connector type, the SDK's too): each outcome of a `delete`,
   * `anonymise` or `keep` with fields gets `verification`, unless it carries one already (a user's function that
   * verified itself, with the SDK); a subject found with data left fails with `ConnectorVerificationError`, and one
   * whose verification could not be asked for a permanent reason (access denied, a bad answer) fails with that error;
   * one that failed for a moment (throttled, a time-out) keeps the action's outcome, `unverified`. Such failures go in `failed`, never thrown, even for the only subject, so
   * that the error's name reaches the workflow across the Lambda boundary.
   */
  private async verified(invocation: Invocation, processed: Processed, context: ConnectorContext): Promise<Processed> {
    const bySubject = new Map(invocation.subjects.map((s) => [s.subjectRef, s]));
    const asked = processed.subjects
      .map((outcome) => bySubject.get(outcome.subjectRef)!)
      .filter((subject, i) => needsVerification(subject) && processed.subjects[i].verification === undefined);
    if (asked.length === 0) return processed;
    let answers: ReadonlyMap<string, Counts | Error>;
    try {
      answers = await this.verify(asked, context);
    } catch (error) {
      const failure = toConnectorError(error, `${this.type} connector of system "${this.system}": verification`);
      answers = new Map(asked.map((s) => [s.subjectRef, failure]));
    }
    const subjects: ConnectorSubjectOutcome[] = [];
    const failed: ConnectorSubjectFailure[] = [...(processed.failed ?? [])];
    for (const outcome of processed.subjects) {
      const subject = bySubject.get(outcome.subjectRef)!;
      if (!asked.includes(subject)) {
        subjects.push(outcome);
        continue;
      }
      const answer = answers.get(subject.subjectRef);
      if (answer === undefined) {
        subjects.push({ ...outcome, verification: 'unverified' });
        continue;
      }
      const remaining = answer instanceof Error ? undefined : addCounts(answer);
      if (remaining !== undefined && remaining.records + remaining.fields + remaining.objects === 0) {
        subjects.push({ ...outcome, verification: 'verified' });
        continue;
      }
      if (remaining === undefined && toConnectorError(answer, 'verification') instanceof ConnectorTransientError) {
        // The action's outcome stands: it was done. Running it again for a verification that failed for a moment would
        // meet what it already did (nothing-found, with a new idempotency key) and hide what it did; so the record is
        // unverified, said here, and the next action of the subject is verified as usual.
        subjects.push({ ...outcome, verification: 'unverified' });
        logger.warn('verification could not be asked (a transient failure): unverified', {
          system: this.system,
          subjectRef: subject.subjectRef,
          cause: errorName(answer),
        });
        continue;
      }
      const error =
        remaining === undefined
          ? toConnectorError(answer, `${this.type} connector of system "${this.system}": verification`)
          : new ConnectorVerificationError(
              `${this.type} connector of system "${this.system}": after ${subject.record}, the system still holds ${remaining.records} record(s), ${remaining.fields} field(s), ${remaining.objects} object(s) of the subject`,
            );
      failed.push({ subjectRef: subject.subjectRef, error: error.name, transient: error instanceof ConnectorTransientError });
      // Names and counts only: what was found is the subject's data.
      logger.warn(
        remaining === undefined ? 'verification could not be asked: the subject fails' : 'verification found data left: the subject fails',
        {
          system: this.system,
          subjectRef: subject.subjectRef,
          error: error.name,
          ...(remaining === undefined ? { cause: errorName(answer) } : { remaining }),
        },
      );
    }
    return failed.length > 0 ? { subjects, failed: orderOf(invocation, failed) } : { subjects };
  }

  /** Does the work of one validated invocation: every subject once, an outcome in `subjects` or a failure in `failed`. */
  protected abstract process(invocation: Invocation, context: ConnectorContext): Promise<Processed>;

  private context(invocation: Invocation): ConnectorContext {
    let key: Promise<Uint8Array | string> | undefined;
    const hmacKey = this.options.hmacKey;
    return {
      system: invocation.system,
      operationId: invocation.operationId,
      policyHash: invocation.policyHash,
      purposes: invocation.purposes,
      async anonymise(field: ConnectorField, value: unknown): Promise<Anonymised> {
        const strategy = field.anonymise as Strategy | undefined;
        if (!needsHmacKey(strategy)) return anonymise(value, strategy);
        if (!hmacKey) {
          throw new ConnectorPermanentError(
            `field "${field.name}" uses the hmac strategy, but no HMAC key is configured (${ENV.hmacSecret})`,
          );
        }
        key ??= hmacKey();
        return anonymise(value, strategy, { hmacKey: await key });
      },
    };
  }
}

/**
 * Subjects a SubjectConnector does at once within one invocation (issue 16): a sweep batch sends many subjects in one
 * invocation (25 today, up to 1 000 allowed), which one after another would take as many round trips in turn.
 */
export const CONNECTOR_SUBJECTS_AT_ONCE = 16;

/** A connector that acts subject by subject, `subjectsAtOnce` subjects at a time. */
export abstract class SubjectConnector<C = unknown> extends Connector<C> {
  /**
   * Subjects of one invocation done at once. One by default: a type opts in (DynamoDB, whose calls are by key) only
   * where subjects cannot meet in the store. S3's tag layout lists the whole bucket per subject, so one subject's
   * delete raced another's listing (a permanent failure of a valid subject, found by the isolation property test);
   * a user's SDK handlers were written for one subject at a time.
   */
  protected readonly subjectsAtOnce: number = 1;

  /** Deletes every record of the subject; counts what it deleted. */
  protected abstract deleteRecord(subject: InvocationSubject, context: ConnectorContext): Promise<Counts>;

  /** Removes and anonymises fields in every record of the subject; counts what it changed. */
  protected abstract changeFields(subject: InvocationSubject, changes: FieldChanges, context: ConnectorContext): Promise<Counts>;

  /**
   * Record action `restrict` (spec 2.4): marks every record of the subject as restricted (with the request id and
   * until-date of `restriction`), changing nothing else; counts the records marked. By default the connector type
   * does not implement it: a permanent error naming the action.
   */
  protected restrictRecord(_subject: InvocationSubject, _restriction: ConnectorRestriction, _context: ConnectorContext): Promise<Counts> {
    return Promise.reject(new ConnectorPermanentError(`the ${this.type} connector does not implement record action "restrict"`));
  }

  /**
   * Record action `unrestrict`: removes the mark `restrict` set, if it is this restriction's (a later request's
   * mark stays), changing nothing else; counts the records unmarked. By default: a permanent error naming it.
   */
  protected unrestrictRecord(_subject: InvocationSubject, _restriction: ConnectorRestriction, _context: ConnectorContext): Promise<Counts> {
    return Promise.reject(new ConnectorPermanentError(`the ${this.type} connector does not implement record action "unrestrict"`));
  }

  /**
   * Record action `export` (spec 2.4, Art. 15): reads the subject's records and returns the listed `fields` of each
   * (only those; a field a record does not have is left out), changing nothing; within EXPORT_LIMITS. The copy is
   * personal data: never log it. By default the connector type does not implement it: a permanent error naming it.
   */
  protected exportRecord(
    _subject: InvocationSubject,
    _fields: readonly InvocationField[],
    _context: ConnectorContext,
  ): Promise<ConnectorExport> {
    return Promise.reject(new ConnectorPermanentError(`the ${this.type} connector does not implement record action "export"`));
  }

  /**
   * Verification (issue 19): asks the system, after the action, what of the subject the action should have removed is
   * still there (`Connector.verify`), with the same lookup as the action (never more: another subject's data is never
   * counted; never less: the subject's own is never missed). `delete`: every record (object, version) the action would
   * find now; a field action: `fieldsRemaining` in each record. Answers the counts of what is still there (all 0:
   * nothing), or undefined when it cannot tell (`unverified`). By default the type cannot verify.
   */
  protected verifyRecord(_subject: InvocationSubject, _changes: FieldChanges, _context: ConnectorContext): Promise<Counts | undefined> {
    return Promise.resolve(undefined);
  }

  protected override async verify(
    subjects: readonly InvocationSubject[],
    context: ConnectorContext,
  ): Promise<ReadonlyMap<string, Counts | Error>> {
    const answers = await mapLimit(subjects, this.subjectsAtOnce, async (subject): Promise<Counts | Error | undefined> => {
      try {
        return await this.verifyRecord(subject, { remove: subject.removeFields, anonymise: subject.anonymiseFields }, context);
      } catch (error) {
        return error instanceof Error ? error : toConnectorError(error, `${this.type} connector of system "${this.system}": verification`);
      }
    });
    const map = new Map<string, Counts | Error>();
    subjects.forEach((subject, i) => {
      const answer = answers[i];
      if (answer !== undefined) map.set(subject.subjectRef, answer);
    });
    return map;
  }

  /** Anonymises every record of the subject: by default, every personal field by its strategy. */
  protected anonymiseRecord(subject: InvocationSubject, changes: FieldChanges, context: ConnectorContext): Promise<Counts> {
    return this.changeFields(subject, changes, context);
  }

  /**
   * Checks one subject before anything is done to any (bad input must never cause a partial erasure).
   * Throw a `ConnectorPermanentError` naming what is wrong, never a value.
   */
  protected validateSubject(_subject: InvocationSubject, _index: number): void {
    // No check beyond the contract's by default: a connector type with more to check overrides this.
  }

  /**
   * Validates every subject before doing any, then does the valid ones, `subjectsAtOnce` at a time. A subject that
   * fails validation or processing is recorded in `failed` and the others go on: one subject that cannot be processed
   * (an unsafe locator, say) must not hold back its batch, nor have anything done to it. If every subject failed, the
   * first one's error (in the invocation's order) is thrown.
   */
  protected override async process(invocation: Invocation, context: ConnectorContext): Promise<Processed> {
    const subjects: ConnectorSubjectOutcome[] = [];
    const failed: ConnectorSubjectFailure[] = [];
    const errors = new Map<InvocationSubject, ConnectorError>();
    const fail = (subject: InvocationSubject, caught: unknown, message: string): void => {
      const error = toConnectorError(caught, `${this.type} connector of system "${this.system}"`);
      errors.set(subject, error);
      failed.push({ subjectRef: subject.subjectRef, error: error.name, transient: error instanceof ConnectorTransientError });
      // Names only: the message of a user's function or of a remote error may quote the subject's data.
      logger.warn(message, { system: this.system, subjectRef: subject.subjectRef, error: error.name, cause: errorName(caught) });
    };
    const valid = invocation.subjects.filter((subject, index) => {
      try {
        this.validateSubject(subject, index);
        return true;
      } catch (caught) {
        fail(subject, caught, 'subject refused: nothing is done to it; going on with the others');
        return false;
      }
    });
    // Several subjects at a time (issue 16: a sweep batch is one invocation); each subject's work is its own, and the
    // outcomes keep the invocation's order.
    const outcomes = await mapLimit(valid, this.subjectsAtOnce, async (subject) => {
      try {
        return await this.processSubject(subject, context);
      } catch (caught) {
        fail(subject, caught, 'connector failed for a subject: going on with the others');
        return undefined;
      }
    });
    for (const outcome of outcomes) if (outcome) subjects.push(outcome);
    const first = invocation.subjects.map((subject) => errors.get(subject)).find((error) => error !== undefined);
    if (first && subjects.length === 0) throw first;
    return failed.length > 0 ? { subjects, failed: orderOf(invocation, failed) } : { subjects };
  }

  private async processSubject(subject: InvocationSubject, context: ConnectorContext): Promise<ConnectorSubjectOutcome> {
    const changes: FieldChanges = { remove: subject.removeFields, anonymise: subject.anonymiseFields };
    let counts: Counts;
    switch (subject.record) {
      case 'delete':
        counts = await this.deleteRecord(subject, context);
        break;
      case 'anonymise':
        counts = await this.anonymiseRecord(subject, changes, context);
        break;
      case 'keep':
        // Nothing to change: the system is left alone.
        counts = changes.remove.length + changes.anonymise.length === 0 ? {} : await this.changeFields(subject, changes, context);
        break;
      case 'restrict':
        counts = await this.restrictRecord(subject, subject.restriction!, context);
        break;
      case 'unrestrict':
        counts = await this.unrestrictRecord(subject, subject.restriction!, context);
        break;
      case 'export': {
        const copy = await this.exportRecord(subject, subject.exportFields ?? [], context);
        const fields = copy.records.reduce((sum, r) => sum + Object.keys(r.fields).length, 0);
        return { ...outcomeOf(subject, { records: copy.records.length, fields, objects: copy.objects?.length ?? 0 }), export: copy };
      }
    }
    return outcomeOf(
      subject,
      parseOrThrow(ConnectorCountsSchema.partial(), counts ?? {}, `counts reported for subject ${subject.subjectRef}`),
    );
  }
}

/** Failures in the invocation's order of subjects. */
function orderOf(invocation: Invocation, failed: readonly ConnectorSubjectFailure[]): ConnectorSubjectFailure[] {
  const position = new Map(invocation.subjects.map((s, i) => [s.subjectRef, i]));
  return [...failed].sort((a, b) => (position.get(a.subjectRef) ?? 0) - (position.get(b.subjectRef) ?? 0));
}

/** The status of one subject from its action and the counts of what was done (see the module comment). */
export function outcomeOf(
  subject: { readonly subjectRef: string; readonly record: RecordAction; readonly removeFields: readonly unknown[] },
  counts: Counts,
): ConnectorSubjectOutcome {
  const full: ConnectorCounts = { records: counts.records ?? 0, fields: counts.fields ?? 0, objects: counts.objects ?? 0 };
  const status: ConnectorSubjectOutcome['status'] =
    subject.record === 'restrict'
      ? 'restricted' // counts 0: nothing found to mark (the runtime records nothing-found)
      : subject.record === 'unrestrict'
        ? 'unrestricted'
        : subject.record === 'export'
          ? 'exported' // counts 0: nothing found to copy
          : full.records + full.fields + full.objects === 0
            ? 'nothing-found'
            : subject.record === 'delete'
              ? 'erased'
              : subject.record === 'anonymise'
                ? 'anonymised'
                : subject.removeFields.length > 0
                  ? 'fields-removed'
                  : 'fields-anonymised';
  return { subjectRef: subject.subjectRef, status, counts: full };
}

/**
 * Whether verification covers a subject's action: one that removes data (`delete`; `anonymise` or `keep` with fields to
 * remove or anonymise: with none, the action changes nothing and there is nothing to verify).
 */
export function needsVerification(subject: {
  readonly record: RecordAction;
  readonly removeFields: readonly unknown[];
  readonly anonymiseFields: readonly unknown[];
}): boolean {
  if (subject.record === 'delete') return true;
  return (subject.record === 'anonymise' || subject.record === 'keep') && subject.removeFields.length + subject.anonymiseFields.length > 0;
}

/**
 * Of one record (a table item, a JSON record), the fields that still hold what a field action should have changed: a
 * field to remove (or whose strategy removes its value) that is there, or a field to anonymise whose value its strategy
 * would change again. Every strategy leaves its own output as it is (an hmac's 64 hex digits, "[redacted]", a year),
 * so a value it would change is one it never saw. `random` draws new text each time: its output cannot be told from
 * the original, so such a field is not counted and `unknown` is set (the record cannot be verified).
 * Never reads a value out: it answers counts only.
 */
export async function fieldsRemaining(
  record: Readonly<Record<string, unknown>>,
  changes: FieldChanges,
  context: Pick<ConnectorContext, 'anonymise'>,
): Promise<{ readonly fields: number; readonly unknown: boolean }> {
  let fields = 0;
  let unknown = false;
  const removed = new Set(changes.remove.map((f) => f.name));
  for (const name of removed) if (Object.hasOwn(record, name)) fields++;
  for (const field of changes.anonymise) {
    if (removed.has(field.name) || !Object.hasOwn(record, field.name)) continue;
    if (field.anonymise?.strategy === 'random') {
      unknown = true;
      continue;
    }
    const again = await context.anonymise(field, record[field.name]);
    if (again.remove || !isDeepStrictEqual(again.value, record[field.name])) fields++;
  }
  return { fields, unknown };
}

/** Adds counts up. */
export function addCounts(...all: readonly Counts[]): ConnectorCounts {
  return all.reduce<ConnectorCounts>(
    (sum, c) => ({
      records: sum.records + (c.records ?? 0),
      fields: sum.fields + (c.fields ?? 0),
      objects: sum.objects + (c.objects ?? 0),
    }),
    { records: 0, fields: 0, objects: 0 },
  );
}
