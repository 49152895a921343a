/**
 * Access exports in the exports bucket (issue 14, item 4; the bucket: lib/stack/exports-bucket.ts, in local mode an
 * s3rver bucket). Under `exports/<requestId>/`:
 * - `parts/<sha256 of the record>.json`: one record's connector export (`putPart`), written by the per-record task
 *   so that no personal data passes through the workflow's execution history; read back by `readParts`;
 * - `export.json` and `export.html`: the document and its page (lib/runtime/export-document.ts), written by
 *   `publishExport`, which returns presigned GET links valid `EXPORT_LINK_SECONDS` (7 days) and records in the audit
 *   trail that the export was produced: the request id, the subject's audit HMAC and the SHA-256 of the JSON as
 *   stored, never its content.
 * - `audited.json`: written after the audit record of the export (`markAudited`), so that a finish run again writes
 *   none a second time.
 * Every object is written with SSE-KMS (the bucket's key; `kms` names another) and is deleted by the bucket's
 * lifecycle after 30 days.
 *
 * Producing an export is idempotent (`produceExport`): the finish step may run again (a retry, a redrive) after it
 * published the document, or after it audited it. It reads the document first; one already published is kept as it is
 * (its generatedAt, its hash, its 7 days) and only its page is written again (the same bytes, rendered from it); the
 * audit is written once, unless the mark says it was.
 *
 * A presigned URL is valid until its expiry only while the credentials that signed it are: signed with a Lambda
 * role's session it stops working when that session ends (hours, not days). `exportLinks` therefore presigns afresh,
 * valid for what is left of the 7 days since the export was produced: the API hands out new links on each read, and
 * refuses once the 7 days are over.
 */
import { createHash } from 'node:crypto';
import { Temporal } from '@js-temporal/polyfill';
import { GetObjectCommand, NoSuchKey, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AuditEntry } from '../audit/record';
import type { ConnectorCounts, ConnectorField } from '../core/contract';
import { InputError } from '../core/errors';
import type { AccessEntry } from '../planner/plan';
import type { Policy } from '../policy/model';
import {
  buildExportDocument,
  EXPORT_FORMAT,
  renderExportHtml,
  type ExportDocument,
  type ExportLang,
  type RecordExport,
} from './export-document';

/** How long the subject's links are valid: 7 days from the export's production. */
export const EXPORT_LINK_SECONDS = 7 * 24 * 3600;

/** The prefix of every export object (the stack's grant is on it: EXPORTS_PREFIX in lib/stack/exports-bucket.ts). */
export const EXPORT_OBJECT_PREFIX = 'exports/';

/** The audit record's `system` for an export, which covers every system of the request. */
export const EXPORT_AUDIT_SYSTEM = '*';

/** Signs a GET of one object for `expiresIn` seconds (`getSignedUrl` of @aws-sdk/s3-request-presigner). */
export type Presigner = (client: S3Client, command: GetObjectCommand, options: { expiresIn: number }) => Promise<string>;

export interface ExportStoreProps {
  readonly client: S3Client;
  readonly bucket: string;
  /** @default getSignedUrl of @aws-sdk/s3-request-presigner */
  readonly presign?: Presigner;
  /** A KMS key id or ARN to encrypt with. @default the bucket's default encryption (SSE-KMS with its key) */
  readonly kmsKeyId?: string;
  /** Whether to ask for SSE-KMS on each put (s3rver, local mode's S3, does not do KMS). @default true */
  readonly kms?: boolean;
}

/** A link to one export object. */
export interface ExportLink {
  readonly key: string;
  readonly url: string;
}

export interface ExportLinks {
  readonly json: ExportLink;
  readonly html: ExportLink;
  /** UTC ISO: when the links stop working (7 days after the export was produced). */
  readonly expiresAt: string;
}

export interface PublishedExport extends ExportLinks {
  /** SHA-256 (hex) of the JSON document as stored: what the audit record holds. */
  readonly sha256: string;
}

