/**
 * The s3 connector type: a bucket with one prefix per subject (a template such as `customers/{customerId}/`),
 * or objects tagged with the subject.
 */
import { z } from 'zod';
import type { S3Connector } from '../s3';
import { configName, defineConnectorType, placeholderMatches, placeholders, type DemoSubject, type DemoSystemContext } from '../descriptor';

export const S3ConnectorConfig = z
  .strictObject({
    bucket: configName('the bucket name'),
    /**
     * Per-subject prefix template, e.g. `customers/{customerId}/`. Every placeholder must be followed by `/`
     * so that a prefix can never match another subject (`user1/` does not match `user10/`).
     */
    prefix: configName('a prefix template such as "customers/{subjectId}/"').optional(),
    /** Alternatively, objects tagged with the subject: tag key whose value is the subject id or locator. */
    tagKey: configName('a tag key').optional(),
    region: configName('a region').optional(),
    /**
     * Record action `restrict` (spec 2.4): the tag set on every version of the subject's objects (value: the
     * request id, then ` until <UTC ISO>` when the restriction has an end); `unrestrict` removes it. Other tags stay.
     * @default `lethe-restricted` (DEFAULT_RESTRICTED_TAG, lib/connectors/s3.ts)
     */
    restrictedTag: configName('the restriction tag key').optional(),
  })
  .superRefine((config, ctx) => {
    if (!config.prefix && !config.tagKey)
      ctx.addIssue({ code: 'custom', message: 'expected prefix (a per-subject prefix template) or tagKey', path: ['prefix'] });
    if (config.prefix) {
      const matches = placeholderMatches(config.prefix);
      if (matches.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['prefix'],
          message: `prefix "${config.prefix}" has no placeholder such as {subjectId}: it would match every subject`,
        });
      }
      for (const match of matches) {
        if (config.prefix[match.end] !== '/') {
          ctx.addIssue({
            code: 'custom',
            path: ['prefix'],
            message: `in prefix "${config.prefix}", {${match.name}} must be followed by "/" so that one subject's prefix never matches another's (user1 vs user10)`,
          });
        }
      }
    }
  });
export type S3ConnectorConfig = z.output<typeof S3ConnectorConfig>;

/** The S3 actions of the s3 connector (lib/connectors/s3.ts) on its bucket, and nothing else. */
export const S3_CONNECTOR_BUCKET_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'] as const;
/** The S3 actions of the s3 connector on its objects, and nothing else. */
export const S3_CONNECTOR_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:GetObjectTagging',
  // In a versioned bucket the connector reads the current version by its VersionId, which S3 authorises separately.
  's3:GetObjectVersion',
  's3:GetObjectVersionTagging',
  // Record actions restrict/unrestrict tag every version of the subject's objects (spec 2.4).
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
] as const;

/** The S3 key prefix of a subject: the template filled from the locator and the subject id. */
export function demoPrefix(template: string, subject: DemoSubject, locator: Record<string, string>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, p: string) =>
    p === 'subjectId' ? subject.subjectId : (locator[p] ?? subject.key),
  );
}

const DEMO_OBJECT = 'record.json';

/** Where a demo subject's object is: under its prefix, or (tagged) at `demo/<key>.json`. */
function demoObject(ctx: DemoSystemContext<S3ConnectorConfig>, subject: DemoSubject): { prefix: string; key?: string } {
  const { prefix } = ctx.config;
  if (prefix) return { prefix: demoPrefix(prefix, subject, ctx.locator(subject)) };
  return { prefix: 'demo/', key: `demo/${subject.key}.json` };
}

async function putDemoObject(ctx: DemoSystemContext<S3ConnectorConfig>, subject: DemoSubject): Promise<void> {
  const { prefix, key } = demoObject(ctx, subject);
  await ctx.standIns.putObject({
    bucket: ctx.config.bucket,
    key: key ?? `${prefix}${DEMO_OBJECT}`,
    body: ctx.standIns.record(subject),
    ...(key ? { tags: { [ctx.config.tagKey!]: subject.subjectId } } : {}),
  });
}

export const s3 = defineConnectorType({
  type: 's3',
  configSchema: S3ConnectorConfig,
  create: (system, config, options) => {
    // Loaded here, not at the top: the policy validator reads this file and needs no SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Connector: Class } = require('../s3') as { S3Connector: typeof S3Connector };
    return new Class(system, config, options);
  },
  runtime: { kind: 'connector-function', entry: 'connectors/s3.ts' },
  // Every erasure is checked by reading the store again (lib/connectors/s3.ts, verifyRecord).
  verifies: () => true,
  grants: (config, system) => {
    const bucket = { service: 's3', region: '', account: '', resource: config.bucket };
    // The fixed part of the per-subject prefix (before its first placeholder): the connector can reach nothing outside
    // it. With a tagKey the connector reads the whole bucket to find tagged objects, so the whole bucket it is.
    const firstPlaceholder = config.prefix?.search(/\{/) ?? -1;
    const fixedPrefix =
      config.tagKey || !config.prefix ? '' : firstPlaceholder === -1 ? config.prefix : config.prefix.slice(0, firstPlaceholder);
    return [
      {
        sid: 'ListOwnBucketOnly',
        actions: S3_CONNECTOR_BUCKET_ACTIONS,
        resources: [bucket],
        conditions: fixedPrefix ? { StringLike: { 's3:prefix': [`${fixedPrefix}*`] } } : undefined,
      },
      {
        sid: 'OwnObjectsOnly',
        actions: S3_CONNECTOR_OBJECT_ACTIONS,
        resources: [{ ...bucket, suffix: `/${fixedPrefix}*` }],
        acknowledge: {
          rule: 'AwsSolutions-IAM5',
          reason:
            `The s3 connector of system "${system}" erases objects whose keys are known only at run time (one prefix per ` +
            `subject); the grant is limited to bucket ${config.bucket}` +
            (fixedPrefix ? ` under "${fixedPrefix}".` : '.'),
          appliesTo: [`Resource::arn:<AWS::Partition>:s3:::${config.bucket}/${fixedPrefix}*`],
        },
      },
    ];
  },
  demo: {
    // Every placeholder of the prefix but {subjectId} is the subject's key.
    locator: (config, subject) =>
      Object.fromEntries((config.prefix ? placeholders(config.prefix) : []).filter((p) => p !== 'subjectId').map((p) => [p, subject.key])),
    seed: async (ctx, subjects) => {
      await ctx.standIns.ensureBucket(ctx.config.bucket);
      for (const subject of subjects) await putDemoObject(ctx, subject);
      return `s3rver bucket ${ctx.config.bucket}`;
    },
    put: putDemoObject,
    read: async (ctx, subject) => {
      const { prefix, key } = demoObject(ctx, subject);
      return {
        where: `s3rver bucket ${ctx.config.bucket}, ${key ?? prefix}`,
        records: await ctx.standIns.readObjects(ctx.config.bucket, key ?? prefix),
      };
    },
  },
});
