/**
 * The S3 connector. A subject's objects are those under its prefix, or those tagged with it, or both
 * (config: `S3ConnectorConfig`).
 *
 * - Prefix: the template (`customers/{customerId}/`) is filled from the locator; `{subjectId}` is the subject's
 *   id unless the locator names it. A value that is empty, contains `/` or `..`, is `.`, or is missing from the
 *   locator is refused (permanent error) before anything is done, because it could widen the prefix to other
 *   subjects; so is one with a control character that XML listings do not return as it is (see `XML_UNSAFE`).
 *   Every placeholder is followed by `/` (the config schema enforces it), so `user1/` never matches `user10/`.
 * - Tag: every object version in the bucket is checked with GetObjectTagging; the subject's versions carry the
 *   tag `tagKey` with the value `locator[tagKey]`, or the subject id. This reads the whole bucket: use it for
 *   small buckets, or prefer a prefix. A value S3 would not store exactly as it is (outside S3's tag alphabet,
 *   over 256 characters, or with white space at either end) is refused before anything is done: see
 *   `tagValueProblem`.
 *
 * Delete (a real erasure): every version and every delete marker of the subject's objects (ListObjectVersions,
 * all pages; DeleteObjects in batches of 1000; an error for any object fails the call). When only some versions
 * of a key are tagged with the subject, only those are deleted: another subject's versions are never touched.
 *
 * Field actions: the current version of each object is read as JSON (an object, or an array of objects: its
 * records), the fields (top-level keys) are removed or anonymised, and the result is written back as a new
 * version with the same content type, metadata, encryption and tags; then every other version (and delete
 * marker) of that key is deleted, since they still hold the old values. An object that is not JSON is a
 * permanent error, raised before anything of that subject is written. Empty objects ("folder" markers) have no
 * fields and are left alone.
 *
 * Restriction (spec 2.4): `restrict` tags every version of the subject's objects (delete markers have no tags)
 * with `restrictedTag` (default `lethe-restricted`), value the request id (and ` until <UTC ISO>` when the
 * restriction ends); the other tags of each version are kept, and the object's bytes, metadata and version are
 * untouched (PutObjectTagging with the version's id). `unrestrict` removes that tag where it is the same request's.
 *
 * Export (spec 2.4, Art. 15): the current version of each of the subject's objects (found as above; noncurrent versions
 * and delete markers are not exported), sorted by key, at most EXPORT_LIMITS.maxObjects of them. Each is listed in
 * `objects` with its key, size, last modification, content type and user metadata (HeadObject). An object that looks
 * like JSON (its content type says json, or its key ends in `.json`) and is at most EXPORT_LIMITS.maxObjectBytes is
 * read: each of its records (the object, or each object of an array) gives one export record with the listed fields
 * (top-level keys) it has, `source` naming the bucket, the key and the record's position. Other objects (an image, a
 * PDF) are listed, `contentIncluded: false`: the document names them, it does not carry their bytes. Past
 * EXPORT_LIMITS.maxBytes, or past maxObjects, the rest is left out and `truncated` is set.
 *
 * Verification (issue 19, `verifyRecord`): after `delete`, `anonymise` or `keep` with fields, the subject's objects are
 * listed again as the action found them (ListObjectVersions under the prefix, every version and delete marker; the
 * tag layout's tagged versions). `delete`: every key with a version or a delete marker of the subject left is counted
 * (a delete marker holds no data, but its key may name the subject, and the action removes it). A field action: a key
 * with any version or marker besides its current version is counted (old versions hold the old values), and each
 * record of the current version is checked with `fieldsRemaining`. The prefix ends in "/" after each value, so
 * `user1/` never counts `user10/`'s objects. In a store without versioning (s3rver in local mode) the listing is of
 * the current objects, which are all such a store keeps.
 *
 * A store without versioning APIs (s3rver in local mode answers ListObjectVersions with MethodNotAllowed) is
 * handled as unversioned: ListObjectsV2, and deletes by key.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  type GetObjectCommandOutput,
  type ObjectIdentifier,
  type Tag,
} from '@aws-sdk/client-s3';
import { isDeepStrictEqual } from 'node:util';
import {
  EXPORT_LIMITS,
  type ConnectorExport,
  type ConnectorExportObject,
  type ConnectorExportRecord,
  type ConnectorRestriction,
} from '../core/contract';
import type { S3ConnectorConfig } from './config';
import { placeholders } from './descriptor';
import { createS3Client } from './clients';
import {
  fieldsRemaining,
  SubjectConnector,
  type ConnectorContext,
  type ConnectorOptions,
  type Counts,
  type FieldChanges,
  type InvocationField,
  type InvocationSubject,
} from './connector';
import { ConnectorPermanentError, ConnectorTransientError, toConnectorError } from './errors';

export interface S3ConnectorOptions extends ConnectorOptions {
  /** @default a client for `config.region`, path-style when an endpoint is set (see clients.ts) */
  readonly client?: S3Client;
}