/** An export's objects are addressed by the request id: an id that could leave its folder is refused. */
function requestFolder(requestId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(requestId) || requestId.includes('..')) {
    throw new InputError('expected a request id of letters, digits, ".", "_" and "-" (at most 128)', { path: 'requestId' });
  }
  return `${EXPORT_OBJECT_PREFIX}${requestId}/`;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export class ExportStore {
  private readonly presign: Presigner;

  public constructor(private readonly props: ExportStoreProps) {
    this.presign = props.presign ?? ((client, command, options) => getSignedUrl(client, command, options));
  }

  /** Writes one record's export (the per-record task), under a key that names neither the system's data nor the item. */
  public async putPart(requestId: string, part: RecordExport): Promise<string> {
    const key = `${requestFolder(requestId)}parts/${sha256(JSON.stringify([part.system, part.ref ?? null]))}.json`;
    await this.put(key, JSON.stringify(part), 'application/json');
    return key;
  }

  /** Every record's export written for the request, in key order. */
  public async readParts(requestId: string): Promise<RecordExport[]> {
    const prefix = `${requestFolder(requestId)}parts/`;
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.props.client }, { Bucket: this.props.bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key?.startsWith(prefix)) keys.push(object.Key);
    }
    const parts: RecordExport[] = [];
    for (const key of keys.sort()) {
      const object = await this.props.client.send(new GetObjectCommand({ Bucket: this.props.bucket, Key: key }));
      parts.push(JSON.parse((await object.Body?.transformToString('utf-8')) ?? '') as RecordExport);
    }
    return parts;
  }

  /** Writes the document (JSON) and its page (HTML); returns their links, valid 7 days from `producedAt`. */
  public async publish(document: ExportDocument, html: string, producedAt: Date): Promise<PublishedExport> {
    const folder = requestFolder(document.requestId);
    const json = `${JSON.stringify(document, null, 2)}\n`;
    await this.put(`${folder}export.json`, json, 'application/json; charset=utf-8');
    await this.putPage(document.requestId, html);
    return { ...(await this.links(document.requestId, producedAt, producedAt)), sha256: sha256(json) };
  }

  /** Writes a request's page (HTML). */
  public async putPage(requestId: string, html: string): Promise<void> {
    await this.put(`${requestFolder(requestId)}export.html`, html, 'text/html; charset=utf-8');
  }

  /** The document published for the request, as stored, with the SHA-256 of its bytes; undefined when there is none. */
  public async readPublished(requestId: string): Promise<{ readonly document: ExportDocument; readonly sha256: string } | undefined> {
    const json = await this.getText(`${requestFolder(requestId)}export.json`);
    return json === undefined ? undefined : { document: JSON.parse(json) as ExportDocument, sha256: sha256(json) };
  }

  /** Whether the export with this hash was audited (`markAudited`). */
  public async isAudited(requestId: string, hash: string): Promise<boolean> {
    const mark = await this.getText(`${requestFolder(requestId)}audited.json`);
    return mark !== undefined && (JSON.parse(mark) as { sha256?: unknown }).sha256 === hash;
  }

  /** Records that the export with this hash is audited (after its audit record is written). */
  public async markAudited(requestId: string, hash: string, at: Date): Promise<void> {
    await this.put(`${requestFolder(requestId)}audited.json`, JSON.stringify({ sha256: hash, at: at.toISOString() }), 'application/json');
  }

  /**
   * An object's text, or undefined when the key does not exist: 404 NoSuchKey, or 403 AccessDenied, which S3 answers
   * for a missing key to a role it does not count as allowed to list the bucket (the publisher's ListBucket is limited
   * to the exports/ prefix by a condition). Taken as absent, the document is published and audited as on a first run.
   */
  private async getText(key: string): Promise<string | undefined> {
    try {
      const object = await this.props.client.send(new GetObjectCommand({ Bucket: this.props.bucket, Key: key }));
      return (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (error instanceof NoSuchKey || name === 'NoSuchKey' || name === 'AccessDenied') return undefined;
      throw error;
    }
  }

  /**
   * Fresh links to a request's export, valid for what is left of the 7 days since `producedAt` (see the module
   * comment). After those 7 days: an InputError (the export is no longer handed out; the lifecycle deletes it).
   */
  public async links(requestId: string, producedAt: Date, now: Date): Promise<ExportLinks> {
    const folder = requestFolder(requestId);
    const end = producedAt.getTime() + EXPORT_LINK_SECONDS * 1000;
    const expiresIn = Math.floor((end - now.getTime()) / 1000);
    if (expiresIn <= 0) {
      throw new InputError(`the export of request ${requestId} was produced more than 7 days ago: its links are no longer handed out`, {
        path: 'requestId',
      });
    }
    const link = async (name: string): Promise<ExportLink> => {
      const key = `${folder}${name}`;
      return {
        key,
        url: await this.presign(this.props.client, new GetObjectCommand({ Bucket: this.props.bucket, Key: key }), { expiresIn }),
      };
    };
    return { json: await link('export.json'), html: await link('export.html'), expiresAt: new Date(end).toISOString() };
  }

  private async put(key: string, body: string, contentType: string): Promise<void> {
    const kms = this.props.kms ?? true;
    await this.props.client.send(
      new PutObjectCommand({
        Bucket: this.props.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...(kms ? { ServerSideEncryption: 'aws:kms' as const, ...(this.props.kmsKeyId ? { SSEKMSKeyId: this.props.kmsKeyId } : {}) } : {}),
      }),
    );
  }
}

/** What the audit needs of a produced export. */
export interface ExportAuditInput {
  readonly requestId: string;
  /** The subject's audit HMAC (SubjectRefs.auditSubject), never the id. */
  readonly subject: string;
  readonly policyHash: string;
  readonly at: string;
  readonly document: ExportDocument;
  readonly sha256: string;
}

