/**
 * Each built-in connector's `config`, as zod schemas. The policy validator checks a system's config
 * against its connector's schema (with file:line:column like every other rule); the stack reads it to grant
 * least privilege; the connector reads it at run time.
 *
 * Placeholders: a template such as `customers/{customerId}/` is filled from the holding's locator; the
 * placeholder `{subjectId}` is the subject's id when the locator does not name it.
 */
import { z } from 'zod';

const name = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}, got an empty string` });
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export const DynamoDbConnectorConfig = z.strictObject({
  tableName: name('the table name'),
  /** Partition key attribute; its value is the locator's value for this attribute, or the subject id. */
  keyAttribute: name('the partition key attribute'),
  /** Sort key attribute, when the table has one: every item of the subject under the partition is affected. */
  sortKeyAttribute: name('the sort key attribute').optional(),
  /** A GSI to find the subject's items by an identifier (e.g. email) when no locator is given. */
  indexName: name('the index name').optional(),
  /** The identifier attribute the index is keyed by; the request's identifiers[indexAttribute] is looked up. */
  indexAttribute: name('the index attribute').optional(),
  /** The table's region, when it is not the stack's. */
  region: name('a region').optional(),
});

export const S3ConnectorConfig = z
  .strictObject({
    bucket: name('the bucket name'),
    /**
     * Per-subject prefix template, e.g. `customers/{customerId}/`. Every placeholder must be followed by `/`
     * so that a prefix can never match another subject (`user1/` does not match `user10/`).
     */
    prefix: name('a prefix template such as "customers/{subjectId}/"').optional(),
    /** Alternatively, objects tagged with the subject: tag key whose value is the subject id or locator. */
    tagKey: name('a tag key').optional(),
    region: name('a region').optional(),
  })
  .superRefine((config, ctx) => {
    if (!config.prefix && !config.tagKey)
      ctx.addIssue({ code: 'custom', message: 'expected prefix (a per-subject prefix template) or tagKey', path: ['prefix'] });
    if (config.prefix) {
      const placeholders = [...config.prefix.matchAll(PLACEHOLDER)];
      if (placeholders.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['prefix'],
          message: `prefix "${config.prefix}" has no placeholder such as {subjectId}: it would match every subject`,
        });
      }
      for (const match of placeholders) {
        if (config.prefix[match.index + match[0].length] !== '/') {
          ctx.addIssue({
            code: 'custom',
            path: ['prefix'],
            message: `in prefix "${config.prefix}", ${match[0]} must be followed by "/" so that one subject's prefix never matches another's (user1 vs user10)`,
          });
        }
      }
    }
  });

export const HttpConnectorConfig = z.strictObject({
  /** The SaaS's erasure webhook; must be https (http is allowed only for loopback, in local mode). */
  url: z
    .string({ error: 'expected the webhook URL' })
    .url({ error: 'expected the webhook URL' })
    .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u), {
      error: 'expected an https:// URL (http:// only for 127.0.0.1 in local mode)',
    }),
  /** Secrets Manager secret holding the HMAC signing key for the webhook. */
  secretName: name('the Secrets Manager secret name'),
  /** Per-call timeout. @default 10 */
  timeoutSeconds: z.number().int().min(1).max(60).optional(),
  /** Reserved concurrency of the connector, to protect the SaaS's rate limits. @default 5 */
  maxConcurrency: z.number().int().min(1).max(100).optional(),
});

export const LambdaConnectorConfig = z.strictObject({
  /** The user's own connector function: a name or an ARN. */
  functionName: name('the function name or ARN'),
});

export const CONNECTOR_CONFIGS = {
  dynamodb: DynamoDbConnectorConfig,
  s3: S3ConnectorConfig,
  http: HttpConnectorConfig,
  lambda: LambdaConnectorConfig,
} as const;

export type DynamoDbConnectorConfig = z.output<typeof DynamoDbConnectorConfig>;
export type S3ConnectorConfig = z.output<typeof S3ConnectorConfig>;
export type HttpConnectorConfig = z.output<typeof HttpConnectorConfig>;
export type LambdaConnectorConfig = z.output<typeof LambdaConnectorConfig>;
export type ConnectorConfig = {
  dynamodb: DynamoDbConnectorConfig;
  s3: S3ConnectorConfig;
  http: HttpConnectorConfig;
  lambda: LambdaConnectorConfig;
};

/** The placeholders of a template, e.g. `["customerId"]` for `customers/{customerId}/`. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
}