/** The tag `restrict` sets on each version of a restricted object, unless the config's `restrictedTag` names another. */
export const DEFAULT_RESTRICTED_TAG = 'lethe-restricted';

/** The restriction tag's value: the request id, and its end when it has one. */
export function restrictedTagValue(restriction: ConnectorRestriction): string {
  return restriction.until === undefined ? restriction.requestId : `${restriction.requestId} until ${restriction.until}`;
}

/** DeleteObjects takes at most 1000 keys per call. */
export const DELETE_BATCH = 1000;

/** One version or delete marker of a key. `versionId` is undefined in an unversioned store. */
interface Entry {
  readonly key: string;
  readonly versionId?: string;
  readonly latest: boolean;
  readonly deleteMarker: boolean;
}

/** A key with some of the subject's data: `entries` are the subject's versions/markers of it, `whole` if it is all of them. */
interface Target {
  readonly key: string;
  readonly entries: readonly Entry[];
}

/** The result of reading one object for a field action, before anything is written. */
interface Rewrite {
  readonly target: Target;
  /** The current version to replace, with its new body; absent when the current data needs no change. */
  readonly put?: {
    readonly body: string;
    readonly source: GetObjectCommandOutput;
    readonly tags: readonly Tag[];
    readonly records: number;
    readonly fields: number;
  };
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/**
 * Characters of a key that an XML listing (ListObjectsV2, ListObjectVersions) does not return as they are: those
 * XML 1.0 does not allow (C0 controls but tab and line feed, U+FFFE, U+FFFF), and the carriage return, which XML
 * parsers turn into a line feed (the SDK's does). Under a prefix holding one, the listed keys would not start with
 * the prefix, and the subject's objects would be reported as not found.
 */
// eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot carry, control characters among them
const XML_UNSAFE = /[\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\uFFFE\uFFFF]/;

export class S3Connector extends SubjectConnector<S3ConnectorConfig> {
  public readonly type = 's3';
  private readonly client: S3Client;
  /** Set once ListObjectVersions turned out unsupported (local S3 servers). */
  private unversioned = false;

  public constructor(system: string, config: S3ConnectorConfig, options: S3ConnectorOptions = {}) {
    super(system, config, options);
    this.client = options.client ?? createS3Client({ region: config.region });
  }

  /**
   * The subject's prefix: the template with every placeholder filled. Throws a permanent error for a missing
   * or unsafe value (the message names the placeholder, never the value).
   */
  public prefixOf(subject: Pick<InvocationSubject, 'locator' | 'subjectId'>, template: string): string {
    const filled = template.replace(PLACEHOLDER, (_match, name: string) => {
      const value = subject.locator[name] ?? (name === 'subjectId' ? subject.subjectId : undefined);
      if (value === undefined) throw new ConnectorPermanentError(`the locator has no value for {${name}} of prefix "${template}"`);
      const problem = prefixValueProblem(value);
      if (problem) throw new ConnectorPermanentError(`the value for {${name}} of prefix "${template}" ${problem}`);
      return value;
    });
    // Defence in depth: the config schema already requires "/" after each placeholder.
    for (const name of placeholders(template)) {
      if (!template.includes(`{${name}}/`)) throw new ConnectorPermanentError(`in prefix "${template}", {${name}} is not followed by "/"`);
    }
    return filled;
  }

  private tagValueOf(subject: Pick<InvocationSubject, 'locator' | 'subjectId'>): string {
    return subject.locator[this.config.tagKey!] ?? subject.subjectId;
  }