/**
 * The audit entry of a produced export: kind `access-request`, action `export`, outcome `exported`, the purposes it
 * covers, counts (records and fields exported, S3 objects listed) and the document's hash; no value, field name or
 * source of the document.
 */
export function exportAuditEntry(input: ExportAuditInput): AuditEntry {
  if (input.document.format !== EXPORT_FORMAT || input.document.requestId !== input.requestId) {
    throw new InputError(`the export document is not request ${input.requestId}'s`, { path: 'document.requestId' });
  }
  // A record listed under two purposes is counted once: its fields are the union of what each purpose shows.
  const byRecord = new Map<string, { fields: Set<string>[]; objects: number }>();
  for (const purpose of input.document.purposes) {
    for (const record of purpose.records) {
      const id = JSON.stringify([record.system, record.ref ?? null]);
      const seen = byRecord.get(id) ?? { fields: [], objects: record.objects?.length ?? 0 };
      (record.records ?? []).forEach((r, i) => {
        seen.fields[i] ??= new Set<string>();
        for (const name of Object.keys(r.values)) seen.fields[i].add(name);
      });
      byRecord.set(id, seen);
    }
  }
  const all = [...byRecord.values()];
  const counts: ConnectorCounts = {
    records: all.reduce((sum, r) => sum + r.fields.length, 0),
    fields: all.reduce((sum, r) => sum + r.fields.reduce((n, f) => n + f.size, 0), 0),
    objects: all.reduce((sum, r) => sum + r.objects, 0),
  };
  return {
    at: input.at,
    kind: 'access-request',
    requestId: input.requestId,
    purposes: input.document.purposes.map((p) => p.purpose),
    system: EXPORT_AUDIT_SYSTEM,
    action: 'export',
    outcome: 'exported',
    counts,
    subject: input.subject,
    policyHash: input.policyHash,
    objectHash: input.sha256,
  };
}

/**
 * The `exportFields` of a record's connector call (record action `export`): the fields the plan's access entry lists,
 * with their categories as the policy declares them for the system, in the system's order.
 */
export function exportFieldsOf(policy: Policy, entry: AccessEntry): ConnectorField[] {
  const system = policy.systems[entry.system];
  if (!system) throw new InputError(`unknown system "${entry.system}"`, { path: 'access.system' });
  const listed = new Set(entry.fields);
  return system.fields.filter((f) => listed.has(f.name)).map((f) => ({ name: f.name, category: f.category }));
}

export interface ProduceExportInput {
  readonly store: ExportStore;
  /** Writes the audit record (AuditWriter.write). */
  readonly audit: (entry: AuditEntry) => Promise<unknown>;
  readonly policy: Policy;
  readonly policyHash: string;
  readonly requestId: string;
  /** The plan's access entries (Plan.access). */
  readonly access: readonly AccessEntry[];
  readonly lang: ExportLang;
  /** The subject's audit HMAC (SubjectRefs.auditSubject). */
  readonly subject: string;
  readonly now: Date;
}

/**
 * The finish of an access request: reads the records' exports (`putPart`), builds the document and its page,
 * publishes them, audits that the export was produced, and answers the links (valid 7 days). The audit is written
 * after the objects, so an audited export always exists.
 *
 * Run again (the finish step retried or redriven), it publishes nothing new: a document already stored is kept as it
 * is (its page written again from it, in case the first run stopped in between), its links end 7 days after its own
 * production, and its audit record is written only if the first run did not write it (a run that stops between the
 * audit and its mark writes it again: at least once, never not at all).
 */
export async function produceExport(input: ProduceExportInput): Promise<PublishedExport> {
  const stored = await input.store.readPublished(input.requestId);
  let document: ExportDocument;
  let published: PublishedExport;
  if (stored) {
    document = stored.document;
    await input.store.putPage(input.requestId, renderExportHtml(document));
    const producedAt = new Date(Temporal.Instant.from(document.generatedAt).epochMilliseconds);
    published = { ...(await input.store.links(input.requestId, producedAt, input.now)), sha256: stored.sha256 };
  } else {
    const parts = await input.store.readParts(input.requestId);
    document = buildExportDocument({
      policy: input.policy,
      requestId: input.requestId,
      generatedAt: Temporal.Instant.fromEpochMilliseconds(input.now.getTime()),
      lang: input.lang,
      access: input.access,
      exports: parts,
    });
    published = await input.store.publish(document, renderExportHtml(document), input.now);
  }
  if (await input.store.isAudited(input.requestId, published.sha256)) return published;
  await input.audit(
    exportAuditEntry({
      requestId: input.requestId,
      subject: input.subject,
      policyHash: input.policyHash,
      at: input.now.toISOString(),
      document,
      sha256: published.sha256,
    }),
  );
  await input.store.markAudited(input.requestId, published.sha256, input.now);
  return published;
}
