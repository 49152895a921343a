/**
 * The connector SDK: write a connector of your own as a Lambda function in a few lines.
 *
 * ```ts
 * import { defineConnector } from '@lethe/connector-sdk'; // packages/connector-sdk: this file, built
 *
 * export const handler = defineConnector({
 *   async deleteRecord(subject) {
 *     const deleted = await db.deleteCustomer(subject.locator.customerId ?? subject.subjectId);
 *     return { records: deleted ? 1 : 0 };
 *   },
 *   async removeFields(subject, fields) {
 *     const n = await db.clearColumns(subject.locator.customerId ?? subject.subjectId, fields.map((f) => f.name));
 *     return { records: n > 0 ? 1 : 0, fields: n };
 *   },
 * });
 * ```
 *
 * The handler validates the invocation (bad input: `ConnectorPermanentError`), calls your functions subject by
 * subject, derives each status from your counts (all zero: `nothing-found`), and answers the
 * `ConnectorResult`. Throw `ConnectorTransientError` for what is worth retrying; an AWS SDK throttling, 5xx or
 * timeout error is classified as transient for you, anything else is permanent.
 *
 * Counts of one subject: `records` and `objects` are what you found and changed, `fields` the fields changed.
 * When both `removeFields` and `anonymiseFields` run for a subject, their `fields` add up and `records` and
 * `objects` are the larger of the two (both usually touch the same record).
 *
 * Verification (issue 19): give `verifyRecord` and, after each `delete`, `anonymise` or `keep` with fields, in the same
 * invocation, Lethe asks it what of the subject is still there: answer the counts (all zero: nothing is left, the
 * outcome is `verified`; anything else fails the subject with `ConnectorVerificationError`, and the request is not
 * completed). Without it the outcomes are `unverified`; declare `verify: true` in the system's config once you have it.
 *
 * ```ts
 *   async verifyRecord(subject) {
 *     return { records: (await db.findCustomer(subject.locator.customerId ?? subject.subjectId)) ? 1 : 0 };
 *   },
 * ```
 */
import {
  ENV,
  type ConnectorExport,
  type ConnectorField,
  type ConnectorRestriction,
  type ConnectorResult,
  type ConnectorSubject,
} from '../core/contract';
import { secretKeySource } from '../core/subject-ref';
import {
  SubjectConnector,
  type ConnectorContext,
  type ConnectorOptions,
  type Counts,
  type FieldChanges as ValidFieldChanges,
  type InvocationSubject as ValidSubject,
} from './connector';
import { ConnectorPermanentError } from './errors';

export { ConnectorPermanentError, ConnectorTransientError } from './errors';
export type { ConnectorContext, Counts } from './connector';
export type { ConnectorResult, ConnectorRestriction, ConnectorExport, ConnectorExportRecord } from '../core/contract';
export { EXPORT_LIMITS } from '../core/contract';

// The types your functions see are the contract's plain interfaces, not the zod schemas' outputs: the package
// @lethe/connector-sdk (packages/connector-sdk) bundles zod, and its type declarations must not need it.
/** One subject of the invocation, validated. */
export type InvocationSubject = ConnectorSubject;
/** A field to remove or anonymise (`anonymise`: its strategy, for `context.anonymise`). */
export type InvocationField = ConnectorField;
/** The fields to change in a kept or anonymised record (`anonymiseRecord`). */
export interface FieldChanges {
  readonly remove: readonly InvocationField[];
  readonly anonymise: readonly InvocationField[];
}

export interface ConnectorHandlers {
  /** Record action `delete`: delete every record of the subject. */
  deleteRecord(subject: InvocationSubject, context: ConnectorContext): Promise<Counts>;
  /** Remove these fields from the subject's records (record kept, or anonymised). */
  removeFields?(subject: InvocationSubject, fields: readonly InvocationField[], context: ConnectorContext): Promise<Counts>;
  /**
   * Anonymise these fields in the subject's records, each by its strategy: `context.anonymise(field, value)`
   * gives the new value (or tells you to remove the field).
   */
  anonymiseFields?(subject: InvocationSubject, fields: readonly InvocationField[], context: ConnectorContext): Promise<Counts>;
  /** Record action `anonymise`. @default removeFields, then anonymiseFields */
  anonymiseRecord?(subject: InvocationSubject, changes: FieldChanges, context: ConnectorContext): Promise<Counts>;
  /**
   * Record action `restrict` (spec 2.4, Art. 18): mark the subject's records so that your applications stop
   * processing them (with `restriction.requestId` and `restriction.until`), changing nothing else; count the
   * records marked (0: none found). Without it, a `restrict` fails the system with a permanent error naming it.
   */
  restrictRecord?(subject: InvocationSubject, restriction: ConnectorRestriction, context: ConnectorContext): Promise<Counts>;
  /** Record action `unrestrict`: remove that mark, where it is this request's. Without it: a permanent error. */
  unrestrictRecord?(subject: InvocationSubject, restriction: ConnectorRestriction, context: ConnectorContext): Promise<Counts>;
  /**
   * Record action `export` (spec 2.4, Art. 15, an access request): return a copy of these fields of the subject's
   * records, one entry per record found (`source`: where it is, in words the subject can follow; `fields`: each listed
   * field the record has, with its value), changing nothing. Return no other field (Lethe refuses the answer), keep it
   * under EXPORT_LIMITS.maxBytes (4 MiB; leave records out and set `truncated`), and never log it. Without it, an
   * `export` fails the system with a permanent error naming it.
   */
  exportRecord?(subject: InvocationSubject, fields: readonly InvocationField[], context: ConnectorContext): Promise<ConnectorExport>;
  /**
   * Verification (issue 19): called after `delete`, `anonymise` and `keep` with fields (`subject.record` says which;
   * `subject.removeFields`/`anonymiseFields` what should be gone), in the same invocation. Look the subject up again as
   * the action did (never wider: another subject's data is not the subject's) and count what is still there: for a
   * delete, every record left; for a field action, the records still holding a field to remove, or a field to anonymise
   * with a value its strategy would still change (`context.anonymise(field, value)` gives the same value back for an
   * anonymised one). All zero: `verified`. Anything left: the subject fails with `ConnectorVerificationError`. Without
   * it: `unverified`.
   */
  verifyRecord?(subject: InvocationSubject, context: ConnectorContext): Promise<Counts>;
}