  protected override validateSubject(subject: InvocationSubject, index: number): void {
    try {
      if (this.config.prefix) this.prefixOf(subject, this.config.prefix);
    } catch (error) {
      throw new ConnectorPermanentError(`subjects[${index}]: ${(error as Error).message}`);
    }
    if (this.config.tagKey) {
      const problem = tagValueProblem(this.tagValueOf(subject));
      if (problem) throw new ConnectorPermanentError(`subjects[${index}]: the tag value (tag "${this.config.tagKey}") ${problem}`);
    }
  }

  protected override async deleteRecord(subject: InvocationSubject): Promise<Counts> {
    const targets = await this.targetsOf(subject);
    await this.deleteEntries(targets.flatMap((t) => t.entries));
    return { objects: targets.filter((t) => t.entries.some((e) => !e.deleteMarker)).length };
  }

  protected override async verifyRecord(
    subject: InvocationSubject,
    changes: FieldChanges,
    context: ConnectorContext,
  ): Promise<Counts | undefined> {
    const targets = await this.targetsOf(subject);
    if (subject.record === 'delete') return { objects: targets.filter((t) => t.entries.length > 0).length };
    let objects = 0;
    let records = 0;
    let fields = 0;
    let unknown = false;
    for (const target of targets) {
      const current = target.entries.find((e) => e.latest && !e.deleteMarker);
      let left = target.entries.some((e) => e !== current);
      if (current) {
        const found = await this.remainingIn(target.key, current.versionId, changes, context);
        if (found === undefined) unknown = true;
        else if (found.fields > 0) {
          left = true;
          records += found.records;
          fields += found.fields;
        }
      }
      if (left) objects++;
    }
    if (objects === 0 && unknown) return undefined;
    return { objects, records, fields };
  }

  /** Of the current version of one object: the records and fields a field action left (undefined: not JSON, cannot tell). */
  private async remainingIn(
    key: string,
    versionId: string | undefined,
    changes: FieldChanges,
    context: ConnectorContext,
  ): Promise<{ records: number; fields: number } | undefined> {
    const source = await this.call('GetObject', () =>
      this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) })),
    );
    const text = (await source.Body?.transformToString('utf-8')) ?? '';
    if (text.trim() === '') return { records: 0, fields: 0 };
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      return undefined;
    }
    let records = 0;
    let fields = 0;
    let unknown = false;
    for (const record of Array.isArray(document) ? document : [document]) {
      if (!isPlainObject(record)) continue;
      const left = await fieldsRemaining(record, changes, context);
      unknown ||= left.unknown;
      if (left.fields > 0) {
        records++;
        fields += left.fields;
      }
    }
    return fields === 0 && unknown ? undefined : { records, fields };
  }

  protected override async restrictRecord(subject: InvocationSubject, restriction: ConnectorRestriction): Promise<Counts> {
    const value = restrictedTagValue(restriction);
    return this.retag(subject, (tags) => {
      const current = tags.find((t) => t.Key === this.restrictedTag);
      if (current?.Value === value) return undefined; // marked already (a re-run)
      return [...tags.filter((t) => t.Key !== this.restrictedTag), { Key: this.restrictedTag, Value: value }];
    });
  }

  protected override async unrestrictRecord(subject: InvocationSubject, restriction: ConnectorRestriction): Promise<Counts> {
    return this.retag(subject, (tags) => {
      const current = tags.find((t) => t.Key === this.restrictedTag);
      // Only this request's mark: a later restriction's stays.
      if (current?.Value === undefined || !isMarkOf(current.Value, restriction.requestId)) return 'unchanged';
      return tags.filter((t) => t.Key !== this.restrictedTag);
    });
  }

  protected override async exportRecord(subject: InvocationSubject, fields: readonly InvocationField[]): Promise<ConnectorExport> {
    const listed = [...new Set(fields.map((f) => f.name))];
    const current = (await this.targetsOf(subject))
      .flatMap((t) => {
        const entry = t.entries.find((e) => e.latest && !e.deleteMarker);
        return entry ? [{ key: t.key, versionId: entry.versionId }] : [];
      })
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let truncated = current.length > EXPORT_LIMITS.maxObjects;
    const objects: ConnectorExportObject[] = [];
    const records: ConnectorExportRecord[] = [];
    // Room is left for the export's own keys.
    let room = EXPORT_LIMITS.maxBytes - 1024;
    for (const { key, versionId } of current.slice(0, EXPORT_LIMITS.maxObjects)) {
      const version = versionId ? { VersionId: versionId } : {};
      const head = await this.call('HeadObject', () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key, ...version })),
      );
      const size = head.ContentLength;
      const described: Omit<ConnectorExportObject, 'contentIncluded'> = {
        key,
        ...(size === undefined ? {} : { size }),
        ...(head.LastModified ? { lastModified: head.LastModified.toISOString() } : {}),
        ...(head.ContentType ? { contentType: head.ContentType } : {}),
        ...(head.Metadata && Object.keys(head.Metadata).length > 0 ? { metadata: head.Metadata } : {}),
      };
      room -= Buffer.byteLength(JSON.stringify(described), 'utf8') + 32;
      if (room < 0) {
        truncated = true;
        break;
      }
      let read: ConnectorExportRecord[] | undefined;
      const looksJson = /json/i.test(head.ContentType ?? '') || key.toLowerCase().endsWith('.json');
      if (looksJson && size !== undefined && size <= EXPORT_LIMITS.maxObjectBytes && size <= room) {
        read = await this.exportedRecords(key, version, listed);
        const used = read ? Buffer.byteLength(JSON.stringify(read), 'utf8') : 0;
        if (used > room) {
          read = undefined;
          truncated = true;
        } else room -= used;
      } else if (looksJson && size !== undefined && size <= EXPORT_LIMITS.maxObjectBytes) truncated = true;
      if (read) records.push(...read);
      objects.push({ ...described, contentIncluded: read !== undefined });
    }
    return { records, objects, ...(truncated ? { truncated } : {}) };
  }

  /** The records of one JSON object with the listed fields each has; undefined when the object is not JSON. */
  private async exportedRecords(
    key: string,
    version: { VersionId?: string },
    listed: readonly string[],
  ): Promise<ConnectorExportRecord[] | undefined> {
    const source = await this.call('GetObject', () =>
      this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key, ...version })),
    );
    const text = (await source.Body?.transformToString('utf-8')) ?? '';
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      return undefined; // listed without its content
    }
    const many = Array.isArray(document);
    const items: unknown[] = many ? (document as unknown[]) : [document];
    return items.flatMap((item, i) =>
      isPlainObject(item)
        ? [
            {
              source: `bucket ${this.config.bucket}, object ${key}${many ? `, record ${i + 1}` : ''}`,
              fields: Object.fromEntries(listed.filter((name) => Object.hasOwn(item, name)).map((name) => [name, item[name]])),
            },
          ]
        : [],
    );
  }

  private get restrictedTag(): string {
    return this.config.restrictedTag ?? DEFAULT_RESTRICTED_TAG;
  }

  /**
   * Rewrites the tag set of every data version of the subject's objects with `change` (undefined: already as
   * wanted, counted; 'unchanged': not this action's, not counted). Counts the objects (keys) with a version marked.
   */
  private async retag(
    subject: InvocationSubject,
    change: (tags: readonly Tag[]) => readonly Tag[] | undefined | 'unchanged',
  ): Promise<Counts> {
    let objects = 0;
    for (const target of await this.targetsOf(subject)) {
      let counted = false;
      for (const entry of target.entries.filter((e) => !e.deleteMarker)) {
        const tags = await this.tagsOf(target.key, entry.versionId);
        const next = change(tags);
        if (next === 'unchanged') continue;
        counted = true;
        if (next === undefined) continue;
        await this.call('PutObjectTagging', () =>
          this.client.send(
            new PutObjectTaggingCommand({
              Bucket: this.config.bucket,
              Key: target.key,
              ...(entry.versionId ? { VersionId: entry.versionId } : {}),
              Tagging: { TagSet: [...next] },
            }),
          ),
        );
      }
      if (counted) objects++;
    }
    return { objects };
  }

  protected override async changeFields(subject: InvocationSubject, changes: FieldChanges, context: ConnectorContext): Promise<Counts> {
    const targets = await this.targetsOf(subject);
    // Read and transform everything first: an object that cannot be read as JSON stops the subject before any write.
    const rewrites: Rewrite[] = [];
    for (const target of targets) rewrites.push(await this.prepare(target, changes, context));

    const counts = { records: 0, fields: 0, objects: 0 };
    const stale: Entry[] = [];
    for (const rewrite of rewrites) {
      const { target, put } = rewrite;
      // The version that holds the (new) current data and stays; every other version and marker goes.
      const latest = target.entries.find((e) => e.latest && !e.deleteMarker);
      let keep: string | undefined = latest ? (latest.versionId ?? 'null') : undefined;
      if (put) {
        // Unversioned (or versioning suspended): the put replaced the "null" version, which is now the new data.
        keep = (await this.putLike(target.key, put.body, put.source, put.tags)) ?? 'null';
        counts.records += put.records;
        counts.fields += put.fields;
      }
      const old = target.entries.filter((e) => e.deleteMarker || keep === undefined || (e.versionId ?? 'null') !== keep);
      stale.push(...old);
      if (put || old.some((e) => !e.deleteMarker)) counts.objects++;
    }
    await this.deleteEntries(stale);
    return counts;
  }

  /** Reads the current version of a target and computes its new body, if it changes. */
  private async prepare(target: Target, changes: FieldChanges, context: ConnectorContext): Promise<Rewrite> {
    const current = target.entries.find((e) => e.latest && !e.deleteMarker);
    if (!current) return { target }; // Logically deleted: only old versions, all to delete.
    const source = await this.call('GetObject', () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: target.key,
          ...(current.versionId ? { VersionId: current.versionId } : {}),
        }),
      ),
    );
    const text = (await source.Body?.transformToString('utf-8')) ?? '';
    if (text.trim() === '') return { target };
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new ConnectorPermanentError(
        `s3: an object of the subject in bucket "${this.config.bucket}" is not JSON; field actions need JSON objects`,
        {
          cause: error,
        },
      );
    }
    const records = Array.isArray(document) ? document : [document];
    let changedRecords = 0;
    let changedFields = 0;
    const updated: unknown[] = [];
    for (const record of records) {
      if (!isPlainObject(record)) {
        updated.push(record);
        continue;
      }
      const { value, fields } = await applyChanges(record, changes, context);
      updated.push(value);
      if (fields > 0) {
        changedRecords++;
        changedFields += fields;
      }
    }
    if (changedFields === 0) return { target };
    const tags = await this.tagsOf(target.key, current.versionId);
    const body = JSON.stringify(Array.isArray(document) ? updated : updated[0]);
    return { target, put: { body, source, tags, records: changedRecords, fields: changedFields } };
  }

  /** Writes a new version like the source (content type, metadata, encryption, tags); returns its version id. */
  private async putLike(key: string, body: string, source: GetObjectCommandOutput, tags: readonly Tag[]): Promise<string | undefined> {
    const tagging = new URLSearchParams(tags.map((t): [string, string] => [t.Key ?? '', t.Value ?? ''])).toString();
    const written = await this.call('PutObject', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: key,
          Body: body,
          ContentType: source.ContentType ?? 'application/json',
          ...(source.Metadata && Object.keys(source.Metadata).length > 0 ? { Metadata: source.Metadata } : {}),
          ...(source.CacheControl ? { CacheControl: source.CacheControl } : {}),
          ...(source.ContentDisposition ? { ContentDisposition: source.ContentDisposition } : {}),
          ...(source.ContentLanguage ? { ContentLanguage: source.ContentLanguage } : {}),
          ...(source.StorageClass ? { StorageClass: source.StorageClass } : {}),
          ...(source.ServerSideEncryption ? { ServerSideEncryption: source.ServerSideEncryption } : {}),
          ...(source.SSEKMSKeyId ? { SSEKMSKeyId: source.SSEKMSKeyId } : {}),
          ...(tagging ? { Tagging: tagging } : {}),
        }),
      ),
    );
    return written.VersionId;
  }

  /** The subject's objects: under its prefix, and/or tagged with it. */
  private async targetsOf(subject: InvocationSubject): Promise<Target[]> {
    const byKey = new Map<string, Map<string, Entry>>();
    const add = (entries: readonly Entry[]) => {
      for (const entry of entries) {
        const versions = byKey.get(entry.key) ?? new Map<string, Entry>();
        versions.set(entry.versionId ?? 'null', entry);
        byKey.set(entry.key, versions);
      }
    };
    if (this.config.prefix) {
      const prefix = this.prefixOf(subject, this.config.prefix);
      add((await this.list(prefix)).filter((e) => e.key.startsWith(prefix)));
    }
    if (this.config.tagKey) add(await this.tagged(this.config.tagKey, this.tagValueOf(subject)));
    return [...byKey].map(([key, versions]) => ({ key, entries: [...versions.values()] }));
  }

  /**
   * Versions tagged `tagKey=value`. For a key some of whose versions belong to someone else, only the
   * subject's versions are returned; when every data version is the subject's, its delete markers come too.
   */
  private async tagged(tagKey: string, value: string): Promise<Entry[]> {
    const all = await this.list(undefined);
    const keys = new Map<string, Entry[]>();
    for (const entry of all) keys.set(entry.key, [...(keys.get(entry.key) ?? []), entry]);
    const found: Entry[] = [];
    for (const [key, entries] of keys) {
      const data = entries.filter((e) => !e.deleteMarker);
      const mine: Entry[] = [];
      for (const entry of data) {
        const tags = await this.tagsOf(key, entry.versionId);
        if (tags.some((t) => t.Key === tagKey && t.Value === value)) mine.push(entry);
      }
      if (mine.length === 0) continue;
      found.push(...(mine.length === data.length ? entries : mine));
    }
    return found;
  }

  private async tagsOf(key: string, versionId: string | undefined): Promise<readonly Tag[]> {
    const { TagSet } = await this.call('GetObjectTagging', () =>
      this.client.send(
        new GetObjectTaggingCommand({ Bucket: this.config.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
      ),
    );
    return TagSet ?? [];
  }

  /** Every version and delete marker under the prefix (the whole bucket without one), all pages. */
  private async list(prefix: string | undefined): Promise<Entry[]> {
    if (!this.unversioned) {
      try {
        return await this.listVersions(prefix);
      } catch (error) {
        if (!isUnsupported(error)) throw error;
        this.unversioned = true;
      }
    }
    const entries: Entry[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.config.bucket, ...(prefix ? { Prefix: prefix } : {}) },
      )) {
        for (const object of page.Contents ?? [])
          if (object.Key !== undefined) entries.push({ key: object.Key, latest: true, deleteMarker: false });
      }
    } catch (error) {
      throw toConnectorError(error, `s3: ListObjectsV2 in bucket "${this.config.bucket}"`);
    }
    return entries;
  }

  private async listVersions(prefix: string | undefined): Promise<Entry[]> {
    const entries: Entry[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.config.bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
          }),
        );
      } catch (error) {
        if (isUnsupported(error)) throw error;
        throw toConnectorError(error, `s3: ListObjectVersions in bucket "${this.config.bucket}"`);
      }
      for (const v of page.Versions ?? []) {
        if (v.Key !== undefined) entries.push({ key: v.Key, versionId: v.VersionId, latest: v.IsLatest === true, deleteMarker: false });
      }
      for (const m of page.DeleteMarkers ?? []) {
        if (m.Key !== undefined) entries.push({ key: m.Key, versionId: m.VersionId, latest: m.IsLatest === true, deleteMarker: true });
      }
      if (!page.IsTruncated) return entries;
      if (page.NextKeyMarker === undefined && page.NextVersionIdMarker === undefined) {
        throw new ConnectorTransientError(
          `s3: ListObjectVersions in bucket "${this.config.bucket}" was truncated without a marker to continue from`,
        );
      }
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
    }
  }

  /** DeleteObjects in batches of 1000 (each version explicitly); any per-object error fails the call. */
  private async deleteEntries(entries: readonly Entry[]): Promise<void> {
    const objects: ObjectIdentifier[] = entries.map((e) => ({
      Key: e.key,
      ...(e.versionId !== undefined ? { VersionId: e.versionId } : {}),
    }));
    for (let start = 0; start < objects.length; start += DELETE_BATCH) {
      const batch = objects.slice(start, start + DELETE_BATCH);
      const result = await this.call('DeleteObjects', () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: batch, Quiet: true } })),
      );
      const errors = result.Errors ?? [];
      if (errors.length > 0) {
        // The codes are S3's (AccessDenied, SlowDown, InternalError...); the keys are not repeated here.
        const codes = [...new Set(errors.map((e) => e.Code ?? 'Unknown'))];
        const what = `s3: DeleteObjects in bucket "${this.config.bucket}" failed for ${errors.length} of ${batch.length} objects (${codes.join(', ')})`;
        const transient = codes.every((c) => ['SlowDown', 'InternalError', 'ServiceUnavailable', 'RequestTimeout'].includes(c));
        throw transient ? new ConnectorTransientError(what) : new ConnectorPermanentError(what);
      }
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toConnectorError(error, `s3: ${operation} in bucket "${this.config.bucket}"`);
    }
  }
}