export interface DefineConnectorOptions extends ConnectorOptions {}

/** A Lambda handler: `ConnectorInvocation` in, `ConnectorResult` out. */
export type ConnectorHandler = (event: unknown) => Promise<ConnectorResult>;

class DefinedConnector extends SubjectConnector<undefined> {
  public readonly type = 'custom';

  public constructor(
    system: string,
    private readonly handlers: ConnectorHandlers,
    options: ConnectorOptions,
  ) {
    super(system, undefined, options);
  }

  protected override deleteRecord(subject: ValidSubject, context: ConnectorContext): Promise<Counts> {
    return this.handlers.deleteRecord(subject, context);
  }

  protected override anonymiseRecord(subject: ValidSubject, changes: ValidFieldChanges, context: ConnectorContext): Promise<Counts> {
    return this.handlers.anonymiseRecord
      ? this.handlers.anonymiseRecord(subject, changes, context)
      : this.changeFields(subject, changes, context);
  }

  protected override async changeFields(subject: ValidSubject, changes: ValidFieldChanges, context: ConnectorContext): Promise<Counts> {
    const parts: Counts[] = [];
    if (changes.remove.length > 0) parts.push(await this.need('removeFields').call(this.handlers, subject, changes.remove, context));
    if (changes.anonymise.length > 0)
      parts.push(await this.need('anonymiseFields').call(this.handlers, subject, changes.anonymise, context));
    return {
      records: Math.max(0, ...parts.map((c) => c?.records ?? 0)),
      objects: Math.max(0, ...parts.map((c) => c?.objects ?? 0)),
      fields: parts.reduce((sum, c) => sum + (c?.fields ?? 0), 0),
    };
  }

  protected override restrictRecord(subject: ValidSubject, restriction: ConnectorRestriction, context: ConnectorContext): Promise<Counts> {
    if (!this.handlers.restrictRecord)
      return Promise.reject(
        new ConnectorPermanentError('this connector does not implement restrictRecord, and the invocation asks for it'),
      );
    return this.handlers.restrictRecord(subject, restriction, context);
  }

  protected override unrestrictRecord(
    subject: ValidSubject,
    restriction: ConnectorRestriction,
    context: ConnectorContext,
  ): Promise<Counts> {
    if (!this.handlers.unrestrictRecord)
      return Promise.reject(
        new ConnectorPermanentError('this connector does not implement unrestrictRecord, and the invocation asks for it'),
      );
    return this.handlers.unrestrictRecord(subject, restriction, context);
  }

  protected override exportRecord(
    subject: ValidSubject,
    fields: readonly InvocationField[],
    context: ConnectorContext,
  ): Promise<ConnectorExport> {
    if (!this.handlers.exportRecord)
      return Promise.reject(new ConnectorPermanentError('this connector does not implement exportRecord, and the invocation asks for it'));
    return this.handlers.exportRecord(subject, fields, context);
  }

  protected override async verifyRecord(
    subject: ValidSubject,
    _changes: ValidFieldChanges,
    context: ConnectorContext,
  ): Promise<Counts | undefined> {
    return this.handlers.verifyRecord ? ((await this.handlers.verifyRecord(subject, context)) ?? {}) : undefined;
  }

  private need(name: 'removeFields' | 'anonymiseFields'): NonNullable<ConnectorHandlers[typeof name]> {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the callers call it with .call(this.handlers, ...)
    const handler = this.handlers[name];
    if (!handler) throw new ConnectorPermanentError(`this connector does not implement ${name}, and the invocation asks for it`);
    return handler;
  }
}

/**
 * Turns your functions into a connector Lambda handler. The HMAC key for the `hmac` strategy is read from the
 * Secrets Manager secret named by `LETHE_HMAC_SECRET` (or pass `options.hmacKey`).
 */
export function defineConnector(handlers: ConnectorHandlers, options: DefineConnectorOptions = {}): ConnectorHandler {
  if (typeof handlers?.deleteRecord !== 'function') throw new TypeError('defineConnector: deleteRecord(subject, context) is required');
  const hmacSecret = process.env[ENV.hmacSecret];
  const hmacKey = options.hmacKey ?? (hmacSecret ? secretKeySource(hmacSecret) : undefined);
  return async function connectorHandler(event: unknown): Promise<ConnectorResult> {
    const system = (event as { system?: unknown } | null)?.system;
    // A missing or bad system is reported by the invocation's validation, with every other problem.
    return new DefinedConnector(typeof system === 'string' ? system : '', handlers, { ...options, hmacKey }).run(event);
  };
}