/** Removes and anonymises the fields of one JSON record; counts the fields that changed. */
async function applyChanges(
  record: Record<string, unknown>,
  changes: FieldChanges,
  context: ConnectorContext,
): Promise<{ value: Record<string, unknown>; fields: number }> {
  const value = { ...record };
  let fields = 0;
  const removed = new Set(changes.remove.map((f) => f.name));
  for (const name of removed) {
    if (Object.hasOwn(value, name)) {
      delete value[name];
      fields++;
    }
  }
  for (const field of changes.anonymise) {
    if (removed.has(field.name) || !Object.hasOwn(value, field.name)) continue;
    const result = await context.anonymise(field, value[field.name]);
    if (result.remove) {
      delete value[field.name];
      fields++;
    } else if (!isDeepStrictEqual(result.value, value[field.name])) {
      value[field.name] = result.value;
      fields++;
    }
  }
  return { value, fields };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** S3's tag values: letters, digits, white space and `_ . : / = + - @`, at most 256 UTF-16 code units. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const MAX_TAG_VALUE_LENGTH = 256;

/**
 * Why a subject's tag value could not be looked up faithfully, or undefined when it can. The tag layout finds a
 * subject by an exact comparison with the value S3 stores, so a value S3 would not store as it is must be refused:
 * - empty, longer than 256, or with a character outside S3's tag alphabet (the documented pattern
 *   `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, e.g. `*`, `#`, `%`, an emoji, a combining accent as in NFD "e\u0301"): S3 refuses
 *   such a tag, so no object can carry it, and "nothing found" would be a false answer;
 * - leading or trailing white space: S3 documents no trimming, but tools and local servers (s3rver) trim tag
 *   values, and then "user1 " and "user1" are the same tag. Such an id would be erased with the other subject's
 *   objects, or not at all.
 * The message names the rule, never the value.
 */
export function tagValueProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (value.length > MAX_TAG_VALUE_LENGTH) return `is longer than ${MAX_TAG_VALUE_LENGTH} characters, the most S3 stores in a tag value`;
  if (!TAG_VALUE.test(value))
    return 'has a character S3 does not allow in a tag value (only letters, digits, spaces and _ . : / = + - @): no object can be tagged with it';
  if (/^\p{Z}|\p{Z}$/u.test(value)) return 'starts or ends with white space, which S3 tools may trim (then it would match another subject)';
  return undefined;
}

/**
 * Why a value cannot fill a placeholder of a prefix template, or undefined when it can. Registration checks ids
 * and locators with it too (lib/runtime/validate.ts), so that what every later erasure would refuse is refused
 * when the holding is registered. The message names the rule, never the value.
 */
export function prefixValueProblem(value: string): string | undefined {
  if (value === '' || value === '.' || value.includes('/') || value.includes('..')) {
    return `is empty, ".", or contains "/" or "..": it could match other subjects' objects`;
  }
  if (XML_UNSAFE.test(value)) {
    return `has a control character (such as a carriage return) that S3's XML listings do not return as it is: its objects could not be found`;
  }
  return undefined;
}

/** S3-compatible stores without versioning answer ListObjectVersions with one of these. */
function isUnsupported(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'MethodNotAllowed' || name === 'NotImplemented';
}

/** Whether a restriction tag's value is the mark of this request (`<requestId>` or `<requestId> until <ISO>`). */
function isMarkOf(value: string, requestId: string): boolean {
  return value === requestId || value.startsWith(`${requestId} until `);
}
